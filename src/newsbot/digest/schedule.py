"""When digests are due, and the `/subscribe` arguments that say so."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from newsbot.digest.subscriptions import SubscriptionInfo
from newsbot.errors import BadSubscription
from newsbot.i18n import N_

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
        raise BadSubscription(
            N_("Too many words in “{words}”. Use /subscribe 07:30 Europe/Berlin."),
            words=" ".join(args),
        )
    local_time, timezone = default_time, default_tz
    for arg in args:
        match = _TIME.fullmatch(arg)
        if match:
            hour, minute = int(match[1]), int(match[2])
            if hour > 23 or minute > 59:
                raise BadSubscription(
                    N_("“{value}” is not a time of day. Use /subscribe 07:30 Europe/Berlin."),
                    value=arg,
                )
            local_time = time(hour, minute)
        elif arg[:1].isdigit() or ":" in arg:
            raise BadSubscription(
                N_("“{value}” is not a time like 07:30. Use /subscribe 07:30 Europe/Berlin."),
                value=arg,
            )
        else:
            zone_name = canonical_zone(arg)
            if zone_name is None:
                raise BadSubscription(
                    N_(
                        "“{value}” is not a time zone I know. Use /subscribe 07:30 "
                        "Europe/Berlin (any IANA zone name works, UTC too)."
                    ),
                    value=arg,
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
