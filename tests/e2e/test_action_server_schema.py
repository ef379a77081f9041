"""An action server started by hand (`rasa run actions`) on a database that
`salesbot migrate` has not brought to this code's schema stops with that message,
instead of answering every action with errors; on a migrated one it starts."""

from __future__ import annotations

import pytest

from bot.config import PROJECT_ROOT
from bot.db.migrate import upgrade
from bot.runtime.servers import free_port, start_action_server

pytestmark = pytest.mark.e2e


def test_an_unmigrated_database_stops_the_action_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    log = tmp_path / "actions.log"
    server = start_action_server(free_port(), {"DATABASE_URL": url}, log, PROJECT_ROOT)
    try:
        assert server.process.wait(120) != 0
    finally:
        server.stop()
    text = log.read_text(encoding="utf-8")
    assert "no salesbot schema yet: run `salesbot migrate` first" in text
    assert "Traceback" not in text


def test_a_migrated_database_lets_it_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'ready.db'}"
    upgrade(url)
    log = tmp_path / "actions.log"
    server = start_action_server(free_port(), {"DATABASE_URL": url}, log, PROJECT_ROOT)
    try:
        server.wait_healthy(120)
    finally:
        server.stop()
