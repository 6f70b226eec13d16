"""Digests and the subscription replies as Telegram HTML.

Built on `render`'s runs, so every title, site and lead is escaped, and a digest longer than
4,096 characters is split between articles (then lines, then words), never inside a tag.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from newsbot.bot.render import MAX_MESSAGE, Block, Run, lines_of, pack, title_runs
from newsbot.digest.content import Digest, DigestItem
from newsbot.digest.schedule import Slot
from newsbot.digest.subscriptions import SubscriptionInfo

USAGE = "/subscribe [HH:MM] [Area/City], for example /subscribe 07:30 Europe/Berlin"


def local(when: datetime, zone: ZoneInfo) -> str:
    """A moment as the subscriber reads it, in their zone: 2024-05-01 07:30."""
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def item_block(item: DigestItem) -> Block:
    """One article: its title linked to the source, site and date, the lead sentence."""
    meta = " · ".join(part for part in (item.site, item.date.date().isoformat()) if part)
    block: Block = [title_runs(item.title, item.url)]
    block.extend(lines_of([Run(meta, italic=True)]))
    if item.lead:
        block.extend(lines_of([Run(item.lead)]))
    return block


def digest_messages(digest: Digest, zone: ZoneInfo, limit: int = MAX_MESSAGE) -> list[str]:
    """The digest as one message, or several when it's longer than `limit`."""
    count = len(digest.items)
    total = max(digest.total, count)
    shown = f"{count} of {total}" if total > count else f"{count}"
    heading = (
        f"Your news digest: {shown} new article{'s' if total != 1 else ''} "
        f"since {local(digest.since, zone)}"
    )
    blocks = [lines_of([Run(heading, bold=True)]), *(item_block(i) for i in digest.items)]
    if digest.remaining:
        blocks.append(lines_of([Run(f"{digest.remaining} more: /digest more", italic=True)]))
    return pack(blocks, limit)


def nothing_new(since: datetime, zone: ZoneInfo) -> str:
    """/digest when no article was added since the chat's last digest."""
    return html.escape(f"Nothing new since {local(since, zone)}.")


def _schedule(sub: SubscriptionInfo) -> str:
    return f"{sub.local_time.strftime('%H:%M')} ({sub.timezone})"


def subscribed_text(sub: SubscriptionInfo, next_slot: Slot) -> str:
    """The reply to /subscribe."""
    return html.escape(
        f"Subscribed: a daily digest at {_schedule(sub)}. "
        f"The next one: {local(next_slot.at, sub.zone)}.\n"
        "Change it with /subscribe HH:MM Area/City; stop it with /unsubscribe."
    )


def unsubscribed_text(was_subscribed: bool) -> str:
    """The reply to /unsubscribe."""
    if was_subscribed:
        return "Unsubscribed: no more daily digests. /subscribe starts them again."
    return html.escape(f"This chat has no digest subscription. To start one: {USAGE}")


def settings_text(sub: SubscriptionInfo | None, next_slot: Slot | None) -> str:
    """The reply to /settings: the chat's subscription, or how to start one."""
    if sub is None or not sub.active or next_slot is None:
        return html.escape(f"This chat has no digest subscription. To start one: {USAGE}")
    last = local(sub.last_sent_at, sub.zone) if sub.last_sent_at else "none yet"
    return html.escape(
        f"Daily digest at {_schedule(sub)}.\n"
        f"Next digest: {local(next_slot.at, sub.zone)}\n"
        f"Last digest: {last}\n"
        "Change it with /subscribe HH:MM Area/City; stop it with /unsubscribe."
    )
