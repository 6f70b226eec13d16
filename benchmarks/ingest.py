"""Ingest throughput: JSONL articles/s and HTML pages/s, beside baselines from the same run.

    python benchmarks/ingest.py [--articles 20000]

- JSONL: N articles of 4 real SQuAD sentences through `Ingestor.add_records` (the code path of
  `newsbot ingest --jsonl`), against the ceiling of a bare sqlite3 executemany of the same texts
  into a table with the same FTS5 trigger (no cleaning, splitting, de-duplication).
- HTML: the extraction-tune pages through `Ingestor.add_files` (trafilatura in a process per core,
  cleaning, passages, storage), against `trafilatura.extract` alone on the same pages.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
import trafilatura
from corpus import distractors
from retrieval import open_db


def bare_sqlite(records: list[dict[str, object]], folder: Path) -> float:
    """Seconds for sqlite3 alone to store the texts with an FTS5 trigger."""
    connection = sqlite3.connect(folder / "bare.db")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, article INT, text TEXT)")
    connection.execute(
        "CREATE VIRTUAL TABLE f USING fts5(text, content='p', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    connection.execute(
        "CREATE TRIGGER t AFTER INSERT ON p BEGIN "
        "INSERT INTO f(rowid, text) VALUES (new.id, new.text); END"
    )
    start = time.perf_counter()
    for i in range(0, len(records), 1000):
        with connection:
            connection.executemany(
                "INSERT INTO p (article, text) VALUES (?, ?)",
                [(j, r["text"]) for j, r in enumerate(records[i : i + 1000])],
            )
    seconds = time.perf_counter() - start
    connection.close()
    return seconds


async def jsonl(n: int, folder: Path) -> None:
    records = list(distractors(n))
    app = await open_db(folder, "jsonl")
    start = time.perf_counter()
    passages = 0
    async for result in app.ingestor.add_records((f"r{i}", r) for i, r in enumerate(records)):
        passages += result.passages
    ours = time.perf_counter() - start
    start = time.perf_counter()
    await app.retriever.refresh()
    index = time.perf_counter() - start
    await app.close()
    bare = bare_sqlite(records, folder)
    print(f"JSONL, {n} articles ({passages} passages):")
    print(
        f"  newsbot ingest --jsonl path  {n / ours:8.0f} articles/s  {passages / ours:8.0f} passages/s"
    )
    print(
        f"  bare sqlite3 + FTS5 trigger  {n / bare:8.0f} articles/s  (ceiling: no cleaning or splitting)"
    )
    print(
        f"  search index build           {passages / index:8.0f} passages/s (in the answering process)"
    )


async def html(folder: Path) -> None:
    pages = sorted(eval_data.path("extraction-tune", "html").glob("*.html.gz"))
    for page in pages:
        (folder / page.name.removesuffix(".gz")).write_bytes(gzip.decompress(page.read_bytes()))
    files = sorted(folder.glob("*.html"))
    start = time.perf_counter()
    for path in files:
        trafilatura.extract(path.read_bytes())
    alone = time.perf_counter() - start
    app = await open_db(folder, "html")
    start = time.perf_counter()
    statuses = [result.status async for result in app.ingestor.add_files(files)]
    ours = time.perf_counter() - start
    await app.close()
    print(
        f"HTML, {len(files)} real news pages ({statuses.count('added')} added, "
        f"{statuses.count('duplicate')} duplicates, {statuses.count('failed')} failed):"
    )
    print(f"  newsbot ingest FILES         {len(files) / ours:8.1f} pages/s")
    print(f"  trafilatura.extract alone    {len(files) / alone:8.1f} pages/s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=20_000)
    eval_data.add_argument(parser)
    args = parser.parse_args()
    eval_data.use(args.data)
    print(f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(jsonl(args.articles, Path(folder)))
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(html(Path(folder)))


if __name__ == "__main__":
    main()
