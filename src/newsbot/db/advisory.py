"""A role held as a PostgreSQL session advisory lock (`pg_try_advisory_lock`) on a connection
of its own, for replicas on more than one machine.

The lock lives as long as the holder's connection: a holder that stops, is SIGKILLed or loses
its machine loses the lock as soon as the server sees the connection close (at once for a
dead process, whose kernel closes the socket), and the next replica that tries takes it.

Never two holders at once: the holder checks every `(ttl - margin) / 3` s that its session,
which holds the lock, is still alive, and counts the role as its own for `ttl - margin` s after
it *asked* (the check reached the server later, so the lock was held then). A new holder waits
the same `ttl - margin` after taking the lock before it counts the role as its own: by then the
previous holder's last check has run out, even if its session was killed (pg_terminate_backend,
a server restart) right after that check. So a dead holder is replaced within `poll + ttl -
margin` seconds.

Who holds it: the holder's name is its connection's `application_name`, so `pg_locks` joined
with `pg_stat_activity` says (`holder_now`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from newsbot.db.leases import Role

log = logging.getLogger(__name__)

NAMESPACE: Final = 0x6E657775  # the first key of every role's lock ("newu"); the second: the name
TTL: Final = 2.0  # seconds; the holder checks every (TTL - MARGIN) / 3
MARGIN: Final = 0.5
POLL: Final = 0.25  # how often a waiting replica tries the lock
CHECK_TIMEOUT: Final = 5.0  # a check (or connecting) that takes longer counts as failed

_TRY: Final = text("SELECT pg_try_advisory_lock(CAST(:space AS integer), CAST(:key AS integer))")
_ALIVE: Final = text("SELECT 1")
_HOLDER: Final = text(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::int8 = :space "
    "AND l.objid::int8 = :unsigned AND l.objsubid = 2 "
    # Advisory locks are per database: the same role in another database on the server
    # (another deployment, or a test running beside this one) is not this role's holder.
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def lock_key(name: str) -> int:
    """The role's second key: a signed 32-bit hash of its name."""
    unsigned = zlib.crc32(name.encode())
    return unsigned - (1 << 32) if unsigned >= 1 << 31 else unsigned


class AdvisoryLeader(Role):
    """The role `name` as an advisory lock on the database at `url` (an async PostgreSQL URL)."""

    def __init__(
        self,
        url: URL | str,
        name: str,
        *,
        holder: str | None = None,
        ttl: float = TTL,
        margin: float = MARGIN,
        poll: float = POLL,
    ) -> None:
        super().__init__(name, holder=holder, ttl=ttl, margin=margin, poll=poll)
        # No pool: the lock's connection is this role's alone, and closing it must close it.
        self._engine = create_async_engine(url, poolclass=NullPool)
        self._connection: AsyncConnection | None = None
        self._holding = False  # the lock was taken on `_connection`
        key = lock_key(name)
        self._keys = {"space": NAMESPACE, "key": key}
        self._where = {"space": NAMESPACE, "unsigned": key & 0xFFFFFFFF}

    async def _connect(self) -> AsyncConnection:
        if self._connection is None:
            connection = await self._engine.connect()
            # Autocommit: a session lock needs no transaction, and an idle one would hold back
            # vacuum (and meet idle_in_transaction_session_timeout).
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(
                text("SELECT set_config('application_name', :holder, false)"),
                {"holder": self.holder[:63]},
            )
            self._connection = connection
        return self._connection

    async def _disconnect(self, *, broken: bool = False) -> None:
        connection, self._connection = self._connection, None
        self._holding = False
        if connection is None:
            return
        try:
            if broken:  # in an unknown state: drop the socket, don't talk to the server
                await connection.invalidate()
            await asyncio.wait_for(connection.close(), CHECK_TIMEOUT)
        except Exception:
            log.debug("%s: closing the lock's connection failed", self.name, exc_info=True)
            with contextlib.suppress(Exception):
                await connection.invalidate()

    async def _check(self) -> tuple[bool, bool]:
        """(held, newly taken): whether this session holds the lock now, trying for it if not.
        A session keeps its lock while it lives: for a lock taken on this connection, a round
        trip that proves the session alive is the check."""
        connection = await self._connect()
        if self._holding:
            await connection.execute(_ALIVE)
            return True, False
        self._holding = bool(await connection.scalar(_TRY, self._keys))
        return self._holding, True

    async def _confirm(self) -> float | None:
        asked = time.monotonic()
        try:
            held, new = await asyncio.wait_for(self._check(), CHECK_TIMEOUT)
            self._fresh = new
            if held and new:
                # The previous holder may still count on its last check: wait that out, and
                # make sure the lock is still ours after it.
                await asyncio.sleep(self.ttl - self.margin)
                asked = time.monotonic()
                held, new = await asyncio.wait_for(self._check(), CHECK_TIMEOUT)
                held = held and not new
        except BaseException:
            # A connection in an unknown state: drop it (its lock, if any, goes with it).
            await self._disconnect(broken=True)
            raise
        return asked if held else None

    async def _give_up(self) -> None:
        await self._disconnect()  # the lock goes with the session

    async def holder_now(self) -> str | None:
        async with self._engine.connect() as connection:
            holder = await connection.scalar(_HOLDER, self._where)
        return str(holder) if holder is not None else None

    async def close(self) -> None:
        """Release the role and dispose of the engine."""
        await self.release()
        await self._engine.dispose()
