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


# A fresh process, so that the fork server is not running yet: its first start is what the
# worker's first call waits for.
LAG_SCRIPT = """\
import asyncio, time
from newsbot.ingest.worker import ExtractionWorker


async def lag_during_first_start() -> None:
    gaps = [0.0]

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    worker = ExtractionWorker()
    started = time.monotonic()
    await worker.run(len, "text", where="a probe")
    start = time.monotonic() - started
    ticking.cancel()
    worker.close()
    print(f"{start:.3f} {max(gaps):.3f}", flush=True)


if __name__ == "__main__":
    asyncio.run(lag_during_first_start())
"""


def test_the_first_worker_starts_without_freezing_the_event_loop(tmp_path: Path) -> None:
    # The fork server's first start (its preload imports, ~1.3 s on a 2-core machine) made
    # the pool on the event loop: other chats froze, and a feed poll due then was dropped.
    script = tmp_path / "lag.py"
    script.write_text(LAG_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    start, lag = map(float, done.stdout.split())
    assert lag < max(0.25, start / 2), (start, lag)
