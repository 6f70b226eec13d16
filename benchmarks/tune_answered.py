"""Fit the "answered" decision on the SQuAD tune set (not a benchmark).

    python benchmarks/tune_answered.py

Index the paragraphs of half of the articles, ask every tune question, and learn from the best
candidate's evidence whether the question's paragraph is indexed (logistic regression). Two
different halves: fit on one, check on the other, so the line doesn't fit single questions.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from retrieval import ingest, open_db
from squad import add_typos, load

from newsbot.search.evidence import answer_evidence


async def rows_for(inside: set[str], records, questions, folder: Path, name: str):  # type: ignore[no-untyped-def]
    app = await open_db(folder, name)
    await ingest(app, [r for r in records if str(r["url"]).split("/")[3] in inside])
    x, y = [], []
    for text, article in questions:
        found = await app.retriever.candidates(text)
        if not found:
            x.append(None)
        else:
            ranked = sorted(found, key=lambda c: -app.retriever.score(c.features))
            x.append(answer_evidence(ranked))
        y.append(article in inside)
    await app.close()
    width = len(next(v for v in x if v is not None))
    return np.array([v if v is not None else [0.0] * width for v in x]), np.array(y)


def fit(x: np.ndarray, y: np.ndarray, steps: int = 4000, lr: float = 0.5) -> np.ndarray:
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xb @ w))
        w -= lr * xb.T @ (p - y) / len(y)
    return w


def rates(x: np.ndarray, y: np.ndarray, w: np.ndarray, line: float) -> tuple[float, float]:
    z = np.hstack([x, np.ones((len(x), 1))]) @ w
    answered = z >= line
    return float(answered[y].mean()), float((~answered[~y]).mean())


def single_feature_report(x: np.ndarray, y: np.ndarray, n_clean: int) -> None:
    """Each feature alone, thresholded to answer 95% of in-corpus clean questions."""
    for k in range(x.shape[1]):
        xc, yc = x[:n_clean, k], y[:n_clean]
        line = np.quantile(xc[yc], 0.05)
        print(f"  feature {k}: line {line:.3f}, abstained {(xc[~yc] < line).mean():.1%}")


async def main() -> None:
    records, questions = load()
    rng = random.Random(5)
    titles = sorted({q.article for q in questions})
    qs = [(q.text, q.article) for q in questions]
    typo = [(add_typos(t, rng), a) for t, a in qs]
    halves = []
    for seed in (1, 2):
        halves.append(set(random.Random(seed).sample(titles, len(titles) // 2)))
    with tempfile.TemporaryDirectory() as folder:
        data = [
            await rows_for(h, records, qs + typo, Path(folder), f"h{i}")
            for i, h in enumerate(halves)
        ]
    (x0, y0), (x1, y1) = data
    single_feature_report(x0, y0, len(qs))
    w = fit(x0, y0.astype(float))
    z0 = np.hstack([x0, np.ones((len(x0), 1))]) @ w
    clean = np.arange(len(y0)) < len(qs)
    line = float(np.quantile(z0[y0 & clean], 0.04))  # answer 96% of in-corpus clean questions
    print("ANSWER_MODEL =", tuple(np.round(w[:-1], 3).tolist()))
    print("ANSWER_BIAS =", round(float(w[-1] - line), 3))
    for name, (x, y) in (("fit half", (x0, y0)), ("other half", (x1, y1))):
        n = len(qs)
        a_clean, abst = rates(x[:n], y[:n], w, line)
        a_typo, _ = rates(x[n:], y[n:], w, line)
        print(
            f"{name}: in-corpus answered {a_clean:.1%} (typos {a_typo:.1%}), "
            f"out-of-corpus abstained {abst:.1%}"
        )


if __name__ == "__main__":
    asyncio.run(main())
