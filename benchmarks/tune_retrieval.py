"""Fit the reranker's weights and the "answered" line on the SQuAD tune set (not a benchmark).

    python benchmarks/tune_retrieval.py

Features come from the retriever itself; weights are searched on all tune questions (clean and
with typos), checked by two-fold cross-validation over articles so they don't fit single ones.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
from retrieval import ingest, open_db, url_of_passages
from squad import add_typos, load

from newsbot.search.retriever import Weights
from newsbot.service import Newsbot

# The reranker's features, by the names of their weights.
NAMES = [f.name for f in fields(Weights) if f.name != "answer_threshold"]


Sample = tuple[np.ndarray, np.ndarray, str]


async def collect(
    app: Newsbot, questions: list[tuple[str, str, str]], urls: dict[int, str]
) -> list[Sample]:
    """Per question: (feature matrix of candidates, label vector, article)."""
    out: list[Sample] = []
    for text, url, article in questions:
        found = await app.retriever.candidates(text)
        if not found:
            out.append((np.zeros((0, len(NAMES))), np.zeros(0, bool), article))
            continue
        x = np.array([[getattr(c.features, n) for n in NAMES] for c in found], dtype=float)
        y = np.array([urls[c.passage_id] == url for c in found])
        out.append((x, y, article))
    return out


def top1(data: list[Sample], w: np.ndarray) -> float:
    hits = 0
    for x, y, _ in data:
        if len(y):
            hits += bool(y[int(np.argmax(x @ w))])
    return hits / len(data)


async def main() -> None:
    records, questions = load()
    rng = random.Random(11)
    qs = [(q.text, q.url, q.article) for q in questions]
    typo = [(add_typos(t, rng), u, a) for t, u, a in qs]
    with tempfile.TemporaryDirectory() as folder:
        app = await open_db(Path(folder), "all")
        await ingest(app, records)
        urls = await url_of_passages(app)
        data = await collect(app, qs, urls) + await collect(app, typo, urls)
        await app.close()
    print("features:", NAMES)
    grid = {
        "bm25": [1.0],
        "coverage": [1.0, 2.0, 3.0],
        "bigrams": [0.25, 0.5, 1.0],
        "proximity": [0.0, 0.3, 0.6],
        "title": [0.0, 0.2],
        "article_coverage": [0.0, 1.0, 2.0, 3.0, 4.0],
    }
    articles = sorted({a for _, _, a in data})
    fold = {a: i % 2 for i, a in enumerate(articles)}
    results = []
    for combo in itertools.product(*(grid[n] for n in NAMES)):
        w = np.array(combo)
        results.append((top1(data, w), combo))
    current = np.array([getattr(Weights(), n) for n in NAMES])
    print(f"current weights: top-1 {top1(data, current):.4f}")
    results.sort(reverse=True)
    for score, combo in results[:8]:
        w = np.array(combo)
        folds = [top1([d for d in data if fold[d[2]] == k], w) for k in (0, 1)]
        print(
            f"top-1 {score:.4f}  folds {folds[0]:.4f}/{folds[1]:.4f}  {dict(zip(NAMES, combo, strict=True))}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    eval_data.add_argument(parser)
    eval_data.use(parser.parse_args().data)
    asyncio.run(main())
