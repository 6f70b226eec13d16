"""`newsbot db copy SRC DST` (newsbot.db.copy): a SQLite install moved to a new database of
each backend keeps its articles (ids, added_at), passages, subscriptions with their claims,
and the question log; a destination that holds data is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from newsbot.db.copy import CopyRefused, copy_database
from newsbot.digest.subscriptions import SENT, SubscriptionStore
from newsbot.ingest.text import ExtractedArticle
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.conftest import SEED
from tests.helpers.databases import BOTH

BACKENDS = BOTH


async def test_copy_keeps_articles_subscribers_and_their_claims(
    tmp_path: Path, database_url: str, clean_env: pytest.MonkeyPatch
) -> None:
    source = Settings(database_url=f"sqlite:///{tmp_path}/old.db", _env_file=None)
    async with await Newsbot.open(source) as old:
        await old.ingestor.add_file(SEED)
        await old.ask("What is Zhongguancun known as?")
        store = SubscriptionStore(old.sessions)
        await store.subscribe(42, "private", time(7, 30), "Europe/Berlin")
        day = date(2026, 12, 1)
        assert await store.claim(42, day)
        await store.finish(42, day, SENT, until=datetime(2026, 12, 1, 6, 30, tzinfo=UTC))
        before_sub = await store.get(42)
        before_article = await old.store.get(1)

    copied = copy_database(source.database_url, database_url)
    assert copied == {"articles": 1, "passages": 4, "subscriptions": 1, "questions": 1}

    target = Settings(database_url=database_url, _env_file=None)
    async with await Newsbot.open(target) as new:
        assert await SubscriptionStore(new.sessions).get(42) == before_sub
        assert await new.store.get(1) == before_article
        answer = await new.ask("What is Zhongguancun known as?")
        assert answer.answered and answer.hits[0].article_id == 1
        stats = await new.stats()
        assert (stats.articles, stats.passages, stats.questions, stats.subscribers) == (1, 4, 2, 1)
        # New rows get new ids after the copied ones (the sequences moved on, on PostgreSQL).
        again = await new.ingestor.add_extracted("x", _article())
        assert again.article_id == 2

    with pytest.raises(CopyRefused, match="already holds articles"):
        copy_database(source.database_url, database_url)


def _article() -> ExtractedArticle:
    return ExtractedArticle(
        title="Volcano",
        text="A volcano erupted on the Reykjanes peninsula on Monday evening.",
        url=None,
        site=None,
        author=None,
        published=None,
        language=None,
    )
