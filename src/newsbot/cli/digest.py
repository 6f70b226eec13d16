"""`newsbot digest`: list the subscriptions; `--now` sends the due digests through the Bot API.

It runs the same sender as the bot (flood limits, exactly once), so it is safe beside a
running bot: whichever claims a chat's day first sends it, the other skips it, and the sender
lease makes them take turns, so that together they stay inside Telegram's limits.

Only argparse is imported at module level: the main CLI imports this module for every
command, and `newsbot ask` shouldn't pay for importing telegram.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TYPE_CHECKING

from newsbot.errors import ConfigError

if TYPE_CHECKING:
    from newsbot.bot.digests.sender import DeliveryCounts
    from newsbot.digest.content import DigestService
    from newsbot.settings import Settings

NOT_CONFIGURED = (
    "NEWSBOT_BOT_TOKEN is not set: `newsbot digest --now` sends the digests through the Bot API"
)


def add_digest_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `digest` on the main parser's subcommands."""
    p = subparsers.add_parser("digest", help="digest subscriptions; --now sends the due digests")
    p.add_argument(
        "--now",
        action="store_true",
        help="send every digest whose time has passed today and that hasn't gone out",
    )
    p.add_argument(
        "--chat",
        type=int,
        metavar="ID",
        help="with --now: only this chat, and its digest for today even before its time",
    )
    p.set_defaults(func=cmd_digest)


async def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    """List subscriptions, or send the due digests now (exit 1 if any failed)."""
    if args.chat is not None and not args.now:
        print("newsbot digest: --chat goes with --now", file=sys.stderr)
        return 2
    from newsbot.db.models import utcnow
    from newsbot.digest.schedule import due_today, today_slot
    from newsbot.service import Newsbot

    async with await Newsbot.open(settings) as app:
        service = app.digests
        if not args.now:
            return await _list(service)
        if not settings.token:
            raise ConfigError(NOT_CONFIGURED)
        now = utcnow()
        if args.chat is not None:
            sub = await service.subscriptions.get(args.chat)
            if sub is None or not sub.active:
                print(f"newsbot digest: chat {args.chat} has no subscription", file=sys.stderr)
                return 1
            today = today_slot(sub, now).day
            due = [(sub.chat_id, today)] if sub.claimable(today) else []
        else:
            due = [
                (sub.chat_id, missed.day)
                for sub in await service.subscriptions.active()
                if (missed := due_today(sub, now)) is not None
            ]
        if not due:
            print("No digests due: every chat has had today's, or its time hasn't come.")
            return 0
        counts = await _send(settings, service, due)
    print(
        f"{counts.sent} digests sent ({counts.messages} messages), {counts.empty} with nothing "
        f"new, {counts.skipped} already sent, {counts.blocked} chats blocked the bot "
        f"(unsubscribed), {counts.failed} failed; {counts.retried} rate-limit waits"
    )
    return 1 if counts.failed else 0


async def _send(
    settings: Settings, service: DigestService, due: list[tuple[int, date]]
) -> DeliveryCounts:
    from newsbot.bot.digests.sender import DELIVERY_PROBLEM, DigestSender, delivery_bot
    from newsbot.bot.notify import AdminNotifier
    from newsbot.db.leases import SENDER, leader_for
    from newsbot.digest.flood import FloodGate

    bot = delivery_bot(settings.token or "", settings.api_base_url)
    # The terminal has the log line already; admins hear of it as from the bot.
    notifier = AdminNotifier(bot, settings.admin_ids)

    async with bot:
        # The sender lease: beside a running bot (or another replica) that is sending, wait
        # for it to finish, so that together they stay inside Telegram's 30 messages/s.
        leader = leader_for(service.subscriptions.sessions, SENDER)
        sender = DigestSender(
            bot, service, gate=FloodGate(), alert=notifier.alert(DELIVERY_PROBLEM), leader=leader
        )
        sender.start()
        try:
            for chat_id, day in due:
                sender.enqueue(chat_id, day)
            await sender.join()
        finally:
            await sender.stop()
    return sender.counts


async def _list(service: DigestService) -> int:
    from newsbot.bot.digests.render import local
    from newsbot.db.models import utcnow
    from newsbot.digest.schedule import next_due

    subscriptions = await service.subscriptions.active()
    now = utcnow()
    for sub in subscriptions:
        last = local(sub.last_sent_at, sub.zone) if sub.last_sent_at else "never"
        print(
            f"{sub.chat_id}\t{sub.chat_type}\t{sub.local_time.strftime('%H:%M')} "
            f"{sub.timezone}\tnext {local(next_due(sub, now).at, sub.zone)}\tlast {last}"
        )
    count = len(subscriptions)
    plural = "" if count == 1 else "s"
    print(f"{count} active subscription{plural}" if count else "No subscriptions.")
    return 0
