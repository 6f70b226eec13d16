"""Digest delivery inside Telegram's flood limits, each digest exactly once.

    FloodGate     sliding windows: 30 messages/s overall, 1/s per private chat, 20/min per group
                  (in `newsbot.digest.flood`: pure pacing, no Telegram)
    DigestSender  a queue of (chat, day) and a few workers: plan, wait at the gate, claim the
                  day, send, record the outcome (the protocol is in `newsbot.digest`)

Why a gate of our own rather than PTB's AIORateLimiter: benchmarks/digest_fanout.py, 1,000
subscribers, 1% answering 429 once, 1% blocked, against the emulator (which counts Telegram's
limits as sliding windows): this gate 28.9 messages/s and 0 flood violations; AIORateLimiter
22.7 messages/s and 38 violations. Because:

* AIORateLimiter is a leaky bucket: it lets a burst of 30 through and then 30 per second, so
  a window of one second can see up to 60 messages, which is exactly when Telegram answers
  429. Its 20/minute group bucket has the same burst.
* On a 429 it holds back every request of the bot for `retry_after`, even though the 429 was
  about one chat: with 1% of chats answering 429 a fan-out loses a second in every hundred
  messages.

The gate counts each message from the moment it's admitted until one window after its request
completed. Telegram counts it somewhere in between, so no window at Telegram's end can see more
than the limit, whatever the network's jitter. The price is the round trip (and the claim's
write) per slot: 28.9/s rather than 30 on loopback, ~27/s at 100 ms round trips.

A 429 makes only its chat wait `retry_after` (the Bot API says the request may be repeated
after it); three 429s within a second in different chats mean Telegram is throttling the bot
as a whole, and then everybody waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from newsbot import i18n, metrics
from newsbot.bot.digests.render import digest_keyboard, digest_messages
from newsbot.db.leases import Role
from newsbot.db.models import utcnow
from newsbot.digest.content import Digest, DigestService
from newsbot.digest.flood import FloodGate, Ticket
from newsbot.digest.subscriptions import BLOCKED, EMPTY, FAILED, SENT, SubscriptionInfo
from newsbot.tls import tls_context

log = logging.getLogger(__name__)

DELIVERY_PROBLEM = "Digest delivery problem"  # the title of the admins' report
WORKERS = 16  # requests in flight at once: enough for 30/s at ~0.5 s round trips
BURST_OF_429 = 3  # this many 429s within BURST_WINDOW seconds pause everybody
BURST_WINDOW = 1.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

Alert = Callable[[str], Awaitable[None]]
Render = Callable[[Digest, ZoneInfo], list[str]]


@dataclass
class DeliveryCounts:
    """What a sender did so far."""

    sent: int = 0  # digests delivered
    messages: int = 0  # the messages they took
    empty: int = 0  # nothing new: no message
    skipped: int = 0  # inactive, or claimed by another run already
    blocked: int = 0  # 403: the subscription ended
    failed: int = 0  # other errors: logged, admins alerted
    retried: int = 0  # 429s waited out


def delivery_bot(token: str, base_url: str, *, connections: int = WORKERS) -> Bot:
    """A Bot just for digests: no PTB rate limiter in the way (the gate paces), and a
    connection pool of its own, so a fan-out doesn't queue behind the bot's replies. Both of
    the Bot's requests get the process's TLS context: PTB would build its getUpdates request
    (never used here) with a new one, ~50 ms of CPU at each bot start."""
    tls = {"verify": tls_context()}
    request = HTTPXRequest(connection_pool_size=connections, httpx_kwargs=tls)
    unused = HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls)
    return Bot(token, base_url=base_url, request=request, get_updates_request=unused)


def _seconds(value: float | dt.timedelta) -> float:
    # PTB gives a timedelta with PTB_TIMEDELTA set (and will always), a number before that.
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class DigestSender:
    """A queue of (chat, local day) digests and `workers` tasks delivering them with `bot`.

    `gate` None leaves the pacing to the bot's own rate limiter (the AIORateLimiter comparison
    in the benchmark). `alert` tells the admins about failures; subscribers never hear of them.
    """

    def __init__(
        self,
        bot: Bot,
        digests: DigestService,
        *,
        gate: FloodGate | None,
        alert: Alert | None = None,
        workers: int = WORKERS,
        render: Render = digest_messages,
        clock: Callable[[], datetime] = utcnow,
        leader: Role | None = None,
    ) -> None:
        self.counts = DeliveryCounts()
        self.on_blocked: Callable[[int], None] | None = None  # e.g. drop the chat's job
        self._bot, self._digests, self._gate, self._alert = bot, digests, gate, alert
        self._workers, self._render, self._clock = workers, render, clock
        self._queue: asyncio.Queue[tuple[int, date] | None] = asyncio.Queue()
        self._pending: set[tuple[int, date]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._recent_429: deque[float] = deque()
        # Replicas (and `newsbot digest --now`) take turns: the sender lease is held while
        # there is work and handed over when the queue runs dry.
        self._leader, self._led, self._busy = leader, 0, 0

    @property
    def leader(self) -> Role | None:
        """The sender lease this sender takes turns with (None: it sends alone)."""
        return self._leader

    def start(self) -> None:
        """Start the workers."""
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self._workers)]

    def enqueue(self, chat_id: int, day: date) -> None:
        """Deliver the chat's digest of local `day` (nothing happens if it had it)."""
        key = (chat_id, day)
        if key not in self._pending and not self._stopping.is_set():
            self._pending.add(key)
            self._queue.put_nowait(key)

    async def join(self) -> None:
        """Wait until everything queued so far is delivered (or failed)."""
        await self._queue.join()

    async def stop(self, grace: float = 10.0) -> None:
        """Let the requests in flight finish and be recorded; queued digests stay unclaimed
        for the next start. After `grace` seconds the rest is cancelled: a hard stop, whose
        claims stay in doubt (see `newsbot.digest`)."""
        self._stopping.set()
        if self._gate is not None:
            self._gate.close()
        while not self._queue.empty():
            key = self._queue.get_nowait()
            if key is not None:
                self._pending.discard(key)
            self._queue.task_done()
        for _ in self._tasks:
            self._queue.put_nowait(None)
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        self._tasks = []
        if self._leader is not None:
            with contextlib.suppress(Exception):  # it expires by itself
                await self._leader.release()

    async def _work(self) -> None:
        while (key := await self._queue.get()) is not None:
            self._busy += 1
            try:
                if await self._lead():
                    await self._deliver(*key)
            except Exception as exc:  # the database, or a bug: tell the admins, carry on
                log.exception("the digest for chat %s failed", key[0])
                self.counts.failed += 1
                await self._tell_admins(f"The digest for chat {key[0]} failed: {exc!r}")
            finally:
                self._busy -= 1
                self._pending.discard(key)
                await self._hand_over_if_idle()
                self._queue.task_done()
        self._queue.task_done()

    async def _hand_over_if_idle(self) -> None:
        if self._leader is None or self._busy or not self._queue.empty():
            return
        try:
            await self._leader.release()
        except Exception:  # it expires by itself
            log.exception("could not hand the sender lease over")

    async def _deliver(self, chat_id: int, day: date) -> None:
        plan = await self._digests.plan(chat_id, day, self._clock())
        if plan is None:
            self.counts.skipped += 1
        elif plan.digest is None:  # nothing new: the day is done without a message
            claimed = await self._digests.subscriptions.claim(chat_id, day, state=EMPTY)
            self.counts.empty += claimed
            self.counts.skipped += not claimed
        else:
            digest = plan.digest
            with i18n.using(plan.subscription.language):  # the subscriber's, not ours
                messages = self._render(digest, plan.subscription.zone)
                # The rest one tap away, as under /digest (the button carries where it ended).
                markup = (
                    digest_keyboard(digest.until, digest.remaining) if digest.remaining else None
                )
            await self._send(plan.subscription, day, digest.until, messages, markup)

    async def _send(
        self,
        sub: SubscriptionInfo,
        day: date,
        until: datetime,
        messages: list[str],
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Claim, send each part (`markup` under the last), record; the order is the
        exactly-once protocol."""
        store, chat_id = self._digests.subscriptions, sub.chat_id
        claimed, sent = False, 0
        while sent < len(messages):
            ticket = await self._admit(chat_id, sub.is_group)
            if ticket is None:  # stopping: a digest not started stays unclaimed
                break
            if not claimed:
                claimed = await store.claim(chat_id, day)
                if not claimed:  # another run (the CLI, a restart) has this day
                    self._done(ticket, sent=False)
                    self.counts.skipped += 1
                    return
            try:
                await self._bot.send_message(
                    chat_id,
                    messages[sent],
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=markup if sent == len(messages) - 1 else None,
                )
            except RetryAfter as exc:
                self._done(ticket)
                if sent == 0:  # Telegram took nothing: the day may be claimed again
                    await store.release(chat_id, day)
                    claimed = False
                await self._wait_out(_seconds(exc.retry_after))
                continue
            except ChatMigrated as exc:  # the group is a supergroup now: follow it
                self._done(ticket)
                await store.move(chat_id, exc.new_chat_id)
                chat_id = exc.new_chat_id
                continue
            except Forbidden as exc:  # blocked, kicked, deactivated: the subscription ends
                self._done(ticket)
                await store.finish(chat_id, day, BLOCKED, until=until)
                log.info("chat %s can't get digests any more (%s): unsubscribed", chat_id, exc)
                self.counts.blocked += 1
                if self.on_blocked is not None:
                    self.on_blocked(chat_id)
                return
            except TelegramError as exc:
                self._done(ticket)
                await store.finish(chat_id, day, FAILED, until=until)
                log.error("the digest for chat %s failed: %r", chat_id, exc)
                self.counts.failed += 1
                await self._tell_admins(f"The digest for chat {chat_id} failed: {exc!r}")
                return
            except BaseException:
                # Cancelled mid-request (a hard stop): the claim stays SENDING, in doubt.
                self._done(ticket)
                raise
            self._done(ticket)
            sent += 1
        if sent:
            await store.finish(chat_id, day, SENT, until=until)
            self.counts.sent += 1
            metrics.DIGESTS_SENT.inc()
            self.counts.messages += sent

    async def _admit(self, chat_id: int, is_group: bool) -> Ticket | None:
        while await self._lead():
            if self._gate is None:
                return Ticket(())
            ticket = await self._gate.acquire(chat_id, is_group=is_group)
            if ticket is None or self._leader is None or self._leader.valid:
                return ticket
            self._done(ticket, sent=False)  # the lease lapsed while we waited: take it again
        return None

    async def _lead(self) -> bool:
        """Hold the sender lease (one sender across replicas spends the 30 messages/s); False
        once stopping. Each time it is taken, the gate waits a period out: the previous
        holder may have spent this second's budget."""
        if self._stopping.is_set():
            return False
        if self._leader is None or self._leader.valid:
            return True
        if not await self._leader.acquire(self._stopping):
            return False
        if self._leader.acquired != self._led and self._gate is not None:
            self._gate.pause(self._gate.limits.overall_period)
        self._led = self._leader.acquired
        return True

    def _done(self, ticket: Ticket, *, sent: bool = True) -> None:
        if self._gate is not None:
            self._gate.release(ticket, sent=sent)

    async def _wait_out(self, seconds: float) -> None:
        """A 429: this chat waits `retry_after`; a burst of them stops everybody."""
        self.counts.retried += 1
        metrics.RATE_LIMITED.inc()
        now = time.monotonic()
        self._recent_429.append(now)
        while self._recent_429[0] < now - BURST_WINDOW:
            self._recent_429.popleft()
        if self._gate is not None and len(self._recent_429) >= BURST_OF_429:
            self._gate.pause(seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _tell_admins(self, text: str) -> None:
        if self._alert is None:
            return
        try:
            await self._alert(text)
        except Exception:  # an alert must never stop the delivery
            log.exception("could not alert the admins")
