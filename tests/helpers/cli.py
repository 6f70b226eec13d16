"""Helpers of the command line tests (tests/cli/test_cli*.py): `newsbot(...)` runs the command
on a SQLite file, in-process (environment, working folder, stdin and logging swapped for the
run) or as a subprocess, and gives its exit status and output.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsbot.cli import main
from newsbot.service import SAMPLE_DATA

SEED = SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt"
SEED_TITLE = "Xi Jinping calls for greater international technology cooperation"
# The loggers `main` sets the level of (library chatter): put back after each in-process run.
QUIETED = ("httpx", "alembic", "apscheduler")


def main_status(args: tuple[str | Path, ...], capsys: Any) -> tuple[int, str, str]:
    """`main(args)` in this process under pytest's `capsys`: its exit status (argparse's usage
    errors included), stdout and stderr, which never holds a traceback."""
    try:
        status = main([str(a) for a in args])
    except SystemExit as exc:  # argparse's usage errors
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


@dataclass(frozen=True)
class Done:
    """What a run of `newsbot` gave: its exit status and its output."""

    returncode: int
    stdout: str
    stderr: str


def newsbot(
    *args: str | Path,
    db: Path,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    real: bool = False,
) -> Done:
    """Run `newsbot ARGS` with its database at `db`, no other NEWSBOT_* setting, in db's folder
    (so no stray .env is read); in-process unless `real`, then as a subprocess."""
    environment = {k: v for k, v in os.environ.items() if not k.upper().startswith("NEWSBOT_")}
    environment.update({"NEWSBOT_DATABASE_URL": f"sqlite:///{db}", **(env or {})})
    folder = next(folder for folder in db.parents if folder.is_dir())
    if real:
        done = subprocess.run(
            [sys.executable, "-m", "newsbot.cli", *map(str, args)],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**environment, "PYTHONUTF8": "1"},
            cwd=folder,
            timeout=120,
            check=False,
        )
        return Done(done.returncode, done.stdout, done.stderr)
    out, err = io.StringIO(), io.StringIO()
    with (
        swapped_environ(environment),
        contextlib.chdir(folder),
        swapped_stdin(io.StringIO(stdin or "")),
        logging_to(err),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exc:  # argparse: usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    return Done(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def swapped_environ(environment: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def swapped_stdin(stream: io.StringIO) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, stream
    try:
        yield
    finally:
        sys.stdin = saved


@contextlib.contextmanager
def logging_to(stream: io.StringIO) -> Iterator[None]:
    """Log records to `stream` as the command's own basicConfig would write them to stderr."""
    root = logging.getLogger()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    levels = {name: logging.getLogger(name).level for name in ("", *QUIETED)}
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # the default NEWSBOT_LOG_LEVEL
    try:
        yield
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]
