"""The balancer's configuration is one Debian's HAProxy accepts, and routes as
described (sticky by sender for the Rasa servers, health-checked everywhere)."""

import pytest

from bot.runtime.cluster import HAPROXY, Fronts, check_config, haproxy_config

pytestmark = pytest.mark.skipif(not HAPROXY.exists(), reason="no HAProxy")


def test_haproxy_accepts_the_configuration(tmp_path):
    text = haproxy_config(Fronts(15005, 15055, 18080, 18404), [1, 2], [3, 4], [5, 6])
    path = tmp_path / "haproxy.cfg"
    path.write_text(text, encoding="utf-8")
    assert check_config(path) is None
    assert "balance hdr(X-Salesbot-Sender)" in text and "hash-type consistent" in text
    assert text.count(" check inter 1s") == 6


def test_a_broken_configuration_is_reported(tmp_path):
    path = tmp_path / "broken.cfg"
    path.write_text("frontend x\n    bind 127.0.0.1:notaport\n", encoding="utf-8")
    assert "notaport" in (check_config(path) or "")
