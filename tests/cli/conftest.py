"""Fixtures of the command-line tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import main_status


@pytest.fixture
def cli(tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """`cli(*args, db=path)` -> (exit status, stdout, stderr) of newsbot's main() in tmp_path."""
    clean_env.chdir(tmp_path)

    def run(*args: str | Path, db: Path = tmp_path / "newsbot.db") -> tuple[int, str, str]:
        clean_env.setenv("NEWSBOT_DATABASE_URL", f"sqlite:///{db}")
        return main_status(args, capsys)

    return run
