"""Where the benchmarks read the evaluation data (README in that folder).

Every script that reads it takes `--data PATH`; without it, `NEWSBOT_EVAL_DIR` from the
environment, else `../shared/eval` beside the repository. `use()` also exports the choice to
`NEWSBOT_EVAL_DIR`, so the child processes a benchmark starts read the same folder.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "eval"
VARIABLE = "NEWSBOT_EVAL_DIR"


def add_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--data PATH` to a benchmark's parser (then call `use(args.data)`)."""
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"the evaluation data folder (default: ${VARIABLE}, else {DEFAULT})",
    )


def use(path: Path | None) -> Path:
    """Read the data from `path` (None: keep the environment's or the default); the folder."""
    if path is not None:
        os.environ[VARIABLE] = str(path.resolve())
    folder = eval_dir()
    if not folder.is_dir():
        raise SystemExit(f"no evaluation data at {folder}: pass --data PATH (or set {VARIABLE})")
    return folder


def eval_dir() -> Path:
    """The evaluation data folder in use."""
    return Path(os.environ.get(VARIABLE) or DEFAULT)


def path(*parts: str) -> Path:
    """A file or folder inside the evaluation data."""
    return eval_dir().joinpath(*parts)
