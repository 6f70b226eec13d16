"""The tune corpora and question sets shared by retrieval.py and tune_answered.py.

Every corpus is ingested paragraph by paragraph through `Ingestor.add_records` (the path of
`newsbot ingest --jsonl`), then embedded by the service's own EmbeddingWorker with a cached
encoder (vector_cache.py), so reruns cost no model time.

    python benchmarks/suites.py      # fill the vector cache for every corpus and question set
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
import numpy as np
from squad import SQUAD, SQUAD2, Question, add_typos, load, load_nq, sample
from vector_cache import CachedEncoder

from newsbot.search.dense import Encoder
from newsbot.search.results import Ranking
from newsbot.service import Newsbot
from newsbot.settings import Settings

SEED = 7


@dataclass
class QuestionSet:
    name: str
    questions: list[Question]
    typos: bool = True  # add_typos only slips Latin letters: off for Russian


INDEXED_ARTICLES = 9
"""The first 9 of squad-tune's 24 articles (file order) are indexed, the other 15 not: 607 of
the 1,504 passages, what e5 could embed on the shared machine in this session's time."""


def half(questions: list[Question], seed: int = SEED) -> set[str]:
    """The indexed SQuAD articles (a fixed choice by file order, see INDEXED_ARTICLES)."""
    return set(list(dict.fromkeys(q.article for q in questions))[:INDEXED_ARTICLES])


def _sample_paragraphs(
    name: str, site: str, n: int
) -> tuple[list[dict[str, object]], list[Question]]:
    """A fixed sample of `n` paragraphs of a SQuAD-format file, with their questions."""
    records, questions = load(name, site)
    chosen = {str(r["url"]) for r in random.Random(SEED).sample(records, min(n, len(records)))}
    return [r for r in records if r["url"] in chosen], [q for q in questions if q.url in chosen]


def squad_data() -> tuple[list[dict[str, object]], list[Question]]:
    return load(SQUAD)


TYDI_EN = ("tydiqa-tune/english.json.gz", "tydi-en", 120)
TYDI_RU = ("tydiqa-tune/russian.json.gz", "tydi-ru", 100)
XQUAD_RU = ("xquad-tune/ru.json.gz", "xquad-ru", 60)


