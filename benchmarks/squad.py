"""SQuAD tune data for the retrieval benchmarks: paragraphs as JSON articles, questions, typos."""

from __future__ import annotations

import gzip
import json
import random
import re
from dataclasses import dataclass

import eval_data


@dataclass(frozen=True)
class Question:
    text: str
    url: str  # the paragraph it belongs to
    article: str  # SQuAD article title
    impossible: bool = False  # SQuAD 2.0: the paragraph doesn't answer it


SQUAD = "squad-tune.json.gz"
SQUAD2 = "squad2-tune.json.gz"
NQ_OPEN = "nq-open-tune.jsonl.gz"


def load(name: str = SQUAD, site: str = "squad") -> tuple[list[dict[str, object]], list[Question]]:
    """(one JSON article per paragraph, every question), in file order (any SQuAD-format file
    of the evaluation data, by its path inside it: SQuAD, SQuAD 2.0, TyDi QA GoldP, XQuAD)."""
    content = json.loads(gzip.decompress(eval_data.path(name).read_bytes()))
    records: list[dict[str, object]] = []
    questions: list[Question] = []
    for article in content["data"]:
        title = article["title"].replace("_", " ")
        for number, paragraph in enumerate(article["paragraphs"]):
            url = f"https://{site}.example/{article['title']}/{number}"
            records.append({"url": url, "title": title, "text": paragraph["context"]})
            for qa in paragraph["qas"]:
                impossible = bool(qa.get("is_impossible"))
                questions.append(Question(qa["question"], url, article["title"], impossible))
    return records, questions


def load_nq(name: str = NQ_OPEN) -> list[str]:
    """NQ-open's real search queries (no passages: against a news corpus, to be declined)."""
    lines = gzip.decompress(eval_data.path(name).read_bytes()).decode("utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def add_typos(text: str, rng: random.Random, share: float = 0.3) -> str:
    """Keyboard-style slips (swap, drop, double or replace one letter) in ~30% of longer words."""

    def slip(match: re.Match[str]) -> str:
        word = match.group()
        if len(word) <= 3 or rng.random() >= share:
            return word
        i = rng.randrange(len(word) - 1)
        kind = rng.choice(("swap", "drop", "double", "replace"))
        if kind == "swap":
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if kind == "drop":
            return word[:i] + word[i + 1 :]
        if kind == "double":
            return word[:i] + word[i] + word[i:]
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz".replace(word[i].lower(), ""))
        return word[:i] + letter + word[i + 1 :]

    return re.sub(r"[A-Za-z]+", slip, text)


def sample(questions: list[Question], n: int, seed: int = 7) -> list[Question]:
    """A fixed random sample of questions."""
    rng = random.Random(seed)
    return rng.sample(questions, min(n, len(questions)))
