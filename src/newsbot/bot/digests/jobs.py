"""Digests in the running bot: the JobQueue schedule, the sender, and their start and stop (the
/subscribe commands are in `commands.py`).

Wiring, in the composition root (`app.py`):

    post_init:   await start_digests(application)   # after bot_data.attach(service, settings);
                                                    # kept in bot_data.digests
    post_stop:   await stop_digests(application)    # before the service closes
    commands:    subscribe, unsubscribe, digest_now, settings_cmd

The database is the truth (see `newsbot.digest`): the jobs only say when to look, so losing
them (a restart) loses nothing, and a job that runs late or twice sends nothing twice.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from telegram import Bot
from telegram.ext import Application, Job, JobQueue

from newsbot.bot.context import Context, NewsApplication
from newsbot.bot.digests.sender import (
    DELIVERY_PROBLEM,
    WORKERS,
    DigestSender,
    delivery_bot,
)
from newsbot.db.leases import SENDER, leader_for
from newsbot.db.models import utcnow
from newsbot.digest.content import DigestService
from newsbot.digest.flood import FloodGate, Limits
from newsbot.digest.schedule import Slot, due_today, next_due
from newsbot.digest.subscriptions import SubscriptionInfo, SubscriptionStore
from newsbot.errors import ConfigError

log = logging.getLogger(__name__)

# A job runs however late it is: APScheduler would drop one that's over a second late (easy
# when ten thousand fall due at once). Running late, or twice, is harmless: the claim decides.
JOB_KWARGS: dict[str, Any] = {"misfire_grace_time": None, "coalesce": True}
STOP_GRACE = 10.0  # seconds a stopping bot waits for digests in flight
SWEEP_SECONDS = 30.0  # how often each replica looks for due digests nobody has claimed

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Clock = Callable[[], datetime]  # now, aware UTC: tests start the scheduler at any moment


class DigestScheduler:
    """One JobQueue job per active subscription, at its next digest in its own time zone.

    A job queues that day's digest and schedules the chat's next one (run_once, chained),
    rather than run_daily: APScheduler's daily trigger skips a time the clocks jump over on
    the spring-forward day, and `next_due` doesn't.
    """

    def __init__(
        self, job_queue: JobQueue[Any], sender: DigestSender, subscriptions: SubscriptionStore
    ) -> None:
        self._job_queue = job_queue
        self._sender = sender
        self._subscriptions = subscriptions
        self._jobs: dict[int, Job[Any]] = {}

    def start(self, subscriptions: Iterable[SubscriptionInfo], now: datetime) -> int:
        """Schedule every subscription, and queue today's digests whose time passed while the
        bot was down; returns how many of those."""
        caught_up = 0
        for sub in subscriptions:
            missed = due_today(sub, now)
            if missed is not None:
                self._sender.enqueue(sub.chat_id, missed.day)
                caught_up += 1
            self.schedule(sub, now)
        return caught_up

    def schedule(self, sub: SubscriptionInfo, now: datetime) -> Slot | None:
        """(Re)schedule a chat's next digest after `now`; None when it's not active."""
        self.cancel(sub.chat_id)
        if not sub.active:
            return None
        slot = next_due(sub, now)
        self._jobs[sub.chat_id] = self._job_queue.run_once(
            self._due,
            slot.at,
            data=(sub, slot),
            name=f"digest:{sub.chat_id}",
            job_kwargs=JOB_KWARGS,
        )
        return slot

    def cancel(self, chat_id: int) -> None:
        """Drop a chat's job (unsubscribed, or blocked the bot)."""
        job = self._jobs.pop(chat_id, None)
        # APScheduler drops a one-off job as it starts it, and then raises JobLookupError (a
        # KeyError) on removal: a job that has just fired is gone already, which is the point.
        with contextlib.suppress(KeyError):
            if job is not None:
                job.schedule_removal()

    async def sweep(self, context: Context) -> None:
        """Queue every digest that is due and that nobody has claimed, whoever scheduled it:
        subscriptions made through another replica, or a replica's fan-out cut short by its
        death. The claim keeps this from sending anything twice."""
        now = utcnow()
        for sub in await self._subscriptions.unclaimed(now):
            slot = due_today(sub, now)
            if slot is not None:
                self._sender.enqueue(sub.chat_id, slot.day)

    def forget_all(self) -> None:
        """Stop scheduling (the JobQueue has stopped; a job that still fires does nothing)."""
        self._jobs.clear()

    @property
    def scheduled(self) -> int:
        """How many chats have a digest job."""
        return len(self._jobs)

    async def _due(self, context: Context) -> None:
        """A digest's time: queue it and schedule the chat's next one."""
        job = context.job
        if job is None:
            return
        sub, slot = cast(tuple[SubscriptionInfo, Slot], job.data)
        if self._jobs.get(sub.chat_id) is not job:  # rescheduled meanwhile: the new job rules
            return
        del self._jobs[sub.chat_id]  # APScheduler has dropped it already: nothing to remove
        self._sender.enqueue(sub.chat_id, slot.day)
        self.schedule(sub, slot.at)