def whole_articles(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """SQuAD's paragraphs joined back into their Wikipedia articles (one record each, the
    paragraphs as paragraphs, url `https://<site>/<title>`): a corpus of whole articles, as
    newsbot stores news, where a paragraph's question may name what another paragraph says."""
    articles: dict[str, dict[str, object]] = {}
    for record in records:
        url = article_url(str(record["url"]))
        article = articles.setdefault(url, {"url": url, "title": record["title"], "text": ""})
        article["text"] = f"{article['text']}\n\n{record['text']}".strip()
    return list(articles.values())


def article_url(paragraph_url: str) -> str:
    """The url of a SQuAD paragraph's article in `whole_articles`."""
    return paragraph_url.rsplit("/", 1)[0]


def corpora() -> dict[str, list[dict[str, object]]]:
    """name -> records (each paragraph one article).

    On two shared cores e5 embedded ~0.5-8 passages/s this session, so the English corpus is
    the indexed part of squad-tune (INDEXED_ARTICLES: its questions measure top-k, the other
    articles' questions must be declined), and TyDi/XQuAD are fixed samples of paragraphs.
    """
    squad, squad_q = load(SQUAD)
    inside = half(squad_q)
    squad_half = [r for r in squad if str(r["url"]).split("/")[3] in inside]
    squad2, _ = load(SQUAD2, "squad2")
    tydi_en, _ = _sample_paragraphs(*TYDI_EN)
    tydi_ru, _ = _sample_paragraphs(*TYDI_RU)
    xquad_ru, _ = _sample_paragraphs(*XQUAD_RU)
    return {
        "squad-half": squad_half,
        # SQuAD 2.0 paragraphs of the same articles (the unanswerable questions' own topics).
        "squad2": [r for r in squad2 if str(r["url"]).split("/")[3] in inside],
        # The same two as whole articles (their questions are right at the article level).
        "squad-whole": whole_articles(squad_half),
        "squad2-whole": whole_articles(
            [r for r in squad2 if str(r["url"]).split("/")[3] in inside]
        ),
        # TyDi's corpora are small: other passages of the same language are distractors.
        "tydi-en": tydi_en + squad_half,
        "ru": tydi_ru + xquad_ru,
    }


def question_sets(n: int = 600) -> dict[str, QuestionSet]:
    _, squad_q = load(SQUAD)
    inside = half(squad_q)
    _, squad2_q = load(SQUAD2, "squad2")
    squad2_q = [q for q in squad2_q if q.article in inside]
    _, tydi_en = _sample_paragraphs(*TYDI_EN)
    _, tydi_ru = _sample_paragraphs(*TYDI_RU)
    _, xquad_ru = _sample_paragraphs(*XQUAD_RU)
    nq = [Question(q, "", "") for q in load_nq()]
    return {
        "squad-in": QuestionSet(
            "SQuAD (in corpus)", sample([q for q in squad_q if q.article in inside], n, SEED)
        ),
        "squad-out": QuestionSet(
            "SQuAD (out of corpus)",
            sample([q for q in squad_q if q.article not in inside], n, SEED),
        ),
        "squad2-impossible": QuestionSet(
            "SQuAD 2.0 unanswerable", sample([q for q in squad2_q if q.impossible], n // 2, SEED)
        ),
        "squad2-answerable": QuestionSet(
            "SQuAD 2.0 answerable", sample([q for q in squad2_q if not q.impossible], n // 2, SEED)
        ),
        "nq": QuestionSet("NQ-open", sample(nq, n // 2, SEED), typos=False),
        "tydi-en": QuestionSet("TyDi en", tydi_en),
        "tydi-ru": QuestionSet("TyDi ru", tydi_ru, typos=False),
        "xquad-ru": QuestionSet("XQuAD ru", sample(xquad_ru, n // 2, SEED), typos=False),
    }


def typo_texts(questions: list[Question], seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    return [add_typos(q.text, rng) for q in questions]


async def open_corpus(
    folder: Path, name: str, records: list[dict[str, object]], encoder: Encoder | None
) -> tuple[Newsbot, float, float]:
    """A database holding the corpus (embedded when `encoder`): (service, ingest s, embed s)."""
    settings = Settings(database_url=f"sqlite:///{folder / name}.db", _env_file=None)
    app = await Newsbot.open(settings, encoder=encoder)
    start = time.perf_counter()
    async for _ in app.ingestor.add_records((f"{name}:{i}", r) for i, r in enumerate(records)):
        pass
    await app.retriever.refresh()
    ingest = time.perf_counter() - start
    start = time.perf_counter()
    await app.embed_pending()
    await app.retriever.refresh()
    return app, ingest, time.perf_counter() - start


async def warm() -> None:
    encoder = CachedEncoder()
    with tempfile.TemporaryDirectory() as folder:
        for name, records in corpora().items():
            app, ingest, embed = await open_corpus(Path(folder), name, records, encoder)
            print(f"{name}: {len(records)} records, ingest {ingest:.1f} s, embed {embed:.1f} s")
            await app.close()
    for key, qs in question_sets().items():
        start = time.perf_counter()
        encoder.queries([q.text for q in qs.questions])
        if qs.typos:
            encoder.queries(typo_texts(qs.questions))
        print(f"{key}: {len(qs.questions)} questions in {time.perf_counter() - start:.1f} s")
    print(f"cache hits {encoder.hits}, misses {encoder.misses}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    eval_data.add_argument(parser)
    eval_data.use(parser.parse_args().data)
    asyncio.run(warm())


def held_out(group: str) -> bool:
    """Whether a question is in the held-out half of its set: a hash of its group (its
    paragraph's url, or the question itself for NQ-open), so the questions of one paragraph are
    all on one side. Constants are fitted on the other half (benchmarks/tune_answered.py)."""
    return zlib.crc32(group.encode()) % 2 == 1


def group_of(question: Question) -> str:
    return question.url or question.text


@dataclass
class Outcome:
    """One question against one corpus: where its paragraph ranks (None: not in the top 5)
    for FTS5, the lexical retriever, the hybrid as it was (pool 12, a = 0.6, the lab's line)
    and as it is, and the "answered" decisions."""

    fts: int | None
    lexical: int | None
    before: int | None
    hybrid: int | None
    lexical_answered: bool
    before_answered: bool
    hybrid_answered: bool
    seconds_lexical: float
    seconds_hybrid: float
    held_out: bool = False


def _rank_of(urls: list[str], target: str) -> int | None:
    return urls.index(target) if target in urls[:5] else None


LAB_LINE = (1.0, 139.3, -115.1)
"""The "answered" rule before the evidence model: logit(lexical confidence) + 139.3·cos >= 115.1."""
BEFORE_POOL, BEFORE_WEIGHT = 12, 0.6


def _before(ranking: Ranking, url_of: dict[int, str]) -> tuple[list[str], bool]:
    """The hybrid of before the evidence model: lexical top-12 fused at a = 0.6, the lab's line."""
    from newsbot.search.hybrid import fuse, logit

    ranked = ranking.ranked
    if not ranked or all(math.isnan(c) for c in ranking.cosines):
        return [url_of[c.passage_id] for _, c in ranked], False
    cos = np.asarray(ranking.cosines, dtype=np.float32)
    fused = fuse([s for s, _ in ranked], cos, BEFORE_WEIGHT)
    order = sorted(range(len(ranked)), key=lambda i: (-fused[i], ranked[i][1].passage_id))
    top_cos = float(cos[order[0]])
    z = LAB_LINE[0] * logit(ranking.lexical_confidence) + LAB_LINE[1] * top_cos + LAB_LINE[2]
    return [url_of[ranked[i][1].passage_id] for i in order], z >= 0


async def evaluate(
    app: Newsbot, texts: list[str], targets: list[str], groups: list[str]
) -> list[Outcome]:
    from sqlalchemy import text as sql

    from newsbot.search.fts import fts_bm25

    retriever = app.retriever
    async with app.sessions() as session:
        rows = await session.execute(
            sql("SELECT p.id, a.url FROM passages p JOIN articles a ON a.id = p.article_id")
        )
        url_of = {int(pid): str(url) for pid, url in rows}
        out: list[Outcome] = []
        for question, target, group in zip(texts, targets, groups, strict=True):
            fts = [url_of[pid] for pid, _ in await fts_bm25(session, question, 5)]
            t0 = time.perf_counter()
            lex = await retriever.rank(question, BEFORE_POOL, dense=False)
            t1 = time.perf_counter()
            result = await retriever.search(question, limit=5)
            t2 = time.perf_counter()
            cosines = await retriever._cosines(question, [c.passage_id for _, c in lex.ranked])
            before_urls, before_answered = _before(
                Ranking(lex.ranked, cosines, lex.lexical_confidence), url_of
            )
            lex_urls = [url_of[c.passage_id] for _, c in lex.ranked]
            hyb_urls = [url_of[h.passage_id] for h in result.hits]
            out.append(
                Outcome(
                    _rank_of(fts, target),
                    _rank_of(lex_urls, target),
                    _rank_of(before_urls, target),
                    _rank_of(hyb_urls, target),
                    bool(lex.ranked)
                    and lex.lexical_confidence >= retriever.weights.answer_threshold,
                    before_answered,
                    result.answered,
                    t1 - t0,
                    t2 - t1,
                    held_out(group),
                )
            )
    return out
