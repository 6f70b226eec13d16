"""What a digest holds, and `DigestService`: subscriptions and articles together."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from newsbot.db.articles import ArticleStore
from newsbot.db.models import utcnow
from newsbot.digest.subscriptions import SubscriptionInfo, SubscriptionStore
from newsbot.ingest.sentences import sentence_spans

DIGEST_SIZE = 10
FIRST_DIGEST_WINDOW = timedelta(hours=24)  # what a first digest covers
LEAD_MAX_CHARS = 280
_SENTENCE_END = frozenset(".!?…。！？")
_CLOSERS = "\"'”’»)]"


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
    """The articles added in (since, until], newest first; `total` were added since `since`
    up to the moment asked, so `total - len(items)` are still due (the next digest's)."""

    since: datetime
    until: datetime
    items: tuple[DigestItem, ...]
    total: int = 0

    @property
    def remaining(self) -> int:
        """Articles added after this digest's `until`, not shown yet."""
        return max(0, self.total - len(self.items))


# "HAYWARD, Calif. (AP) — ", "LONDON (Reuters) - ", "KYIV, Ukraine — ": a dateline, not news.
_DATELINE = re.compile(
    r"^[A-Z][A-Z.'\- ]{2,40}(?:,(?: [A-Z][\w.']*){1,3})?\s*(?:\([^()]{1,30}\))?\s*[—–-]+\s+"
)


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def lead_sentence(passage: str, title: str = "", max_chars: int = LEAD_MAX_CHARS) -> str:
    """The first whole sentence of an article's first passage: past a heading line or the
    title glued in front of it, without a dateline; shortened at a word if very long."""
    sentences = [passage[s:e] for s, e in sentence_spans(passage)]
    sentences = [s for s in sentences if s.strip()]
    if title and sentences and _squash(sentences[0]).startswith(_squash(title) + " "):
        # The headline glued to the first sentence: "Big news today The council said …".
        first = sentences[0].lstrip()
        cut = len(title.strip())
        while cut < len(first) and _squash(first[:cut]) != _squash(title):
            cut += 1
        rest = first[cut:].lstrip()
        if rest[:1].isupper():  # "Story 11 opens with …" begins with its title: not glued
            sentences[0] = rest
    whole = [s for s in sentences if s.rstrip(_CLOSERS)[-1:] in _SENTENCE_END]
    if title:
        whole = [s for s in whole if _squash(s) != _squash(title)]
    lead = (whole[0] if whole else sentences[0] if sentences else passage).strip()
    lead = _DATELINE.sub("", lead, count=1) or lead
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
    """The first `limit` articles added after `since` (up to `until`), shown newest first, or
    None if none. When there are more, the digest ends at the last one it shows (`until`
    moves back to it), so the rest stay due: the next digest starts there, none is skipped."""
    until = until or utcnow()
    articles = await store.added_since(since, limit + 1, until=until, oldest_first=True)
    if not articles:
        return None
    total = len(articles)
    if len(articles) > limit:
        total = await store.count_added(since, until)
        # Never cut between articles added at the same instant: the rest starts after it.
        cut = limit
        while cut > 0 and articles[cut - 1].added_at == articles[cut].added_at:
            cut -= 1
        if cut == 0:  # more than `limit` at one instant: all of them, then
            same = articles[0].added_at
            tie = await store.added_since(since, total, until=same, oldest_first=True)
            articles, cut = tie, len(tie)
        articles = articles[:cut]
        until = articles[-1].added_at
    articles.reverse()
    leads = await store.first_passages([a.id for a in articles])
    items = tuple(
        DigestItem(
            article_id=a.id,
            title=a.title,
            url=a.url,
            site=a.site,
            date=a.published or a.added_at,
            lead=lead_sentence(leads.get(a.id, ""), a.title),
        )
        for a in articles
    )
    return Digest(since, until, items, total)


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
