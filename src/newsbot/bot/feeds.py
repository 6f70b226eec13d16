"""Feeds in the running bot: the JobQueue tick that polls them, admin alerts, and /feed.

Wiring, in the composition root (`app.py`):

    post_init:   start_feeds(application)   # after bot_data.attach(service, settings)
    post_stop:   await stop_feeds(application)

The database decides what is due and which process polls (`newsbot.feeds`): the job only
says "look now", `tick` seconds after the last look ended (chained run_once jobs, so a long
poll never overlaps the next), and a restart or a second process loses nothing and polls
nothing twice.
"""

from __future__ import annotations

import contextlib
import html
import logging
from dataclasses import dataclass
from typing import Any, Final

from telegram import Update
from telegram.ext import Job

from newsbot.bot import render
from newsbot.bot.context import Context, NewsApplication
from newsbot.errors import ConfigError, NewsbotError, NotFound
from newsbot.feeds import FeedExists, FeedInfo, PollOutcome

log = logging.getLogger(__name__)

TICK: Final = 30.0  # seconds between looks at the database for due feeds
FIRST_LOOK: Final = 5.0  # seconds after start
FEED_USAGE: Final = (
    "Usage:\n/feed add &lt;url&gt; (an RSS or Atom feed, or a page that links one)\n"
    "/feed list\n/feed remove &lt;id&gt;\n/feed pause &lt;id&gt;\n/feed resume &lt;id&gt;"
)
_JOB_NAME: Final = "feeds:poll"
# A look runs however late it is: APScheduler's default drops a run more than a second late
# (a busy event loop), and a dropped run_once would end the chain, so feeds would never be
# polled again in this process.
_JOB_KWARGS: Final[dict[str, Any]] = {"misfire_grace_time": None}


@dataclass
class FeedPolling:
    """The running poll loop of one bot (in `bot_data.feed_polling` while it runs)."""

    tick: float
    job: Job[Any] | None = None
    stopped: bool = False


def start_feeds(application: NewsApplication, *, tick: float = TICK) -> None:
    """Poll due feeds now and every `tick` seconds; alerts go to the admins only, through the
    bot's notifier (held, never dropped, when it has just reported something else)."""
    if application.job_queue is None:
        raise ConfigError("feeds need PTB's job queue: install python-telegram-bot[job-queue]")
    data = application.bot_data
    notifier = data.notifier

    async def alert(text: str) -> None:
        await notifier.notice(html.escape(text))

    data.service.feeds.alert = alert
    polling = data.feed_polling = FeedPolling(tick)
    # The first look soon after start (not during it: today's missed digests go out first);
    # feeds that fell due while the bot was down are polled then.
    polling.job = application.job_queue.run_once(
        _tick, min(tick, FIRST_LOOK), data=polling, name=_JOB_NAME, job_kwargs=_JOB_KWARGS
    )


async def stop_feeds(application: NewsApplication) -> None:
    """Stop polling and hand the lease on (in post_stop, before the service closes); alerts
    the notifier still holds go out now."""
    data = application.bot_data
    polling, data.feed_polling = data.feed_polling, None
    if polling is None:
        return
    polling.stopped = True
    # The JobQueue has stopped and dropped its jobs already: nothing left to remove then.
    with contextlib.suppress(KeyError):
        if polling.job is not None:
            polling.job.schedule_removal()
    await data.service.feeds.release()
    await data.notifier.close()


async def _tick(context: Context) -> None:
    """Poll what is due, then schedule the next look (unless stopping)."""
    job = context.job
    polling = job.data if job is not None else None
    if not isinstance(polling, FeedPolling) or polling.stopped:
        return
    try:
        for outcome in await context.bot_data.service.feeds.poll_due():
            if outcome.added or not outcome.ok:
                log.info("feed #%d: %s", outcome.feed.id, outcome.status)
    finally:
        if not polling.stopped and context.job_queue is not None:
            polling.job = context.job_queue.run_once(
                _tick, polling.tick, data=polling, name=_JOB_NAME, job_kwargs=_JOB_KWARGS
            )


# ---- /feed -------------------------------------------------------------------------------------


async def feed(update: Update, context: Context) -> None:
    """/feed add <url> | list | remove <id> | pause <id> | resume <id> (admins only)."""
    message = update.effective_message
    if message is None:
        return
    args = context.args or []
    action = args[0].lower() if args else ""
    feeds = context.bot_data.service.feeds
    if action == "list" and len(args) == 1:
        listed = await feeds.store.all()
        if not listed:
            await message.reply_text("No feeds yet. Add one with /feed add &lt;url&gt;.")
            return
        for chunk in render.pack(feed_line(f) for f in listed):
            await message.reply_text(chunk)
        return
    if action == "add" and len(args) == 2:
        await _add(update, context, args[1])
        return
    if action in ("remove", "pause", "resume") and len(args) == 2:
        feed_id = args[1].lstrip("#")
        if feed_id.isdigit():
            await message.reply_text(await _change(context, action, int(feed_id)))
            return
    await message.reply_text(FEED_USAGE)


async def _add(update: Update, context: Context, url: str) -> None:
    message = update.effective_message
    assert message is not None
    progress = await message.reply_text(f"Reading the feed at {html.escape(url)}…")
    try:
        outcome = await context.bot_data.service.feeds.add(url)
    except FeedExists as exc:
        await progress.edit_text(html.escape(f"{exc} ({exc.feed.url})"))
        return
    except NewsbotError as exc:
        await progress.edit_text(f"Could not add that feed: {html.escape(str(exc))}")
        return
    await progress.edit_text(added_text(outcome))


async def _change(context: Context, action: str, feed_id: int) -> str:
    feeds = context.bot_data.service.feeds
    try:
        if action == "remove":
            info = await feeds.store.remove(feed_id)
            return f"Removed feed #{info.id}: {html.escape(info.name)} (its articles stay)."
        info = await feeds.store.set_paused(feed_id, action == "pause", feeds.clock())
    except NotFound as exc:
        return html.escape(str(exc))
    if action == "pause":
        return f"Paused feed #{info.id}: {html.escape(info.name)}. /feed resume {info.id} resumes."
    return f"Resumed feed #{info.id}: {html.escape(info.name)}; polling it now."


def added_text(outcome: PollOutcome) -> str:
    """The reply to /feed add: the feed, and what its current entries became."""
    info = outcome.feed
    parts = [f"{outcome.added} new article{'s' if outcome.added != 1 else ''}"]
    if outcome.duplicates:
        parts.append(f"{outcome.duplicates} already known")
    if outcome.failed:
        parts.append(f"{outcome.failed} could not be read")
    return (
        f"Added feed #{info.id}: {html.escape(info.name)}\n{html.escape(info.url)}\n"
        f"{', '.join(parts)}. Polled every {_minutes(info.interval)}."
    )


def feed_line(info: FeedInfo) -> render.Block:
    """One feed in /feed list: id, name, URL, state, what the last poll said."""
    state = "⏸ paused" if info.paused else f"every {_minutes(info.interval)}"
    count = f"{info.entries} article{'s' if info.entries != 1 else ''}"
    status = f"\nlast poll: {info.status}" if info.status else ""
    return render.lines_of(
        [
            render.Run(f"#{info.id} ", bold=True),
            render.Run(f"{info.name}\n{info.url}\n{state} · {count}{status}"),
        ]
    )


def _minutes(seconds: int) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{max(1, round(seconds / 60))} min"
