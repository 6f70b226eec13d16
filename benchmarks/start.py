"""One start of the bot's search on an existing database, timed by phase: what a restart costs.

    python benchmarks/start.py DB [--question TEXT] [--spawned EPOCH] [--lexical]

Imports only what the bot's service imports, then opens the service as the bot does
(`Newsbot.open`: the encoder of NEWSBOT_EMBEDDINGS, default auto), catches the search up with
the database (the saved index and vectors when they fit, else a rebuild), answers one question,
and prints one JSON line: imports, open (the encoder, the migrations check), refresh (index and
vectors), the first question, "ready" (from `--spawned`, the parent's clock when it started this
process, else from the imports), the vectors and passages held, and the resident memory. The
files beside the database are left as they were (nothing is saved at exit). benchmarks/scale.py
runs it after its answering process; it runs as well under another tree's interpreter (a
baseline), as it uses only `Newsbot.open`, `retriever.refresh` and `retriever.search`.
"""

from __future__ import annotations

import time

STARTED = time.time()
CLOCK = time.perf_counter()

import argparse  # noqa: E402  (after the clock: the imports are what is timed)
import asyncio  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

from newsbot.service import Newsbot  # noqa: E402
from newsbot.settings import Settings  # noqa: E402

IMPORTS = time.perf_counter() - CLOCK


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def start(path: Path, question: str, spawned: float, lexical: bool) -> dict[str, float]:
    settings = Settings(database_url=f"sqlite:///{path}", _env_file=None)
    clock = time.perf_counter()
    app = await Newsbot.open(settings, encoder=None if lexical else "auto")
    opened = time.perf_counter() - clock
    clock = time.perf_counter()
    await app.retriever.refresh()
    refreshed = time.perf_counter() - clock
    clock = time.perf_counter()
    await app.retriever.search(question, limit=5)
    first = time.perf_counter() - clock
    ready = time.time() - spawned
    out = {
        "imports_s": IMPORTS,
        "open_s": opened,
        "restart_s": refreshed,
        "first_question_s": first,
        "ready_s": ready,
        "restart_vectors": app.retriever.vectors.size,
        "restart_passages": app.retriever.index.size,
        "restart_rss_mb": resident_mb(),
    }
    app.retriever.snapshot_path = None  # leave the saved files as they were
    await app.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database", type=Path)
    parser.add_argument("--question", default="When did the ferry to the island start sailing?")
    parser.add_argument("--spawned", type=float, default=STARTED)
    parser.add_argument("--lexical", action="store_true", help="no encoder, no vectors")
    args = parser.parse_args()
    result = asyncio.run(start(args.database, args.question, args.spawned, args.lexical))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
