"""Passage splitting throughput (was the timed unit test `test_passages.py::test_speed`).

    .venv/bin/python benchmarks/passages.py [--data ../shared/eval] [--repeats 500] [--runs 5]

Ingest must reach 5,000 passages/s overall and splitting is a small part of that budget, so
`split_into_passages` alone should be well above it. Input: the first 3,000 characters of the
extraction-tune articles' ground-truth text, joined, split `--repeats` times per run. Baseline in
the same run: cutting the same text at blank lines (what splitting costs without sentences,
headings and lengths). Medians of `--runs` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data

from newsbot.ingest.passages import split_into_passages

TARGET = 5_000  # passages/s, the whole ingest's target


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def rate(split: Callable[[str], list[str]], text: str, repeats: int) -> float:
    start = time.perf_counter()
    count = sum(len(split(text)) for _ in range(repeats))
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    eval_data.add_argument(parser)
    args = parser.parse_args()
    truth = eval_data.use(args.data) / "extraction-tune" / "ground-truth.json"
    bodies = [str(e["articleBody"]) for e in json.loads(truth.read_text("utf-8")).values()]
    article = "\n\n".join(bodies)[:3000]
    ours = [rate(split_into_passages, article, args.repeats) for _ in range(args.runs)]
    base = [rate(paragraphs, article, args.repeats) for _ in range(args.runs)]
    print(f"{len(split_into_passages(article))} passages per article, {args.runs} runs")
    print(f"split_into_passages  {statistics.median(ours):10,.0f} passages/s (median)")
    print(f"blank-line split     {statistics.median(base):10,.0f} paragraphs/s (baseline)")
    verdict = "met" if statistics.median(ours) > TARGET else "NOT met"
    print(f"target {TARGET:,}/s: {verdict}")


if __name__ == "__main__":
    main()
