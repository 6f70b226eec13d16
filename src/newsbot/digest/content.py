"""What a digest holds, and `DigestService`: subscriptions and articles together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from newsbot.db.articles import ArticleStore
from newsbot.db.models import utcnow
from newsbot.digest.subscriptions import SubscriptionInfo, SubscriptionStore
from newsbot.ingest.sentences import split_sentences

DIGEST_SIZE = 10
FIRST_DIGEST_WINDOW = timedelta(hours=24)  # what a first digest covers
LEAD_MAX_CHARS = 280


# ---- what a digest holds ----------------------------------------------------------------------


@dataclass(frozen=True)
class DigestItem:
    """One article of a digest."""

    article_id: int
    title: str
    url: str | None
    site: str | None
    date: datetime  # published, or added when the article has no date
    lead: str  # its first sentence


@dataclass(frozen=True)
class Digest:
    """The articles added in (since, until], newest first."""

    since: datetime
    until: datetime
    items: tuple[DigestItem, ...]


def lead_sentence(passage: str, max_chars: int = LEAD_MAX_CHARS) -> str:
    """The first sentence of an article's first passage, shortened at a word if very long."""
    sentences = split_sentences(passage)
    lead = (sentences[0] if sentences else passage).strip()
    if len(lead) > max_chars:
        lead = lead[: max_chars - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return lead


def digest_since(sub: SubscriptionInfo | None, now: datetime) -> datetime:
    """Where a chat's next digest starts: its previous digest, or 24 hours ago for a first."""
    if sub is not None and sub.last_sent_at is not None:
        return sub.last_sent_at
    return now - FIRST_DIGEST_WINDOW


async def build_digest(
    store: ArticleStore, since: datetime, *, until: datetime | None = None, limit: int = DIGEST_SIZE
) -> Digest | None:
    """The newest `limit` articles added after `since` (up to `until`), or None if none."""
    until = until or utcnow()
    articles = [a for a in await store.added_since(since, limit) if a.added_at <= until]
    if not articles:
        return None
    leads = await store.first_passages([a.id for a in articles])
    items = tuple(
        DigestItem(
            article_id=a.id,
            title=a.title,
            url=a.url,
            site=a.site,
            date=a.published or a.added_at,
            lead=lead_sentence(leads.get(a.id, "")),
        )
        for a in articles
    )
    return Digest(since, until, items)


@dataclass(frozen=True)
class PlannedDigest:
    """What a chat's digest for `day` would hold; `digest` None means nothing new."""

    subscription: SubscriptionInfo
    day: date
    digest: Digest | None


class DigestService:
    """Subscriptions and articles together: what each chat's digest holds."""

    def __init__(self, subscriptions: SubscriptionStore, articles: ArticleStore) -> None:
        self.subscriptions = subscriptions
        self.articles = articles

    async def plan(self, chat_id: int, day: date, now: datetime) -> PlannedDigest | None:
        """The digest of `day` for an active chat that hasn't had it; else None (reads only)."""
        sub = await self.subscriptions.get(chat_id)
        if sub is None or not sub.active or not sub.claimable(day):
            return None
        digest = await build_digest(self.articles, digest_since(sub, now), until=now)
        return PlannedDigest(sub, day, digest)
