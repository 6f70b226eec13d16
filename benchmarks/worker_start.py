"""How long a new extraction worker takes to be ready, as under `newsbot` (whose main module
imports the CLI): the first `/add` after a start, and each one after a worker was killed on
its deadline. Today's preload beside round 1's (the extraction modules only), each in a
process of its own (a fork server is started once per process), in the same run.

    python benchmarks/worker_start.py [--starts 7]

Prints the median and the slowest of the restarts (the fork server's own start, the first
one, is shown apart) and the fork server's resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

# At the top, as in the console script: each new worker runs the main module again.
from newsbot.cli import main as _cli  # noqa: F401

ROUND_1 = ("newsbot.ingest.html", "newsbot.ingest.pipeline")


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


async def _measure(starts: int) -> dict[str, object]:
    import multiprocessing.forkserver

    from newsbot.ingest.worker import ExtractionWorker

    times = []
    for _ in range(starts):
        worker = ExtractionWorker()
        began = time.perf_counter()
        await worker.run(os.getpid, where="a probe")
        times.append(time.perf_counter() - began)
        worker.kill()
    server = multiprocessing.forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    return {"first": times[0], "restarts": times[1:], "server_rss_kb": _rss_kb(server)}


def child(preload: str, starts: int) -> None:
    from newsbot.ingest import worker

    if preload == "round1":
        worker.PRELOAD = ROUND_1
    print(json.dumps(asyncio.run(_measure(starts))))


def run(preload: str, starts: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", preload, "--starts", str(starts)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--child", choices=("round1", "today"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.starts)
        return
    print(f"{'preload':<28} {'first':>8} {'restart p50':>12} {'slowest':>9} {'server RSS':>11}")
    for name, label in (("round1", "extraction modules (before)"), ("today", "with the CLI (now)")):
        result = run(name, args.starts)
        restarts = result["restarts"]
        assert isinstance(restarts, list)
        print(
            f"{label:<28} {result['first']:>7.2f}s {statistics.median(restarts):>11.3f}s"
            f" {max(restarts):>8.3f}s {int(result['server_rss_kb']) // 1024:>8} MB"  # type: ignore[call-overload]
        )


if __name__ == "__main__":
    main()
