"""Fit the hybrid "answered" decision (search/hybrid.py ANSWERED_WEIGHTS) on the tune sets.

    python benchmarks/tune_answered.py [--questions N] [--answer-share 0.96]

Runs the question sets of benchmarks/retrieval.py (the same corpora, cached vectors) and
fits a logistic regression of "this question's paragraph is indexed and answerable" on the top
passage's evidence (`hybrid.answer_features`):
  positives: SQuAD questions of the indexed half (clean and typo'd), SQuAD 2.0 answerable
  ones, TyDi QA en/ru and XQuAD ru questions (their paragraphs are indexed);
  negatives: SQuAD questions of the other half (clean and typo'd), SQuAD 2.0 unanswerable
  questions (against their own paragraphs), NQ-open queries (out of domain).
Features are standardized for the fit and the weights mapped back. The operating point is the
line where `--answer-share` of the in-corpus clean SQuAD questions are answered. A 2-fold check
(fit on even-numbered questions, report on odd ones) shows the line doesn't fit single ones.
Paste the printed constants into search/hybrid.py.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
from retrieval import OUTCOMES, collect

BALANCED = True
POSITIVE = {"squad-in", "squad2-answerable", "tydi-en", "tydi-ru", "xquad-ru"}


def fit(
    x: np.ndarray, y: np.ndarray, steps: int = 3000, lr: float = 0.5, l2: float = 1e-3
) -> np.ndarray:
    """Logistic regression by gradient descent on standardized features; raw-scale weights."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    xs = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    # Each class weighs the same, whatever the number of questions in it.
    sample_weight = (
        np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean())) if BALANCED else np.ones(len(y))
    )
    w = np.zeros(xs.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xs @ w))
        grad = xs.T @ ((p - y) * sample_weight) / len(y) + l2 * np.append(w[:-1], 0)
        w -= lr * grad
    raw = w[:-1] / std
    return np.append(raw, w[-1] - float(raw @ mean))


def z_of(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    z: np.ndarray = x @ w[:-1] + w[-1]
    return z


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=600)
    parser.add_argument("--answer-share", type=float, default=0.96)
    parser.add_argument("--load", action="store_true", help=f"use the outcomes saved in {OUTCOMES}")
    parser.add_argument("--unbalanced", action="store_true", help="don't weigh the classes equally")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--leave-out", nargs="*", default=[], help="question sets not fitted on")
    eval_data.add_argument(parser)
    args = parser.parse_args()
    eval_data.use(args.data)
    global BALANCED
    BALANCED = not args.unbalanced
    if args.load:
        results = pickle.loads(OUTCOMES.read_bytes())
    else:
        results = asyncio.run(collect(args.questions))
    rows: list[tuple[str, str, list[float], bool]] = []
    for (key, variant), outcomes in results.items():
        for o in outcomes:
            if key in args.leave_out:
                continue
            if o.features is None or np.isnan(o.features[1]):
                continue  # no candidate, or no vector: the lexical rule decides those
            rows.append((key, variant, o.features, key in POSITIVE))
    x = np.array([r[2] for r in rows], dtype=np.float64)
    y = np.array([r[3] for r in rows], dtype=np.float64)
    keys = [(r[0], r[1]) for r in rows]
    squad_in = np.array([k == ("squad-in", "clean") for k in keys])

    def line_for(w: np.ndarray, mask: np.ndarray) -> float:
        return float(np.quantile(z_of(x[mask & squad_in], w), 1 - args.answer_share))

    def show(w: np.ndarray, line: float, mask: np.ndarray, title: str) -> None:
        answered = z_of(x, w) >= line
        print(title)
        for key in sorted(set(keys)):
            m = mask & np.array([k == key for k in keys])
            if m.any():
                share = answered[m].mean()
                label = "answered" if key[0] in POSITIVE else "declined"
                value = share if key[0] in POSITIVE else 1 - share
                print(f"  {key[0]:<18} {key[1]:<6} {label} {value:6.1%}  ({m.sum()})")

    index = np.arange(len(rows))
    even, odd = index % 2 == 0, index % 2 == 1
    w_half = fit(x[even], y[even], steps=args.steps)
    show(
        w_half,
        line_for(w_half, even),
        odd,
        "2-fold check: fitted on even questions, shown on odd ones",
    )
    w = fit(x, y, steps=args.steps)
    line = line_for(w, np.ones(len(rows), dtype=bool))
    show(w, line, np.ones(len(rows), dtype=bool), "fitted on all tune questions")
    print("ANSWERED_WEIGHTS =", tuple(round(float(v), 4) for v in w[:-1]))
    print("ANSWERED_BIAS =", round(float(w[-1] - line), 4))


if __name__ == "__main__":
    main()
