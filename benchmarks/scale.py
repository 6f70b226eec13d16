"""Retrieval latency and memory at 10k, 100k and 1M passages, beside plain FTS5 BM25.

    python benchmarks/scale.py --sizes 10000,100000,1000000

The SQuAD tune paragraphs among distractor passages of 4 random sentences of other paragraphs,
ingested through `Ingestor.add_records` (the `ingest --jsonl` path; bulk passages/s reported).
Questions are then answered by a fresh process, as the bot would after a restart: it builds the
index from the database (time reported), answers, reports its resident and peak memory, and saves
the index beside the database at exit; a third process then starts on the same database and
reports how long loading the saved index took ("restart s").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import distractors
from retrieval import open_db
from squad import load, sample

from newsbot.search.fts import fts_bm25


def memory_mb() -> tuple[float, float]:
    """(resident, peak resident) of this process in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def build(path: Path, size: int) -> dict[str, float]:
    records, _ = load()
    app = await open_db(path.parent, path.stem)
    start = time.perf_counter()
    passages = 0
    extra = max(0, size - int(len(records) * 1.5))
    stream = chain(records, distractors(extra))
    async for result in app.ingestor.add_records((f"r{i}", r) for i, r in enumerate(stream)):
        passages += result.passages
    seconds = time.perf_counter() - start
    await app.close()
    return {"passages": passages, "ingest_per_s": passages / seconds, "ingest_s": seconds}


async def answer(path: Path, n_questions: int, fts_questions: int) -> dict[str, float]:
    _, questions = load()
    chosen = sample(questions, n_questions, seed=7)
    app = await open_db(path.parent, path.stem)
    start = time.perf_counter()
    await app.retriever.refresh()
    index_s = time.perf_counter() - start
    rss_index, _ = memory_mb()
    ours: list[float] = []
    right = 0
    for question in chosen:
        start = time.perf_counter()
        result = await app.retriever.search(question.text, limit=5)
        ours.append((time.perf_counter() - start) * 1000)
        right += bool(result.hits) and result.hits[0].url == question.url
    fts: list[float] = []
    async with app.sessions() as session:
        for question in chosen[:fts_questions]:
            start = time.perf_counter()
            await fts_bm25(session, question.text, 5)
            fts.append((time.perf_counter() - start) * 1000)
    rss, peak = memory_mb()
    await app.close()
    return {
        "index_s": index_s,
        "p50": statistics.median(ours),
        "p99": percentile(ours, 0.99),
        "top1": right / len(chosen),
        "fts_p50": statistics.median(fts),
        "fts_p99": percentile(fts, 0.99),
        "rss_index_mb": rss_index,
        "rss_mb": rss,
        "peak_mb": peak,
    }


async def restart(path: Path) -> dict[str, float]:
    """A second start on the same database: the saved index is loaded, not rebuilt."""
    app = await open_db(path.parent, path.stem)
    start = time.perf_counter()
    await app.retriever.refresh()
    seconds = time.perf_counter() - start
    rss, _ = memory_mb()
    app.retriever.snapshot_path = None
    await app.close()
    return {"restart_s": seconds, "restart_rss_mb": rss}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--fts-questions", type=int, default=100)
    parser.add_argument("--answer", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--restart", type=Path, help=argparse.SUPPRESS)  # the second child
    args = parser.parse_args()
    if args.answer:
        result = asyncio.run(answer(args.answer, args.questions, args.fts_questions))
        print(json.dumps(result))
        return
    if args.restart:
        print(json.dumps(asyncio.run(restart(args.restart))))
        return
    print(
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {args.questions} questions "
        f"(FTS5: {args.fts_questions})"
    )
    print(
        f"{'passages':>9} {'ingest/s':>9} {'index s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'FTS5 p50':>9} {'FTS5 p99':>9} {'RSS MB':>7} {'peak MB':>8} {'top-1':>6} "
        f"{'restart s':>9}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "scale.db"
            built = asyncio.run(build(path, size))
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--answer",
                    str(path),
                    "--questions",
                    str(args.questions),
                    "--fts-questions",
                    str(args.fts_questions),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(child.stdout.strip().splitlines()[-1])
            again = subprocess.run(
                [sys.executable, __file__, "--restart", str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            r |= json.loads(again.stdout.strip().splitlines()[-1])
            print(
                f"{built['passages']:>9.0f} {built['ingest_per_s']:>9.0f} {r['index_s']:>8.1f} "
                f"{r['p50']:>7.2f} {r['p99']:>7.2f} {r['fts_p50']:>9.2f} {r['fts_p99']:>9.2f} "
                f"{r['rss_mb']:>7.0f} {r['peak_mb']:>8.0f} {r['top1']:>6.1%} "
                f"{r['restart_s']:>9.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