@dataclass
class Digests:
    """The digest machinery of one running Application."""

    service: DigestService
    sender: DigestSender
    scheduler: DigestScheduler
    bot: Bot
    start_seconds: float  # how long scheduling took at start (the benchmark reports it)
    caught_up: int  # today's digests missed while the bot was down, sent at start
    clock: Clock = utcnow  # the time digests are planned, scheduled and caught up by


async def start_digests(
    application: NewsApplication,
    *,
    limits: Limits | None = None,
    workers: int = WORKERS,
    lease_ttl: float | None = None,
    sweep_seconds: float = SWEEP_SECONDS,
    clock: Clock = utcnow,
) -> Digests:
    """Schedule every active subscription and start the sender (in post_init, after the
    service is attached to bot_data); today's digests missed while down go out now.

    Several replicas each schedule every subscription; the sender lease lets one of them send
    at a time and the claim gives each digest to one sender. A sweep every `sweep_seconds`
    queues what is due and unclaimed, so a dead replica's subscribers are served by the rest.
    """
    if application.job_queue is None:
        raise ConfigError("digests need PTB's job queue: install python-telegram-bot[job-queue]")
    started = time.perf_counter()
    data = application.bot_data
    service = data.service.digests
    bot = delivery_bot(application.bot.token, data.settings.api_base_url, connections=workers)
    await bot.initialize()
    gate = FloodGate(limits)
    leader = leader_for(data.service.sessions, SENDER, ttl=lease_ttl)
    sender = DigestSender(
        bot,
        service,
        gate=gate,
        alert=data.notifier.alert(DELIVERY_PROBLEM),
        workers=workers,
        clock=clock,
        leader=leader,
    )
    scheduler = DigestScheduler(application.job_queue, sender, service.subscriptions)
    sender.on_blocked = scheduler.cancel
    # Only today's doubts (a day back, in any zone): older ones were logged at earlier starts.
    for sub in await service.subscriptions.in_doubt(since=utcnow() - timedelta(days=1)):
        log.warning(
            "the digest of %s for chat %s may or may not have gone out (a stop during the "
            "send); it is not sent again",
            sub.claimed_day,
            sub.chat_id,
        )
    caught_up = scheduler.start(await service.subscriptions.active(), clock())
    sender.start()
    application.job_queue.run_repeating(
        scheduler.sweep, sweep_seconds, first=sweep_seconds, name="digest-sweep"
    )
    digests = Digests(
        service,
        sender,
        scheduler,
        bot,
        time.perf_counter() - started,
        caught_up=caught_up,
        clock=clock,
    )
    data.attach_digests(digests)
    log.info(
        "digests: %d chats scheduled, %d missed today sent now (%.2f s)",
        scheduler.scheduled,
        caught_up,
        digests.start_seconds,
    )
    return digests


async def stop_digests(application: NewsApplication, grace: float = STOP_GRACE) -> None:
    """Stop scheduling; let the digests in flight finish (in post_stop)."""
    digests = application.bot_data.attach_digests(None)
    if digests is None:
        return
    digests.scheduler.forget_all()
    await digests.sender.stop(grace)
    await digests.bot.shutdown()
