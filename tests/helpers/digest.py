"""Helpers of the digest tests (tests/digest/): the zone and the instant most of them use,
settings on a test database (for the `service` fixture in tests/digest/conftest.py, and for a
second service on the same one), a service's subscription store, and articles stored with the
time they were added (which the digest tests in tests/cli and tests/e2e use too).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from newsbot.db.articles import NewArticle
from newsbot.db.models import Article
from newsbot.digest.subscriptions import SubscriptionStore
from newsbot.service import Newsbot
from newsbot.settings import Settings

BERLIN = "Europe/Berlin"
NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)


def settings_for(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url)


def subs_of(newsbot: Newsbot) -> SubscriptionStore:
    return newsbot.subscriptions


async def add_article(newsbot: Newsbot, n: int, added_at: datetime, **fields: object) -> int:
    """Store article `n` and set when it was added (the store stamps "now")."""
    text = str(fields.pop("text", f"Story {n} opens with its lead. Then come the details."))
    values: dict[str, object] = {
        "title": f"Story {n}",
        "url": f"https://news.example/{n}",
        "site": "Example News",
    }
    values.update(fields)
    outcome = await newsbot.store.add(
        NewArticle(text=text, passages=[text], fingerprint=f"fp-{n}", **values)  # type: ignore[arg-type]
    )
    async with newsbot.sessions() as session, session.begin():
        await session.execute(
            update(Article).where(Article.id == outcome.article_id).values(added_at=added_at)
        )
    return outcome.article_id
