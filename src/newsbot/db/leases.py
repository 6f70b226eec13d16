"""Leases: a role that one process at a time holds, for replicas sharing one database.

A lease is a row (name, holder, expires_at). Taking it is one conditional UPDATE (it's free, or
ours already) or, for a new name, one INSERT ... ON CONFLICT DO NOTHING: on SQLite writers are
serialized, and on PostgreSQL a second UPDATE of the row waits for the first and re-checks its
condition, so exactly one of several racing processes gets it. The holder renews it well before
it expires; a holder that dies (SIGKILL, a lost machine) stops renewing, and another process
takes the lease over once it has expired.

A holder counts its lease as valid only until `ttl - margin` after the moment it *asked* to
take or renew it, by its own monotonic clock: it gives the role up before anybody else can
have it, as long as the replicas' wall clocks agree within `margin` (NTP does far better).

Used for: the digest sender (one process at a time spends Telegram's 30 messages/s), the
long-polling replica (Telegram allows one getUpdates consumer per bot) and the feed poller.

That is the SQLite way (one machine: its processes die together, or stop and hand over). On
PostgreSQL `leader_for` gives the same `Role` held as an advisory lock instead
(`newsbot.db.advisory`): a SIGKILLed or lost holder's lock goes with its connection, so another
replica takes over within about two seconds rather than after the lease's 15.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from newsbot.db.engine import insert_for
from newsbot.db.models import Lease, utcnow

log = logging.getLogger(__name__)

SENDER = "digest-sender"
POLLER = "poller"
TTL = 15.0  # seconds a lease lasts without renewal: how long a dead holder blocks the others
MARGIN = 3.0  # the holder gives up this long before the lease expires for the others


def process_name() -> str:
    """Who holds a lease: host, pid and a random part (a restarted process is someone new)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseStore:
    """The lease rows."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def take(self, name: str, holder: str, ttl: float) -> bool:
        """Take or renew `name` for `ttl` seconds; False when another holder's is still valid."""
        now = utcnow()
        expires = now + timedelta(seconds=ttl)
        async with self._sessions() as session, session.begin():
            taken = await session.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
                .values(holder=holder, expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], taken).rowcount:
                return True
            dialect = session.get_bind().dialect.name
            inserted = await session.execute(
                insert_for(dialect, Lease)
                .values(name=name, holder=holder, expires_at=expires)
                .on_conflict_do_nothing(index_elements=[Lease.name])
            )
            return bool(cast(CursorResult[Any], inserted).rowcount)

    async def give_up(self, name: str, holder: str) -> None:
        """Let the others have `name` at once (if it is still ours)."""
        async with self._sessions() as session, session.begin():
            await session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))

    async def holder(self, name: str) -> str | None:
        """Who holds `name` now (None: nobody, or an expired holder)."""
        async with self._sessions() as session:
            row = await session.scalar(select(Lease).where(Lease.name == name))
        return row.holder if row is not None and row.expires_at > utcnow() else None


