"""Synthetic corpora for the speed benchmarks, built from real sentences.

Distractor articles are 4 random sentences (a fixed seed) of the real news articles in
`shared/eval/extraction-tune` (their ground-truth text): real words and lengths, and none of
the SQuAD paragraphs' own sentences, so the SQuAD questions still have one right paragraph.
An id in the URL keeps every distractor distinct.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator

import eval_data

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def sentences() -> list[str]:
    """Every sentence (over 20 characters) of the extraction-tune articles."""
    ground_truth = eval_data.path("extraction-tune", "ground-truth.json")
    truth = json.loads(ground_truth.read_text(encoding="utf-8"))
    out: list[str] = []
    for entry in truth.values():
        for paragraph in str(entry["articleBody"]).split("\n"):
            out.extend(s for s in _SENTENCE_END.split(paragraph.strip()) if len(s) > 20)
    return out


def distractors(n: int, seed: int = 13, per: int = 4) -> Iterator[dict[str, object]]:
    """`n` JSON articles of `per` random sentences each."""
    pool = sentences()
    rng = random.Random(seed)
    for i in range(n):
        body = " ".join(rng.choice(pool) for _ in range(per))
        yield {"url": f"https://distractor.example/{i}", "title": f"Distractor {i}", "text": body}
