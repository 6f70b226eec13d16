"""Plain SQLite FTS5 search over passages: the baseline the retriever is measured against.

User words never reach MATCH as syntax: each one is wrapped in double quotes (inner quotes
doubled), so `"`, `*`, `NEAR(`, `AND`, `OR`, `NOT`, `^`, `:` and `-` are just text.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.search.text import STOP_WORDS, words

_BM25_SQL = text(
    "SELECT rowid, bm25(passages_fts) AS score FROM passages_fts "
    "WHERE passages_fts MATCH :query ORDER BY score LIMIT :limit"
)


def quote_fts_word(word: str) -> str:
    """One word as an FTS5 string literal."""
    return '"' + word.replace('"', '""') + '"'


def fts_or_query(question: str) -> str | None:
    """An OR-query of the question's words (stop words left out), or None if none are left.
    A word is newsbot's (`text.words`), whole with its combining marks: FTS5's unicode61
    splits "हिंदी" at its vowel signs, so a quoted word is then a phrase of its letters."""
    wanted = [w for w in words(question) if w not in STOP_WORDS]
    unique = list(dict.fromkeys(wanted))[:64]
    return " OR ".join(quote_fts_word(w) for w in unique) or None


async def fts_bm25(session: AsyncSession, question: str, limit: int) -> list[tuple[int, float]]:
    """(passage id, BM25 score) of the best passages, best first (FTS5 scores are negative)."""
    query = fts_or_query(question)
    if query is None:
        return []
    rows = await session.execute(_BM25_SQL, {"query": query, "limit": limit})
    return [(int(rowid), -float(score)) for rowid, score in rows]
