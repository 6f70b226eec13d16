"""Extraction benchmark: newsbot's stored text against trafilatura's defaults.

    .venv/bin/python benchmarks/extraction.py [--data /work/shared/eval/extraction-tune]

The data folder holds ``html/<id>.html.gz`` pages and ``ground-truth.json`` (id -> {articleBody,
url}), as in scrapinghub/article-extraction-benchmark. Scores are that benchmark's token-level
precision/recall/F1: bags of whitespace-separated tokens, overlap counted with multiplicity.

(a) trafilatura alone: ``trafilatura.extract(html)`` with its defaults.
(b) newsbot: the words newsbot stores, ``" ".join(split_into_passages(extract_html(...).text))``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

from newsbot.errors import NoArticleText
from newsbot.ingest.html import extract_html
from newsbot.ingest.passages import split_into_passages

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared/eval/extraction-tune"


def token_prf(expected: str, predicted: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the predicted text's tokens against the expected text's."""
    want, got = Counter(expected.split()), Counter(predicted.split())
    overlap = sum((want & got).values())
    precision = overlap / sum(got.values()) if got else 0.0
    recall = overlap / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass
class Scores:
    """Per-page scores and timings of one extractor."""

    name: str
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def add(self, page_id: str, expected: str, predicted: str | None, seconds: float) -> None:
        if not predicted:
            self.failed.append(page_id)
        p, r, f = token_prf(expected, predicted or "")
        self.precision.append(p)
        self.recall.append(r)
        self.f1.append(f)
        self.seconds.append(seconds)


def trafilatura_default(html: bytes, url: str | None) -> str | None:
    """Baseline (a): trafilatura's defaults, no URL, as the benchmark's own runs do."""
    del url
    return trafilatura.extract(html)


def newsbot_stored(html: bytes, url: str | None) -> str | None:
    """What newsbot stores for the page: its passages' words, in order."""
    try:
        article = extract_html(html, url=url)
    except NoArticleText:
        return None
    return " ".join(split_into_passages(article.text))


def load_pages(data: Path) -> list[tuple[str, bytes, str, str | None]]:
    """(id, html bytes, expected text, url) for every page that has a ground-truth entry."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for path in sorted((data / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        if page_id in truth:
            entry = truth[page_id]
            pages.append(
                (
                    page_id,
                    gzip.decompress(path.read_bytes()),
                    entry["articleBody"],
                    entry.get("url"),
                )
            )
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder")
    parser.add_argument("--worst", type=int, default=5, help="list the N worst pages of newsbot")
    args = parser.parse_args(argv)

    pages = load_pages(args.data)
    if not pages:
        print(f"no pages with ground truth in {args.data}", file=sys.stderr)
        return 1
    runs = [
        (Scores("trafilatura extract() defaults"), trafilatura_default),
        (Scores("newsbot stored text"), newsbot_stored),
    ]
    # Warm both up once (imports, caches) so the first page's time is not the set-up time.
    for _, run in runs:
        run(pages[0][1], pages[0][3])
    for page_id, html, expected, url in pages:
        for scores, run in runs:
            start = time.perf_counter()
            predicted = run(html, url)
            scores.add(page_id, expected, predicted, time.perf_counter() - start)

    print(f"{len(pages)} pages from {args.data}\n")
    header = f"{'extractor':32} {'precision':>9} {'recall':>7} {'F1':>6} {'failed':>6} "
    header += f"{'median ms':>9} {'pages/s':>8}"
    print(header)
    print("-" * len(header))
    for scores, _ in runs:
        total = sum(scores.seconds)
        print(
            f"{scores.name:32} {statistics.mean(scores.precision):9.4f} "
            f"{statistics.mean(scores.recall):7.4f} {statistics.mean(scores.f1):6.4f} "
            f"{len(scores.failed):6d} {statistics.median(scores.seconds) * 1000:9.1f} "
            f"{len(pages) / total if total else 0.0:8.1f}"
        )
    base, ours = runs[0][0], runs[1][0]
    delta = statistics.mean(ours.f1) - statistics.mean(base.f1)
    print(
        f"\nnewsbot F1 {statistics.mean(ours.f1):.4f} vs trafilatura {statistics.mean(base.f1):.4f}"
        f" ({delta:+.4f})"
    )
    if args.worst:
        print(f"\nnewsbot's {args.worst} lowest F1 (page: P / R / F1, trafilatura F1):")
        order = sorted(range(len(pages)), key=lambda i: ours.f1[i])[: args.worst]
        for i in order:
            print(
                f"  {pages[i][0][:16]}: {ours.precision[i]:.3f} / {ours.recall[i]:.3f} / "
                f"{ours.f1[i]:.3f}, {base.f1[i]:.3f}"
            )
    for scores, _ in runs:
        if scores.failed:
            print(f"{scores.name} failed on: {', '.join(p[:16] for p in scores.failed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
