"""Model files stored in parts in the database and copied back whole, on SQLite
and PostgreSQL."""

import os

import pytest

from bot.db import model_store
from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.db.model_store import ModelStore


def a_model_folder(path, size):
    path.mkdir(parents=True)
    (path / "model.npz").write_bytes(os.urandom(size))
    (path / "meta.json").write_text('{"version": "v"}', encoding="utf-8")
    return path


def round_trip(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(model_store, "PART_BYTES", 1000)
    source = a_model_folder(tmp_path / "trained" / "20261203T000000000000Z", 4500)
    store = ModelStore(engine)
    assert store.newest() is None
    store.publish(source.name, source)
    assert store.newest() == source.name
    copy = store.fetch(source.name, tmp_path / "served")
    assert copy == tmp_path / "served" / source.name
    assert (copy / "model.npz").read_bytes() == (source / "model.npz").read_bytes()
    assert (copy / "meta.json").read_text() == '{"version": "v"}'
    assert [p.name for p in (tmp_path / "served").iterdir()] == [source.name]


def test_a_model_goes_in_parts_and_comes_back_whole(db, tmp_path, monkeypatch):
    round_trip(db[1], tmp_path, monkeypatch)


@pytest.mark.postgres
def test_the_same_on_postgresql(pg_url, tmp_path, monkeypatch):
    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        round_trip(engine, tmp_path, monkeypatch)
    finally:
        engine.dispose()


def test_a_failed_copy_leaves_nothing_behind(db, tmp_path):
    from sqlalchemy.exc import NoResultFound

    with pytest.raises(NoResultFound):
        ModelStore(db[1]).fetch("20990101T000000000000Z", tmp_path / "served")
    assert list((tmp_path / "served").iterdir()) == []
