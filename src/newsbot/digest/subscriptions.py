"""Subscriptions in the database and the per-day claims that make each digest exactly once
(the protocol is in `newsbot.digest`)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from newsbot.db.engine import insert_for
from newsbot.db.models import Subscription, utcnow

# Claim states of a subscription's `claimed_day`.
SENDING = "sending"  # claimed; the request may be in flight (after a crash: in doubt)
SENT = "sent"
EMPTY = "empty"  # nothing new that day: no message
FAILED = "failed"  # an error other than 429/403; admins were told
BLOCKED = "blocked"  # 403: the bot was blocked or kicked; the subscription ended
RELEASED = "released"  # Telegram refused (429) before anything went out: claim it again

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
    language: str | None = None  # the digests' language (None: English)

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


# The columns a `SubscriptionInfo` is made of, in its fields' order.
INFO_COLUMNS = tuple(getattr(Subscription, f.name) for f in fields(SubscriptionInfo))


def claimed_day_in(
    timezone: str,
    local_time: time,
    old_zone: str,
    claimed_day: date | None,
    claim_state: str | None,
    claimed_at: datetime | None,
) -> date | None:
    """The last claimed day seen from a new zone: the local day, there, on which that digest
    came (its due time, or its claim when it went out later). None: leave the claim as it is
    (no claim; one in flight, whose end is recorded against its day; or one given back).

    Westward across the date line (UTC+14 -> UTC-11), the digest of the 2nd came on the 1st
    there: the 2nd is owed, 25 h later, not the 3rd, 49 h later. Eastward, the new zone's day
    that already had its digest is not owed a second one.
    """
    if claimed_day is None or claim_state in (SENDING, RELEASED):
        return None
    came = datetime.combine(claimed_day, local_time, tzinfo=ZoneInfo(old_zone))
    if claimed_at is not None:
        came = max(came, claimed_at)
    return came.astimezone(ZoneInfo(timezone)).date()


def _claimable_on(day: date) -> Any:
    """`SubscriptionInfo.claimable` as SQL, for the atomic claim."""
    return or_(
        Subscription.claimed_day.is_(None),
        Subscription.claimed_day < day,
        and_(Subscription.claimed_day == day, Subscription.claim_state == RELEASED),
    )


class SubscriptionStore:
    """Subscriptions in the database, and the per-day claims that make digests exactly once.

    `writes` is the single-writer engine's sessions (BEGIN IMMEDIATE, see `newsbot.db.engine`):
    a transaction that reads and then writes (`move`) must take the write lock before its read.
    One-statement writes (the claim, the upsert) are atomic by themselves and use `sessions`.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writes: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._sessions = sessions
        self._writes = writes or sessions

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
        language: str | None = None,
    ) -> SubscriptionInfo:
        """Subscribe a chat, or change its time and zone (and resume it); one transaction.
        With `language`, its digests are written in it from now on.

        A new zone moves the last claimed day into the new zone's calendar (see `claimed_day_in`),
        so a change across the date line neither skips a day nor sends two in one local day.
        """
        values: dict[str, object] = {
            "chat_type": chat_type,
            "local_time": local_time.replace(tzinfo=None),
            "timezone": timezone,
            "active": True,
            "subscribed_at": now or utcnow(),
        }
        if language is not None:
            values["language"] = language
        async with self._writes() as session, session.begin():
            # Columns, not the ORM object: the upsert's RETURNING must not meet a stale one.
            old = (
                await session.execute(
                    select(
                        Subscription.local_time,
                        Subscription.timezone,
                        Subscription.claimed_day,
                        Subscription.claim_state,
                        Subscription.claimed_at,
                    )
                    .where(Subscription.chat_id == chat_id)
                    .with_for_update()
                )
            ).one_or_none()
            if old is not None and old.timezone != timezone:
                moved = claimed_day_in(
                    timezone,
                    old.local_time,
                    old.timezone,
                    old.claimed_day,
                    old.claim_state,
                    old.claimed_at,
                )
                if moved is not None:
                    values["claimed_day"] = moved
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
        # On a connection, not an ORM session: each digest reads it (see _update).
        engine: AsyncEngine = self._sessions.kw["bind"]
        async with engine.connect() as connection:
            result = await connection.execute(
                select(*INFO_COLUMNS).where(Subscription.chat_id == chat_id)
            )
            row = result.first()
            return SubscriptionInfo(*row) if row else None

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

    async def in_doubt(self, since: datetime | None = None) -> list[SubscriptionInfo]:
        """Claims left SENDING by a process that died mid-request (see the module docstring);
        with `since`, only those claimed since then (older ones were reported before)."""
        query = select(Subscription).where(Subscription.claim_state == SENDING)
        if since is not None:
            query = query.where(Subscription.claimed_at >= since)
        async with self._sessions() as session:
            return [SubscriptionInfo.from_row(row) for row in await session.scalars(query)]

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

    async def set_language(self, chat_id: int, language: str) -> None:
        """The chat's digests are written in `language` from now on (if it has a subscription)."""
        await self._update(chat_id, None, {"language": language})

    async def move(self, chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup (a new chat id): the subscription follows it."""
        async with self._writes() as session, session.begin():
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
        # A Core statement on a connection of the sessions' engine: no ORM session to set up
        # and tear down for one UPDATE (each digest makes two or three).
        engine: AsyncEngine = self._sessions.kw["bind"]
        async with engine.begin() as connection:
            result = await connection.execute(statement.values(values))
            return result.rowcount
