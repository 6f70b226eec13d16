"""Digests and the subscription replies as Telegram HTML.

Built on `render`'s runs, so every title, site and lead is escaped, and a digest longer than
4,096 characters is split between articles (then lines, then words), never inside a tag.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from newsbot.bot.render import MAX_MESSAGE, Block, Run, lines_of, pack, title_runs
from newsbot.digest.content import Digest, DigestItem
from newsbot.digest.schedule import Slot
from newsbot.digest.subscriptions import SubscriptionInfo
from newsbot.i18n import N_, _, ngettext

USAGE = N_("/subscribe [HH:MM] [Area/City], for example /subscribe 07:30 Europe/Berlin")
NEXT = 10  # articles a digest's "Next" button shows (a digest's size)
CHANGE = N_("Change it with /subscribe HH:MM Area/City; stop it with /unsubscribe.")


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
    """The digest as one message, or several when it's longer than `limit` (in the current
    language)."""
    count = len(digest.items)
    total = max(digest.total, count)
    if total > count:
        heading = ngettext(
            "Your news digest: {count} of {total} new article since {since}",
            "Your news digest: {count} of {total} new articles since {since}",
            total,
        )
    else:
        heading = ngettext(
            "Your news digest: {count} new article since {since}",
            "Your news digest: {count} new articles since {since}",
            count,
        )
    heading = heading.format(count=count, total=total, since=local(digest.since, zone))
    blocks = [lines_of([Run(heading, bold=True)]), *(item_block(i) for i in digest.items)]
    if digest.remaining:
        more = _("{count} more: /digest more").format(count=digest.remaining)
        blocks.append(lines_of([Run(more, italic=True)]))
    return pack(blocks, limit)


def digest_keyboard(until: datetime, remaining: int) -> InlineKeyboardMarkup:
    """ "Next 10 of 30 »" under a digest that didn't show everything: it carries where it
    ended (the chat's subscription says where the next digest starts, so it works whenever
    it's pressed, after a restart too, and on any replica)."""
    stamp = int(until.timestamp() * 1_000_000)
    label = _("Next {count} of {total} »").format(count=min(NEXT, remaining), total=remaining)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"digest:{stamp}")]])


def nothing_new(since: datetime, zone: ZoneInfo) -> str:
    """/digest when no article was added since the chat's last digest."""
    return html.escape(_("Nothing new since {since}.").format(since=local(since, zone)))


def _schedule(sub: SubscriptionInfo) -> str:
    return f"{sub.local_time.strftime('%H:%M')} ({sub.timezone})"


def subscribed_text(sub: SubscriptionInfo, next_slot: Slot) -> str:
    """The reply to /subscribe."""
    subscribed = _("Subscribed: a daily digest at {schedule}. The next one: {next}.").format(
        schedule=_schedule(sub), next=local(next_slot.at, sub.zone)
    )
    return html.escape(f"{subscribed}\n{_(CHANGE)}")


def unsubscribed_text(was_subscribed: bool) -> str:
    """The reply to /unsubscribe."""
    if was_subscribed:
        return _("Unsubscribed: no more daily digests. /subscribe starts them again.")
    return _no_subscription()


def _no_subscription() -> str:
    text = _("This chat has no digest subscription. To start one: {usage}")
    return html.escape(text.format(usage=_(USAGE)))


def settings_text(sub: SubscriptionInfo | None, next_slot: Slot | None) -> str:
    """The reply to /settings: the chat's subscription, or how to start one."""
    if sub is None or not sub.active or next_slot is None:
        return _no_subscription()
    last = local(sub.last_sent_at, sub.zone) if sub.last_sent_at else _("none yet")
    lines = [
        _("Daily digest at {schedule}.").format(schedule=_schedule(sub)),
        _("Next digest: {when}").format(when=local(next_slot.at, sub.zone)),
        _("Last digest: {when}").format(when=last),
        _(CHANGE),
    ]
    return html.escape("\n".join(lines))
