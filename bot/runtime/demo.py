"""The steps that make a database ready for the demo bot, each a `salesbot`
command in its own process (as an operator would run them): migrate, demo data,
segments, a recommender model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def demo_steps(
    customers: int | None = None, as_of: str | None = None, if_empty: bool = False
) -> list[list[str]]:
    """The commands, for `customers` demo customers as of `as_of` (defaults: the
    generator's own and today)."""
    data = ["demo-data"]
    if customers is not None:
        data += ["--customers", str(customers)]
    if if_empty:
        data.append("--if-empty")
    dated = ["--as-of", as_of] if as_of else []
    return [
        ["migrate"],
        data + dated,
        ["segment", *dated],
        ["train-recommender", *dated],
    ]


def run_steps(
    steps: list[list[str]], env: dict[str, str], cwd: Path, check: bool = True
) -> None:
    """Run each `salesbot` command with `env` over the current environment."""
    salesbot = str(Path(sys.executable).parent / "salesbot")
    for step in steps:
        subprocess.run(
            [salesbot, *step], env={**os.environ, **env}, check=check, cwd=cwd
        )
