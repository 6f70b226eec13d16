"""Everything the ranking and the "answered" decision read, per tune question, saved once so
that fusion weights, pool sizes and the answered model can be fitted without re-running.

    python benchmarks/evidence_dump.py [--questions N]     # -> /work/cache/evidence-dump.pickle

For each corpus of benchmarks/suites.py and each question asked against it: the lexical
ranking of the first 12 (today's pool), 20 and 30 candidates, the lexical confidence of
each, the cosine of every candidate with the question, the question's terms, and the
passages' texts with the index's IDF. benchmarks/tune_answered.py reads it.
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
from sqlalchemy import text
from suites import corpora, open_corpus, question_sets, typo_texts
from vector_cache import CachedEncoder

from newsbot.search.evidence import QueryTerm
from newsbot.search.fts import fts_bm25

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


@dataclass
class Corpus:
    name: str
    url: dict[int, str] = field(default_factory=dict)  # passage id -> paragraph url
    article: dict[int, int] = field(default_factory=dict)  # passage id -> article id
    passage: dict[int, str] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    max_idf: float = 0.0


async def dump(n: int) -> tuple[dict[str, Corpus], list[Asked]]:
    encoder = CachedEncoder()
    sets = question_sets(n)
    records = corpora()
    out: list[Asked] = []
    info: dict[str, Corpus] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, asked in PLAN.items():
            app, _, _ = await open_corpus(Path(folder), name, records[name], encoder)
            retriever = app.retriever
            corpus = Corpus(name)
            async with app.sessions() as session:
                rows = await session.execute(
                    text(
                        "SELECT p.id, a.url, p.article_id, p.text FROM passages p "
                        "JOIN articles a ON a.id = p.article_id"
                    )
                )
                for pid, url, aid, body in rows:
                    corpus.url[int(pid)] = str(url)
                    corpus.article[int(pid)] = int(aid)
                    corpus.passage[int(pid)] = str(body)
                corpus.idf = {t: retriever.index.idf(t) for t in retriever.index.term_ids}
                corpus.max_idf = retriever.index.max_idf()
                info[name] = corpus
                for key, typos in asked:
                    qs = sets[key].questions
                    variants = [("clean", [q.text for q in qs])]
                    if typos:
                        variants.append(("typos", typo_texts(qs)))
                    for variant, texts in variants:
                        encoder.queries(texts)
                        for q, question in zip(qs, texts, strict=True):
                            fts = [pid for pid, _ in await fts_bm25(session, question, 5)]
                            got = {
                                pool: await retriever.rank(question, pool, dense=False)
                                for pool in POOLS
                            }
                            pids = {c.passage_id for r in got.values() for _, c in r.ranked}
                            query = encoder.query(question)
                            cos = retriever.vectors.cosines(query, sorted(pids))
                            out.append(
                                Asked(
                                    key,
                                    variant,
                                    question,
                                    q.url,
                                    fts,
                                    {
                                        p: [(s, c.passage_id) for s, c in r.ranked]
                                        for p, r in got.items()
                                    },
                                    {p: r.lexical_confidence for p, r in got.items()},
                                    dict(zip(sorted(pids), map(float, cos), strict=True)),
                                    got[POOL].ranked[0][1].query if got[POOL].ranked else [],
                                )
                            )
                        print(f"{name} {key} {variant}: {len(texts)} questions", flush=True)
            await app.close()
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
