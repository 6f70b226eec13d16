"""Extraction benchmark: newsbot's stored text against trafilatura's defaults, and newsbot
before/after its clutter layer, in the same run.

    .venv/bin/python benchmarks/extraction.py [--data ../shared/eval]

The data folder holds ``html/<id>.html.gz`` pages and ``ground-truth.json`` (id -> {articleBody,
url}), as in scrapinghub/article-extraction-benchmark. Scores are that benchmark's token-level
precision/recall/F1: bags of whitespace-separated tokens, overlap counted with multiplicity.

(a) trafilatura alone: ``trafilatura.extract(html)`` with its defaults.
(b) newsbot before the clutter layer: ``extract_html(..., clean=False)``.
(c) newsbot: the words newsbot stores, ``" ".join(split_into_passages(extract_html(...).text))``.

Beside F1, for each: the clutter count (lines of the text matching the clutter classes of issue
9, by this file's own patterns in `clutter_lines`, not newsbot's rules), the lead check (pages
whose ground truth's first sentence is in the text, among the pages whose visible text holds
that sentence's words and where it is not itself clutter), and "extra": lines of the text whose words are
nowhere in the ground truth.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import eval_data
import trafilatura

from newsbot.errors import NoArticleText
from newsbot.ingest.html import extract_html
from newsbot.ingest.passages import split_into_passages
from newsbot.ingest.sentences import split_sentences


def token_prf(expected: str, predicted: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the predicted text's tokens against the expected text's."""
    want, got = Counter(expected.split()), Counter(predicted.split())
    overlap = sum((want & got).values())
    precision = overlap / sum(got.values()) if got else 0.0
    recall = overlap / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# The benchmark's own detector of the clutter classes (issue 9), deliberately simple: a line
# counts when it matches one of these, whatever newsbot's rules say.
CLUTTER_PATTERNS: dict[str, re.Pattern[str]] = {
    "related": re.compile(
        r"^\W*(?:read more|related|also on|see more|see also|more:|don'?t miss|most read"
        r"|you may also like|recommended)\b|\[(?:INSIGHT|VIDEO|REACTION|PICS)\]|^More AP \w+:",
        re.IGNORECASE,
    ),
    "cta": re.compile(
        r"share (?:it|this) with|^\W*(?:subscribe|sign up)\b.{0,60}newsletter|newsletter$"
        r"|in your inbox|click here|^click (?:for|to)\b|click to tweet|^comments?$|if you enjoyed this article"
        r"|tell us what you think",
        re.IGNORECASE,
    ),
    "byline": re.compile(
        r"[\w.+-]+@[\w-]+\.[\w.]+|^by [A-Z]\w+ [A-Z]\w+\W*$|\bis an? (?:\w+ )?reporter\b"
        r"|^(?:updated|posted|published) (?:at|on) .{0,40}\d|^filed under:",
        re.IGNORECASE,
    ),
    "follow": re.compile(r"\bfollow \S+(?: \S+){0,4} on (?:twitter|facebook|instagram)", re.I),
    "caption": re.compile(r"©|^copyright\b|\b(?:photo|image) credit\b|getty images|ap photo", re.I),
    "tweet": re.compile(r"pic\.twitter\.com/|https?://t\.co/|^— .*\(@\w+\)"),
    "wire": re.compile(
        r"\((?:reporting|writing|editing) by\b|^additional reporting by\b|^source: [^.]{1,40}$"
        r"|contributed to this report|all rights reserved",
        re.IGNORECASE,
    ),
}


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def clutter_lines(text: str, headline: str | None = None) -> Counter[str]:
    """Lines of the text per clutter class (a line counts once, in its first class)."""
    found: Counter[str] = Counter()
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if headline and _key(line) == _key(headline):
            found["headline"] += 1
            continue
        for name, pattern in CLUTTER_PATTERNS.items():
            if pattern.search(line):
                found[name] += 1
                break
    return found


def first_sentence(expected: str) -> str:
    first = next((line for line in expected.split("\n") if line.strip()), "")
    sentences = split_sentences(first)
    return sentences[0] if sentences else first


def page_words(html: bytes) -> str:
    """The words of the page's visible text (no scripts or styles)."""
    tree = trafilatura.load_html(html)
    if tree is None:
        return ""
    for element in list(tree.iter("script", "style", "noscript")):
        element.getparent().remove(element)
    return _key(" ".join(tree.itertext()))


