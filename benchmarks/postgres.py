"""SQLite beside PostgreSQL in one run: bulk ingest passages/s (the `ingest --jsonl` path) and
answer latency p50/p99 (`Newsbot.ask`: the in-memory index, candidates read from the database,
the question log), each backend on a fresh database of the same corpus.

    python benchmarks/postgres.py --size 100000 --questions 300 \
        --postgres postgresql://postgres@127.0.0.1:5432/test

The corpus: the SQuAD tune paragraphs (whose questions are asked), then news-length articles
of `--sentences` sentences each drawn from the real articles of shared/eval/extraction-tune
(benchmarks/corpus.py) until `--size` passages; several passages per article, as real news
has, rather than one-passage snippets (which made 100k an hour's work).

The PostgreSQL URL names a server where a database may be created (and is dropped after).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
from corpus import distractors
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from squad import load, sample

from newsbot import db
from newsbot.ingest.passages import split_into_passages
from newsbot.service import Newsbot
from newsbot.settings import Settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def distractor_count(size: int, squad_passages: int, sentences: int) -> int:
    """How many distractor articles bring the corpus to about `size` passages."""
    probe = list(distractors(200, per=sentences))
    per_article = sum(len(split_into_passages(str(r["text"]))) for r in probe) / len(probe)
    return max(0, round((size - squad_passages) / per_article))


async def measure(url: str, size: int, n_questions: int, sentences: int) -> dict[str, float]:
    records, questions = load()
    app = await Newsbot.open(Settings(database_url=url, _env_file=None))
    try:
        squad_passages = sum(len(split_into_passages(str(r["text"]))) for r in records)
        extra = distractor_count(size, squad_passages, sentences)
        stream = chain(records, distractors(extra, per=sentences))
        start, passages = time.perf_counter(), 0
        async for result in app.ingestor.add_records((f"r{i}", r) for i, r in enumerate(stream)):
            passages += result.passages
        ingest_s = time.perf_counter() - start
        start = time.perf_counter()
        await app.retriever.refresh()
        index_s = time.perf_counter() - start
        times: list[float] = []
        for question in sample(questions, n_questions, seed=7):
            start = time.perf_counter()
            await app.ask(question.text, limit=5)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        await app.close()
    return {
        "passages": passages,
        "ingest_per_s": passages / ingest_s,
        "index_s": index_s,
        "p50": statistics.median(times),
        "p99": percentile(times, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20_000, help="passages")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--sentences", type=int, default=12, help="per distractor article")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    eval_data.add_argument(parser)
    args = parser.parse_args()
    eval_data.use(args.data)
    admin = create_engine(db.sync_url(args.postgres), isolation_level="AUTOCOMMIT")
    name = f"newsbot_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    pg_url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            sizes = (args.size, args.questions, args.sentences)
            sqlite = asyncio.run(measure(f"sqlite:///{folder}/bench.db", *sizes))
            postgres = asyncio.run(measure(pg_url, *sizes))
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    print(f"{'':12} {'passages':>9} {'ingest/s':>9} {'index s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for label, r in (("SQLite", sqlite), ("PostgreSQL", postgres)):
        print(
            f"{label:12} {r['passages']:9.0f} {r['ingest_per_s']:9.0f} {r['index_s']:8.2f} "
            f"{r['p50']:7.2f} {r['p99']:7.2f}"
        )
    print(
        f"PostgreSQL/SQLite: ingest {postgres['ingest_per_s'] / sqlite['ingest_per_s']:.2f}x, "
        f"p50 {postgres['p50'] / sqlite['p50']:.2f}x, p99 {postgres['p99'] / sqlite['p99']:.2f}x"
    )


if __name__ == "__main__":
    main()
