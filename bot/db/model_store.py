"""Trained recommender models in the database, so every server on every machine
serves the same version and finds a newer one with one indexed query.

A model folder (`model.npz`, `meta.json`, bot/recommend/model.py) is stored as its
archive file in parts of PART_BYTES, with a SHA-256 of the whole, in the same
transaction as its row: a reader either finds a whole version or none. A server
copies a version into its local folder once (written aside, checked, renamed into
place) and loads it from there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from bot.db import tables as t
from bot.timeutil import utcnow

PART_BYTES = 8 * 1024 * 1024


class CorruptModel(RuntimeError):
    """A stored version whose parts do not add up to its checksum."""


class ModelStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def newest(self) -> str | None:
        with self._engine.connect() as conn:
            return conn.execute(
                select(func.max(t.recommender_models.c.version))
            ).scalar_one_or_none()

    def publish(self, version: str, folder: Path, keep: int = 3) -> None:
        """Store the model in `folder` as `version`; keep the newest `keep`."""
        path = folder / "model.npz"
        models, parts = t.recommender_models, t.recommender_model_parts
        with self._engine.begin() as conn:
            conn.execute(
                insert(models).values(
                    version=version,
                    published_at=utcnow(),
                    size_bytes=path.stat().st_size,
                    sha256=_sha256(path),
                    meta=(folder / "meta.json").read_text(encoding="utf-8"),
                )
            )
            with path.open("rb") as handle:
                chunks = iter(lambda: handle.read(PART_BYTES), b"")
                for number, chunk in enumerate(chunks):
                    conn.execute(
                        insert(parts).values(version=version, part=number, data=chunk)
                    )
            old = (
                conn.execute(
                    select(models.c.version)
                    .order_by(models.c.version.desc())
                    .offset(keep)
                )
                .scalars()
                .all()
            )
            if old:
                conn.execute(delete(parts).where(parts.c.version.in_(old)))
                conn.execute(delete(models).where(models.c.version.in_(old)))

    def _copy(self, version: str, folder: Path) -> None:
        """The stored files of `version` written into `folder`, checked."""
        models, parts = t.recommender_models, t.recommender_model_parts
        digest = hashlib.sha256()
        with self._engine.connect() as conn:
            row = conn.execute(
                select(models.c.sha256, models.c.meta).where(
                    models.c.version == version
                )
            ).one()
            with (folder / "model.npz").open("wb") as handle:
                numbers = conn.execute(
                    select(parts.c.part)
                    .where(parts.c.version == version)
                    .order_by(parts.c.part)
                ).scalars()
                for number in list(numbers):  # one part in memory at a time
                    chunk = conn.execute(
                        select(parts.c.data).where(
                            parts.c.version == version, parts.c.part == number
                        )
                    ).scalar_one()
                    digest.update(chunk)
                    handle.write(chunk)
        if digest.hexdigest() != row.sha256:
            raise CorruptModel(f"model {version}: parts do not match its checksum")
        (folder / "meta.json").write_text(row.meta, encoding="utf-8")

    def fetch(self, version: str, root: Path) -> Path:
        """`root/version`, copied from the database unless it is there already."""
        target = root / version
        if target.is_dir():
            return target
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".fetching-", dir=root))
        try:
            self._copy(version, staging)
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():
                raise
        finally:  # a failed or lost copy leaves nothing behind
            shutil.rmtree(staging, ignore_errors=True)
        return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(PART_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()