@dataclass
class Scores:
    """Per-page scores and timings of one extractor."""

    name: str
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    clutter: Counter[str] = field(default_factory=Counter)
    clutter_examples: list[str] = field(default_factory=list)
    leads: list[bool] = field(default_factory=list)  # pages where the lead could be kept
    extra: int = 0  # lines whose words are not in the ground truth

    def add(self, page_id: str, expected: str, predicted: str | None, seconds: float) -> None:
        if not predicted:
            self.failed.append(page_id)
        p, r, f = token_prf(expected, " ".join((predicted or "").split()))
        self.precision.append(p)
        self.recall.append(r)
        self.f1.append(f)
        self.seconds.append(seconds)

    def add_checks(
        self, page_id: str, expected: str, predicted: str | None, lead: str | None
    ) -> None:
        """Clutter, lead and extra lines of one page's text (lines as the extractor gave them)."""
        text = predicted or ""
        found = clutter_lines(text)
        self.clutter.update(found)
        if found:
            self.clutter_examples.extend(
                f"{page_id[:8]}: {line[:90]}"
                for line in text.split("\n")
                if line.strip() and clutter_lines(line)
            )
        if lead is not None:
            self.leads.append(_key(lead) in _key(text))
        truth = _key(expected)
        self.extra += sum(1 for line in text.split("\n") if _key(line) and _key(line) not in truth)


def trafilatura_default(html: bytes, url: str | None) -> str | None:
    """Baseline (a): trafilatura's defaults, no URL, as the benchmark's own runs do."""
    del url
    return trafilatura.extract(html)


def newsbot_before(html: bytes, url: str | None) -> str | None:
    """Baseline (b): newsbot's extraction without the clutter layer (and lead rescue)."""
    try:
        return extract_html(html, url=url, clean=False).text
    except NoArticleText:
        return None


def newsbot_stored(html: bytes, url: str | None) -> str | None:
    """What newsbot stores for the page: its passages, in order, one per line."""
    try:
        article = extract_html(html, url=url)
    except NoArticleText:
        return None
    return "\n".join(split_into_passages(article.text))


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
    eval_data.add_argument(parser)
    parser.add_argument("--worst", type=int, default=5, help="list the N worst pages of newsbot")
    args = parser.parse_args(argv)

    folder = eval_data.use(args.data) / "extraction-tune"
    pages = load_pages(folder)
    if not pages:
        print(f"no pages with ground truth in {folder}", file=sys.stderr)
        return 1
    runs = [
        (Scores("trafilatura extract() defaults"), trafilatura_default),
        (Scores("newsbot before clutter layer"), newsbot_before),
        (Scores("newsbot stored text"), newsbot_stored),
    ]
    # Warm both up once (imports, caches) so the first page's time is not the set-up time.
    for _, run in runs:
        run(pages[0][1], pages[0][3])
    truth_clutter: Counter[str] = Counter()
    for page_id, html, expected, url in pages:
        first = first_sentence(expected)
        lead: str | None = first
        words = Counter(_key(first).split())
        if not words or words - Counter(page_words(html).split()) or clutter_lines(first):
            lead = None  # the page does not hold its words, or it is clutter itself
        truth_clutter.update(clutter_lines(expected))
        for scores, run in runs:
            start = time.perf_counter()
            predicted = run(html, url)
            scores.add(page_id, expected, predicted, time.perf_counter() - start)
            scores.add_checks(page_id, expected, predicted, lead)

    print(f"{len(pages)} pages from {folder}\n")
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
    print(
        f"\n{'extractor':32} {'clutter lines':>13} {'lead kept':>10} {'extra lines':>11}  by class"
    )
    for scores, _ in runs:
        kept = f"{sum(scores.leads)}/{len(scores.leads)}"
        classes = ", ".join(f"{k} {v}" for k, v in sorted(scores.clutter.items())) or "-"
        print(
            f"{scores.name:32} {sum(scores.clutter.values()):13d} {kept:>10} {scores.extra:11d}"
            f"  {classes}"
        )
    classes = ", ".join(f"{k} {v}" for k, v in sorted(truth_clutter.items())) or "-"
    print(
        f"{'(the ground truth itself)':32} {sum(truth_clutter.values()):13d} {'':>10} {'':>11}"
        f"  {classes}"
    )
    ours_clutter = runs[-1][0].clutter_examples
    if ours_clutter:
        print(f"\nclutter lines left in newsbot's stored text ({len(ours_clutter)}):")
        for line in ours_clutter:
            print(f"  {line}")
    base, ours = runs[0][0], runs[-1][0]
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
