"""Daily digests, the service side: subscriptions, when each digest is due, what it holds, and
the protocol that delivers it exactly once. Nothing here knows about Telegram.

Exactly once per subscriber per day
-----------------------------------
PTB's JobQueue lives in memory, so the database is the truth. Each subscription row holds a
claim on one local day (`claimed_day`, `claim_state`). For each (chat, day) the sender:

1. builds the digest (reads only): articles added in (last_sent_at, cutoff], newest first;
2. waits for room under the flood limits;
3. CLAIMS the day with one conditional UPDATE (`claimed_day < day`, or the day's claim was
   released), committed before the request: across restarts, processes (`newsbot digest
   --now` beside the bot) and concurrent jobs, exactly one claimer wins;
4. sends;
5. records the outcome: SENT (and `last_sent_at = cutoff`), FAILED (admins are told) or
   BLOCKED (the subscription ends), or RELEASES the claim when Telegram refused with a 429
   before any part went out, so that the retry, or the next start, may claim it again.

Why that is exactly once: a day is sent only by its one claimer, and a claim is released only
when Telegram said no. A restart finds today's claim and sends nothing; finds a day whose time
passed today and that nobody claimed, and sends it once (`due_today`). A graceful stop waits
for the requests in flight and records them; digests still queued were never claimed.

The one window where exactly once is impossible: a hard crash (SIGKILL, power loss) between
the claim's commit and the outcome's commit, i.e. during the sendMessage round trip. The Bot
API has no idempotency key, so nobody can tell whether Telegram got that message. Its claim
stays SENDING ("in doubt", logged at the next start) and it is not resent: at most once,
never twice. Its articles aren't lost either: `last_sent_at` didn't move, so the next digest
starts where the last certain one ended.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.db import insert_for
from newsbot.errors import NewsbotError
from newsbot.models import Subscription, utcnow
from newsbot.passages import split_sentences
from newsbot.store import ArticleStore

DIGEST_SIZE = 10
FIRST_DIGEST_WINDOW = timedelta(hours=24)  # what a first digest covers
LEAD_MAX_CHARS = 280
EXAMPLE = "Use /subscribe 07:30 Europe/Berlin"

# Claim states of a subscription's `claimed_day`.
SENDING = "sending"  # claimed; the request may be in flight (after a crash: in doubt)
SENT = "sent"
EMPTY = "empty"  # nothing new that day: no message
FAILED = "failed"  # an error other than 429/403; admins were told
BLOCKED = "blocked"  # 403: the bot was blocked or kicked; the subscription ended
RELEASED = "released"  # Telegram refused (429) before anything went out: claim it again


class BadSubscription(NewsbotError):
    """/subscribe arguments that aren't a time (HH:MM) and an IANA time zone."""


# ---- subscriptions ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionInfo:
    """A subscription as the rest of the program sees it."""

    chat_id: int
    chat_type: str  # private, group, supergroup, channel
    local_time: time
    timezone: str
    active: bool
    subscribed_at: datetime
    last_sent_at: datetime | None = None
    claimed_day: date | None = None
    claim_state: str | None = None

    @classmethod
    def from_row(cls, row: Subscription) -> SubscriptionInfo:
        return cls(**{field.name: getattr(row, field.name) for field in fields(cls)})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_group(self) -> bool:
        """Groups, supergroups and channels share Telegram's 20 messages/minute limit."""
        return self.chat_type != "private"

    def claimable(self, day: date) -> bool:
        """Whether the digest of local `day` may still be claimed."""
        if self.claimed_day is None or self.claimed_day < day:
            return True
        return self.claimed_day == day and self.claim_state == RELEASED


def _claimable_on(day: date) -> Any:
    """`SubscriptionInfo.claimable` as SQL, for the atomic claim."""
    return or_(
        Subscription.claimed_day.is_(None),
        Subscription.claimed_day < day,
        and_(Subscription.claimed_day == day, Subscription.claim_state == RELEASED),
    )