class Role:
    """One process's claim on a role held by one process at a time: `acquire` waits for it, a
    task renews it while held, `valid` says whether the role may still be acted on, `release`
    hands it over. `Leader` keeps it in a lease row (SQLite); `AdvisoryLeader`
    (`newsbot.db.advisory`) in a PostgreSQL advisory lock. `leader_for` picks one."""

    def __init__(
        self, name: str, *, holder: str | None, ttl: float, margin: float, poll: float
    ) -> None:
        if not 0 < margin < ttl:
            raise ValueError("the margin must be positive and shorter than the lease")
        self.name = name
        self.holder = holder or process_name()
        self.ttl, self.margin, self.poll = ttl, margin, poll
        self._valid_until = -1.0
        self._renewer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # How many times the role was taken anew (the sender then waits a period out: the
        # previous holder may have spent it); a lapse renewed in time doesn't count.
        self.acquired = 0
        self._fresh = True  # whether the last `_confirm` took the role anew
        self._refused_at = -math.inf

    @property
    def valid(self) -> bool:
        """Whether this process holds the role now (by its own clock, with the margin)."""
        return time.monotonic() < self._valid_until

    async def _confirm(self) -> float | None:
        """Take or renew the role: the monotonic time (before asking) from which it counts as
        held for `ttl - margin` seconds, or None when another process has it. Sets `_fresh`
        unless the role was surely held all along."""
        raise NotImplementedError

    async def _give_up(self) -> None:
        raise NotImplementedError

    async def holder_now(self) -> str | None:
        """Who holds the role now, as the database says (None: nobody)."""
        raise NotImplementedError

    async def _take(self) -> bool:
        asked = await self._confirm()
        if asked is not None:
            self._valid_until = asked + self.ttl - self.margin
            return True
        self._valid_until = -1.0
        return False

    async def try_acquire(self) -> bool:
        """Take the role if it is free; True when held (and then renewed in the background)."""
        return await self._try(shared=False)

    async def _try(self, *, shared: bool) -> bool:
        async with self._lock:
            if self.valid:
                return True
            if shared and time.monotonic() - self._refused_at < self.poll:
                return False  # another waiter asked a moment ago (workers wait for one role)
            if not await self._take():
                self._refused_at = time.monotonic()
                return False
            if self._fresh:
                self.acquired += 1
                log.info("%s: %s holds the %r role", self.name, self.holder, self.name)
            if self._renewer is None or self._renewer.done():
                self._renewer = asyncio.create_task(self._renew())
            return True

    async def acquire(self, stop: asyncio.Event | None = None) -> bool:
        """Wait until the role is ours; False if `stop` is set first. Several tasks may wait
        at once (the sender's workers): they share one attempt per `poll`."""
        while not await self._try(shared=True):
            if stop is None:
                await asyncio.sleep(self.poll)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll)
            if stop.is_set():
                return False
        return True

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep((self.ttl - self.margin) / 3)
            async with self._lock:
                # Even when it lapsed (a busy event loop came late): what is still ours is
                # renewed, what another process took is not.
                try:
                    renewed = await self._take()
                except Exception:  # the database is away: the role lapses by itself
                    log.exception("%s: could not renew the role", self.name)
                    if self.valid:
                        continue
                    return
                if not renewed:
                    log.warning("%s: the role was taken over by another process", self.name)
                    return

    async def release(self) -> None:
        """Give the role up now, so another process needn't wait for it to expire."""
        async with self._lock:
            if self._renewer is not None:
                self._renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._renewer
                self._renewer = None
            self._valid_until = -1.0
            await self._give_up()


class Leader(Role):
    """A role kept in a lease row: a dead holder blocks the others until its lease expires
    (`ttl`). What one machine (SQLite) uses."""

    def __init__(
        self,
        leases: LeaseStore,
        name: str,
        *,
        holder: str | None = None,
        ttl: float = TTL,
        margin: float = MARGIN,
        poll: float = 1.0,
    ) -> None:
        super().__init__(name, holder=holder, ttl=ttl, margin=margin, poll=poll)
        self.leases = leases
        self._taken = False

    async def _confirm(self) -> float | None:
        asked = time.monotonic()
        self._taken = await self.leases.take(self.name, self.holder, self.ttl)
        return asked if self._taken else None

    async def _give_up(self) -> None:
        if self._taken:
            self._taken = False
            await self.leases.give_up(self.name, self.holder)

    async def holder_now(self) -> str | None:
        return await self.leases.holder(self.name)


def leader_for(
    sessions: async_sessionmaker[AsyncSession],
    name: str,
    *,
    holder: str | None = None,
    ttl: float | None = None,
) -> Role:
    """The role `name` on this database: an advisory lock on PostgreSQL (a dead holder's lock
    goes with its connection, so another replica takes over within about two seconds), a lease
    row on SQLite (one machine: its processes die with it, or stop and hand over). `ttl`
    (tests) shortens the lease row; the advisory lock's timings are its own."""
    bind = sessions.kw.get("bind")
    if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql":
        from newsbot.db.advisory import AdvisoryLeader  # PostgreSQL only

        return AdvisoryLeader(bind.url, name, holder=holder)
    lease_ttl = TTL if ttl is None else ttl
    margin = MARGIN if ttl is None else lease_ttl / 5
    return Leader(LeaseStore(sessions), name, holder=holder, ttl=lease_ttl, margin=margin)
