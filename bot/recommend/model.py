"""A trained recommender with the product ids of its columns, saved as versioned
arrays (numpy/scipy `.npz` and JSON, no pickle: loading a model runs no code).

Layout: `<root>/<version>/model.npz` and `meta.json`; the version is the UTC time
of training, so the newest is the largest name. A version is written to a temporary
folder and renamed into place, so a reader never sees half a model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from bot.recommend.als import Factors
from bot.recommend.blend import BlendedRecommender, BlendSettings

VERSION_FORMAT = "%Y%m%dT%H%M%S%fZ"
MATRICES = ("similarity", "confidence", "ease")


@dataclass
class TrainedModel:
    version: str
    product_ids: np.ndarray
    blend: BlendedRecommender
    stats: dict

    def column_of(self) -> dict[int, int]:
        return {int(p): n for n, p in enumerate(self.product_ids.tolist())}

    def save(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
        blend = self.blend
        arrays = {
            "product_ids": self.product_ids,
            "popularity": blend.popularity_,
            "repeat_share": blend.repeat_share_,
            "cycle": blend.cycle_,
            "als_items": blend.factors_.items,
            "als_gram": blend.factors_.gram,
            "als_constants": np.array(
                [blend.factors_.alpha, blend.factors_.regularization]
            ),
        }
        for name in MATRICES:
            matrix = getattr(blend, f"{name}_").tocsr()
            arrays[f"{name}_data"] = matrix.data
            arrays[f"{name}_indices"] = matrix.indices
            arrays[f"{name}_indptr"] = matrix.indptr
        np.savez_compressed(staging / "model.npz", **arrays)
        meta = {
            "version": self.version,
            "settings": asdict(self.blend.settings),
            "stats": self.stats,
        }
        (staging / "meta.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        target = root / self.version
        os.rename(staging, target)
        return target

    @classmethod
    def load(cls, folder: Path) -> TrainedModel:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        with np.load(folder / "model.npz", allow_pickle=False) as arrays:
            n = len(arrays["product_ids"])
            matrices = {
                name: sparse.csr_matrix(
                    (
                        arrays[f"{name}_data"],
                        arrays[f"{name}_indices"],
                        arrays[f"{name}_indptr"],
                    ),
                    shape=(n, n),
                )
                for name in MATRICES
                if f"{name}_data" in arrays
            }
            factors = None
            if "als_items" in arrays:
                alpha, regularization = arrays["als_constants"].tolist()
                factors = Factors(
                    arrays["als_items"], arrays["als_gram"], alpha, regularization
                )
            known = set(BlendSettings.__dataclass_fields__)
            blend = BlendedRecommender.from_arrays(
                BlendSettings(
                    **{k: v for k, v in meta["settings"].items() if k in known}
                ),
                matrices["similarity"],
                matrices["confidence"],
                arrays["popularity"],
                ease=matrices.get("ease"),
                repeat_share=_optional(arrays, "repeat_share"),
                cycle=_optional(arrays, "cycle"),
                factors=factors,
            )
            return cls(
                meta["version"], arrays["product_ids"].copy(), blend, meta["stats"]
            )


def _optional(arrays, name: str) -> np.ndarray | None:
    """An array a model saved before it existed lacks (then the source is empty)."""
    return arrays[name].copy() if name in arrays else None


def latest_version(root: Path) -> str | None:
    if not root.is_dir():
        return None
    versions = [
        p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    ]
    return max(versions) if versions else None


def prune(root: Path, keep: int = 3) -> None:
    """Delete all but the newest `keep` versions."""
    versions = sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    for old in versions[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