class SubscriptionStore:
    """Subscriptions in the database, and the per-day claims that make digests exactly once."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The database the subscriptions live in (leases live there too)."""
        return self._sessions

    async def subscribe(
        self,
        chat_id: int,
        chat_type: str,
        local_time: time,
        timezone: str,
        *,
        now: datetime | None = None,
    ) -> SubscriptionInfo:
        """Subscribe a chat, or change its time and zone (and resume it); one atomic upsert."""
        values = {
            "chat_type": chat_type,
            "local_time": local_time.replace(tzinfo=None),
            "timezone": timezone,
            "active": True,
            "subscribed_at": now or utcnow(),
        }
        async with self._sessions() as session, session.begin():
            statement = (
                insert_for(session.get_bind().dialect.name, Subscription)
                .values(chat_id=chat_id, **values)
                .on_conflict_do_update(index_elements=[Subscription.chat_id], set_=values)
                .returning(Subscription)
            )
            row = (await session.scalars(statement)).one()
            return SubscriptionInfo.from_row(row)

    async def unsubscribe(self, chat_id: int) -> bool:
        """End a chat's subscription; False when it had no active one."""
        return await self._update(chat_id, None, {"active": False}, active_only=True) > 0

    async def get(self, chat_id: int) -> SubscriptionInfo | None:
        """A chat's subscription (active or not), or None."""
        async with self._sessions() as session:
            row = await session.scalar(select(Subscription).where(Subscription.chat_id == chat_id))
            return SubscriptionInfo.from_row(row) if row else None

    async def active(self) -> list[SubscriptionInfo]:
        """Every active subscription."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Subscription).where(Subscription.active).order_by(Subscription.id)
            )
            return [SubscriptionInfo.from_row(row) for row in rows]

    async def count_active(self) -> int:
        """How many chats get a digest (for /stats)."""
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(Subscription).where(Subscription.active)
            )
            return count or 0

    async def unclaimed(self, now: datetime) -> list[SubscriptionInfo]:
        """Active subscriptions that may still owe today's digest (a superset; `due_today`
        decides): those claimed on the latest zone's today (UTC+14) have had it."""
        latest_today = (now + timedelta(hours=14)).date()
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Subscription)
                .where(Subscription.active, _claimable_on(latest_today))
                .order_by(Subscription.id)
            )
            return [SubscriptionInfo.from_row(row) for row in rows]

    async def in_doubt(self) -> list[SubscriptionInfo]:
        """Claims left SENDING by a process that died mid-request (see the module docstring)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Subscription).where(Subscription.claim_state == SENDING)
            )
            return [SubscriptionInfo.from_row(row) for row in rows]

    async def claim(
        self, chat_id: int, day: date, *, state: str = SENDING, now: datetime | None = None
    ) -> bool:
        """Take the digest of local `day` for this chat; False if another run has it.

        One conditional UPDATE, committed before anything is sent: the claim's atomicity is
        what keeps two processes, or a restart, from sending the same day twice.
        """
        values = {"claimed_day": day, "claim_state": state, "claimed_at": now or utcnow()}
        return await self._update(chat_id, _claimable_on(day), values, active_only=True) > 0

    async def finish(self, chat_id: int, day: date, state: str, *, until: datetime) -> None:
        """Record how the claimed `day` ended; SENT moves `last_sent_at` to `until`; BLOCKED
        ends the subscription."""
        values: dict[str, object] = {"claim_state": state}
        if state == SENT:
            values["last_sent_at"] = until
        if state == BLOCKED:
            values["active"] = False
        await self._update(chat_id, Subscription.claimed_day == day, values)

    async def release(self, chat_id: int, day: date) -> None:
        """Give the claim back: nothing went out, so the day may be claimed again."""
        condition = and_(Subscription.claimed_day == day, Subscription.claim_state == SENDING)
        await self._update(chat_id, condition, {"claim_state": RELEASED})

    async def record_sent(self, chat_id: int, until: datetime) -> None:
        """/digest went out: the next digest starts after `until` (the day's claim is kept)."""
        await self._update(chat_id, None, {"last_sent_at": until}, active_only=True)

    async def move(self, chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup (a new chat id): the subscription follows it."""
        async with self._sessions() as session, session.begin():
            taken = await session.scalar(
                select(Subscription.id).where(Subscription.chat_id == new_chat_id)
            )
            # If the supergroup has subscribed by itself already, the old group's row just ends.
            values = (
                {"active": False} if taken else {"chat_id": new_chat_id, "chat_type": "supergroup"}
            )
            statement = update(Subscription).where(Subscription.chat_id == chat_id)
            await session.execute(statement.values(values))

    async def _update(
        self, chat_id: int, condition: Any, values: dict[str, object], *, active_only: bool = False
    ) -> int:
        statement = update(Subscription).where(Subscription.chat_id == chat_id)
        if condition is not None:
            statement = statement.where(condition)
        if active_only:
            statement = statement.where(Subscription.active)
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                statement.values(values).execution_options(synchronize_session=False)
            )
            return cast(CursorResult[Any], result).rowcount


# ---- /subscribe arguments ---------------------------------------------------------------------

_TIME = re.compile(r"(\d{1,2})[:.h](\d{2})")


# Names the tz database lists that aren't places: the server's own zone, and a placeholder.
_NOT_ZONES = frozenset({"localtime", "posixrules", "factory"})


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    names = zoneinfo.available_timezones()
    return {name.lower(): name for name in names if name.lower() not in _NOT_ZONES}


def canonical_zone(name: str) -> str | None:
    """The IANA name as spelled in the tz database (`europe/berlin` -> `Europe/Berlin`)."""
    return _zone_names().get(name.strip().lower())


def parse_subscribe_args(
    args: Sequence[str], default_time: time, default_tz: str
) -> tuple[time, str]:
    """`/subscribe [HH:MM] [Area/City]` (either order) -> (local time, IANA zone name)."""
    if len(args) > 2:
        raise BadSubscription(f"Too many words in “{' '.join(args)}”. {EXAMPLE}.")
    local_time, timezone = default_time, default_tz
    for arg in args:
        match = _TIME.fullmatch(arg)
        if match:
            hour, minute = int(match[1]), int(match[2])
            if hour > 23 or minute > 59:
                raise BadSubscription(f"“{arg}” is not a time of day. {EXAMPLE}.")
            local_time = time(hour, minute)
        elif arg[:1].isdigit() or ":" in arg:
            raise BadSubscription(f"“{arg}” is not a time like 07:30. {EXAMPLE}.")
        else:
            zone_name = canonical_zone(arg)
            if zone_name is None:
                raise BadSubscription(
                    f"“{arg}” is not a time zone I know. {EXAMPLE} "
                    "(any IANA zone name works, UTC too)."
                )
            timezone = zone_name
    return local_time, timezone


# ---- when digests are due ---------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Slot:
    """One day's digest: the instant it is due (UTC) and the subscriber's local day."""

    at: datetime
    day: date


def due_at(local_time: time, timezone: str, day: date) -> datetime:
    """When the digest of local `day` is due, in UTC.

    DST: a wall time the clocks skip (02:30 on a 02:00 -> 03:00 day) is read with the offset
    from before the jump (fold=0), so it comes the gap's length later (03:30): it fires, once.
    A wall time that happens twice (clocks going back) is its first occurrence: once.
    """
    return datetime.combine(day, local_time, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def _slots_around(sub: SubscriptionInfo, now: datetime) -> list[Slot]:
    today = now.astimezone(sub.zone).date()
    # Two days back covers a late-evening time pushed past midnight by a DST gap.
    days = (today + timedelta(days=offset) for offset in (-2, -1, 0, 1))
    return [Slot(due_at(sub.local_time, sub.timezone, day), day) for day in days]


def next_due(sub: SubscriptionInfo, now: datetime) -> Slot:
    """The first digest due strictly after `now`."""
    return min(slot for slot in _slots_around(sub, now) if slot.at > now)


def last_due(sub: SubscriptionInfo, now: datetime) -> Slot:
    """The latest digest due at or before `now`."""
    return max(slot for slot in _slots_around(sub, now) if slot.at <= now)


def today_slot(sub: SubscriptionInfo, now: datetime) -> Slot:
    """The digest of the subscriber's local today, whether its time has come or not."""
    today = now.astimezone(sub.zone).date()
    return Slot(due_at(sub.local_time, sub.timezone, today), today)


def due_today(sub: SubscriptionInfo, now: datetime) -> Slot | None:
    """Today's digest if its time has passed and nobody has claimed it: what a (re)start, or
    `newsbot digest --now`, sends at once. Days before today are over; a time that passed
    before the chat (re)subscribed isn't owed."""
    slot = last_due(sub, now)
    owed = slot.day == now.astimezone(sub.zone).date() and slot.at >= sub.subscribed_at
    return slot if sub.active and owed and sub.claimable(slot.day) else None


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
