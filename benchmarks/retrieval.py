"""Retrieval quality and speed on SQuAD, ours beside plain FTS5 BM25 and rapidfuzz brute force.

    python benchmarks/retrieval.py     # quality: top-k, typos, abstention (all tune questions)

Latency and memory at 10k-1M passages: benchmarks/scale.py.

Every paragraph is ingested as one article through the same code path as
`newsbot ingest --jsonl` (Ingestor.add_records). A question is right at rank k when a passage of
its own paragraph is among the first k results.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rapidfuzz import fuzz, process
from sqlalchemy import text
from squad import add_typos, load, sample

from newsbot.search.fts import fts_bm25
from newsbot.service import Newsbot
from newsbot.settings import Settings


async def open_db(folder: Path, name: str) -> Newsbot:
    settings = Settings(database_url=f"sqlite:///{folder / name}.db", _env_file=None)  # type: ignore[call-arg]
    return await Newsbot.open(settings)


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


def ranks_to_accuracy(ranks: list[int | None]) -> dict[int, float]:
    return {k: sum(1 for r in ranks if r is not None and r < k) / len(ranks) for k in (1, 3, 5)}


async def ours(
    app: Newsbot, questions: list[str], urls: dict[int, str], want: list[str]
) -> list[int | None]:
    ranks: list[int | None] = []
    for q, target in zip(questions, want, strict=True):
        result = await app.retriever.search(q, limit=5)
        found = [urls[h.passage_id] for h in result.hits]
        ranks.append(found.index(target) if target in found else None)
    return ranks


async def fts(
    app: Newsbot, questions: list[str], urls: dict[int, str], want: list[str]
) -> list[int | None]:
    ranks: list[int | None] = []
    async with app.sessions() as session:
        for q, target in zip(questions, want, strict=True):
            found = [urls[pid] for pid, _ in await fts_bm25(session, q, 5)]
            ranks.append(found.index(target) if target in found else None)
    return ranks


def brute_force(
    passages: dict[int, str], questions: list[str], urls: dict[int, str], want: list[str]
) -> list[int | None]:
    ids = list(passages)
    texts = [passages[i] for i in ids]
    ranks: list[int | None] = []
    for q, target in zip(questions, want, strict=True):
        best = process.extract(q, texts, scorer=fuzz.token_set_ratio, limit=5)
        found = [urls[ids[index]] for _, _, index in best]
        ranks.append(found.index(target) if target in found else None)
    return ranks


async def passage_texts(app: Newsbot) -> dict[int, str]:
    async with app.sessions() as session:
        rows = await session.execute(text("SELECT id, text FROM passages"))
        return {int(pid): str(body) for pid, body in rows}


def row(name: str, acc: dict[int, float]) -> str:
    return f"  {name:<32} top-1 {acc[1]:6.1%}   top-3 {acc[3]:6.1%}   top-5 {acc[5]:6.1%}"


async def quality(args: argparse.Namespace, folder: Path) -> None:
    records, all_questions = load()
    chosen = sample(all_questions, args.questions, seed=args.seed)
    rng = random.Random(args.seed)
    clean = [q.text for q in chosen]
    typod = [add_typos(q.text, rng) for q in chosen]
    want = [q.url for q in chosen]

    app = await open_db(folder, "all")
    seconds = await ingest(app, records)
    urls = await url_of_passages(app)
    print(
        f"SQuAD tune: {len(records)} paragraphs -> {len(urls)} passages "
        f"(ingested in {seconds:.1f} s), {len(chosen)} questions (seed {args.seed})"
    )
    results = {
        "ours, clean": ours(app, clean, urls, want),
        "ours, typos": ours(app, typod, urls, want),
        "FTS5 BM25 OR-query, clean": fts(app, clean, urls, want),
        "FTS5 BM25 OR-query, typos": fts(app, typod, urls, want),
    }
    for name, job in results.items():
        start = time.perf_counter()
        ranks = await job
        ms = (time.perf_counter() - start) / len(chosen) * 1000
        print(row(name, ranks_to_accuracy(ranks)) + f"   {ms:6.2f} ms/question")
    if args.brute_force:
        texts = await passage_texts(app)
        n = min(args.brute_force, len(chosen))
        print(f"  rapidfuzz brute force is slow: on the first {n} questions only")
        for name, qs in (
            ("rapidfuzz token_set_ratio, clean", clean),
            ("rapidfuzz token_set_ratio, typos", typod),
        ):
            start = time.perf_counter()
            ranks = brute_force(texts, qs[:n], urls, want[:n])
            ms = (time.perf_counter() - start) / n * 1000
            print(row(name, ranks_to_accuracy(ranks)) + f"   {ms:6.2f} ms/question")
    await app.close()

    # Abstention: index the paragraphs of half of the articles, ask the questions of all.
    titles = sorted({q.article for q in all_questions})
    inside = set(random.Random(args.seed).sample(titles, len(titles) // 2))
    half = [r for r in records if str(r["url"]).split("/")[3] in inside]
    app = await open_db(folder, "half")
    await ingest(app, half)
    in_q = [q for q in chosen if q.article in inside]
    out_q = [q for q in chosen if q.article not in inside]
    answered_in = [(await app.retriever.search(q.text)).answered for q in in_q]
    answered_out = [(await app.retriever.search(q.text)).answered for q in out_q]
    typo_in = [(await app.retriever.search(add_typos(q.text, rng))).answered for q in in_q]
    await app.close()
    print(f"Abstention ({len(inside)} of {len(titles)} articles indexed):")
    print(
        f"  in-corpus answered       {sum(answered_in) / len(in_q):6.1%}  ({len(in_q)} questions)"
    )
    print(f"  in-corpus answered, typos{sum(typo_in) / len(in_q):6.1%}")
    print(
        f"  out-of-corpus abstained  {1 - sum(answered_out) / len(out_q):6.1%}  ({len(out_q)} questions)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=100_000, help="sample size (default: all)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--brute-force",
        type=int,
        default=500,
        metavar="N",
        help="questions for the slow rapidfuzz baseline (0: skip)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(quality(args, Path(folder)))


if __name__ == "__main__":
    main()
