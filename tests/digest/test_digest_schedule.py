"""The digest service: when digests are due, as pure functions of a subscription and a time.

DST: a time skipped by spring forward fires once an hour later, a time that happens twice fires
once; one digest per local day across a year in several zones; and the catch-up rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from newsbot.digest.schedule import due_at, due_today, last_due, next_due
from newsbot.digest.subscriptions import RELEASED, SENDING, SENT, SubscriptionInfo
from tests.helpers.digest import BERLIN, NOW


def sub(local_time: time, tz: str = BERLIN, **fields: object) -> SubscriptionInfo:
    values: dict[str, object] = {
        "chat_id": 1,
        "chat_type": "private",
        "local_time": local_time,
        "timezone": tz,
        "active": True,
        "subscribed_at": datetime(2024, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    return SubscriptionInfo(**values)  # type: ignore[arg-type]


# ---- when digests are due ---------------------------------------------------------------------


def consecutive(subscription: SubscriptionInfo, start: datetime, days: int) -> list[datetime]:
    """The due instants, one after the other, as the chained jobs would see them."""
    instants, now = [], start
    for _ in range(days):
        slot = next_due(subscription, now)
        instants.append(slot.at)
        now = slot.at
    return instants


def test_a_time_skipped_by_spring_forward_fires_once_an_hour_later() -> None:
    assert due_at(time(2, 30), BERLIN, date(2024, 3, 31)) == datetime(
        2024, 3, 31, 1, 30, tzinfo=UTC
    )
    at = consecutive(sub(time(2, 30)), datetime(2024, 3, 29, 12, tzinfo=UTC), 4)
    local = [a.astimezone(sub(time(2, 30)).zone).strftime("%m-%d %H:%M") for a in at]
    assert local == ["03-30 02:30", "03-31 03:30", "04-01 02:30", "04-02 02:30"]


def test_a_time_that_happens_twice_fires_once_at_the_first() -> None:
    at = consecutive(sub(time(2, 30)), datetime(2024, 10, 25, 12, tzinfo=UTC), 4)
    assert at[1] == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 02:30 CEST, not 02:30 CET
    assert [a.date() for a in at] == [date(2024, 10, d) for d in (26, 27, 28, 29)]
    assert len(set(at)) == 4 and at == sorted(at)


@pytest.mark.parametrize("tz", ["UTC", BERLIN, "America/New_York", "Asia/Kathmandu"])
def test_one_digest_per_local_day_across_a_year(tz: str) -> None:
    subscription = sub(time(2, 30), tz)
    at = consecutive(subscription, datetime(2024, 1, 1, tzinfo=UTC), 366)
    days = [a.astimezone(subscription.zone).date() for a in at]
    assert days == [days[0] + timedelta(days=n) for n in range(366)]


def test_due_today_is_the_catch_up_rule() -> None:
    morning = sub(time(8, 0), BERLIN)  # 06:00 UTC in May
    today = date(2024, 5, 2)
    assert due_today(morning, NOW) == last_due(morning, NOW)
    assert due_today(morning, NOW) is not None and due_today(morning, NOW).day == today  # type: ignore[union-attr]
    assert due_today(morning, datetime(2024, 5, 2, 5, 0, tzinfo=UTC)) is None  # not yet
    claimed = sub(time(8, 0), BERLIN, claimed_day=today, claim_state=SENT)
    assert due_today(claimed, NOW) is None
    released = sub(time(8, 0), BERLIN, claimed_day=today, claim_state=RELEASED)
    assert due_today(released, NOW) is not None
    in_doubt = sub(time(8, 0), BERLIN, claimed_day=today, claim_state=SENDING)
    assert due_today(in_doubt, NOW) is None  # never twice
    late_subscriber = sub(time(8, 0), BERLIN, subscribed_at=datetime(2024, 5, 2, 9, tzinfo=UTC))
    assert due_today(late_subscriber, NOW) is None  # 08:00 had passed when they subscribed
    yesterday = sub(time(23, 0), BERLIN, claimed_day=date(2024, 4, 30), claim_state=SENT)
    assert due_today(yesterday, NOW) is None  # May 1st's digest was missed: that day is over
    assert due_today(sub(time(8, 0), BERLIN, active=False), NOW) is None
