"""The extraction worker's start (ingest/worker.py): a new worker forks from the fork server
with the command line already imported, as after a kill on a deadline, instead of importing it
again before its first call."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# `newsbot`'s console script: the main module imports the CLI, and each worker runs it again.
SCRIPT = """\
import asyncio, sys
from newsbot.cli import main
from newsbot.ingest.worker import ExtractionWorker


async def start_two() -> None:
    for _ in range(2):  # the first, then one after a kill
        worker = ExtractionWorker()
        await worker.run(len, "text", where="a probe")
        worker.kill()


if __name__ == "__main__":
    asyncio.run(start_two())
    print("done", flush=True)
"""


def test_new_workers_do_not_import_the_command_line_again(tmp_path: Path) -> None:
    script = tmp_path / "newsbot_main.py"
    script.write_text(SCRIPT)
    # Python reports each import on stderr, in every process: this one, the fork server
    # (which inherits the variable) and each worker it forks.
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and done.stdout == "done\n", done.stderr[-2000:]
    imports = [line for line in done.stderr.splitlines() if line.endswith("| newsbot.cli")]
    assert len(imports) == 2, imports  # the main process and the fork server; no worker
