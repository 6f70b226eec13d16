"""The digest service: the schema, subscriptions and /subscribe arguments.

The migration matches the model; subscribing is an upsert, a new time zone skips no day and
doubles none, and claims are exactly once even when racing (on SQLite and PostgreSQL);
/subscribe's arguments are parsed, and bad ones get an example.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from newsbot import db
from newsbot.db.models import Base
from newsbot.digest.schedule import next_due, parse_subscribe_args
from newsbot.digest.subscriptions import BLOCKED, RELEASED, SENDING, SENT
from newsbot.errors import BadSubscription
from newsbot.service import Newsbot
from tests.helpers.databases import BOTH
from tests.helpers.digest import BERLIN, NOW, settings_for, subs_of

BACKENDS = BOTH


# ---- the schema -------------------------------------------------------------------------------


def test_migration_matches_the_model_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    assert db.upgrade(url)
    # Head is the newest revision; downgrading passes back through every one.
    assert db.current_revision(url) == db.head_revision()
    engine = db.make_sync_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"render_as_batch": True})
            diff = compare_metadata(context, Base.metadata)
        assert [d for d in diff if "subscriptions" in repr(d)] == []
    finally:
        engine.dispose()
    from alembic import command

    command.downgrade(db.alembic_config(url), "0001")
    assert db.current_revision(url) == "0001"


# ---- subscriptions ----------------------------------------------------------------------------


# ---- subscriptions ----------------------------------------------------------------------------


async def test_subscribe_is_an_upsert_and_unsubscribe_resumes(service: Newsbot) -> None:
    store = subs_of(service)
    assert await store.get(5) is None
    first = await store.subscribe(5, "private", time(7, 30), BERLIN, now=NOW)
    assert (first.chat_id, first.local_time, first.timezone, first.active) == (
        5,
        time(7, 30),
        BERLIN,
        True,
    )
    changed = await store.subscribe(5, "private", time(18, 0), "UTC", now=NOW + timedelta(hours=1))
    assert (changed.local_time, changed.timezone) == (time(18, 0), "UTC")
    assert changed.subscribed_at == NOW + timedelta(hours=1)
    await store.subscribe(-100, "group", time(9, 0), "UTC")  # a group subscribes as a chat
    assert await store.count_active() == 2
    assert await store.unsubscribe(5) is True
    assert await store.unsubscribe(5) is False
    assert [s.chat_id for s in await store.active()] == [-100]
    assert (await store.get(5)) == changed.__class__(**{**changed.__dict__, "active": False})
    again = await store.subscribe(5, "private", time(6, 0), "UTC")
    assert again.active and await store.count_active() == 2


@pytest.mark.parametrize(
    ("old_zone", "new_zone", "gap"),
    [
        ("Pacific/Kiritimati", "Pacific/Pago_Pago", timedelta(hours=25)),  # westward: +14 -> -11
        ("Pacific/Pago_Pago", "Pacific/Kiritimati", timedelta(hours=23)),  # eastward
        ("Asia/Tokyo", "America/Los_Angeles", timedelta(hours=16)),  # was 40 h: May 3 skipped
    ],
)
async def test_a_new_zone_after_the_days_digest_skips_no_day_and_doubles_none(
    service: Newsbot, old_zone: str, new_zone: str, gap: timedelta
) -> None:
    """The zone changes right after that day's digest went out: the next digest is the next
    local day's in the new zone, never two days later (the date line) nor twice in a day."""
    store = subs_of(service)
    first = await store.subscribe(7, "private", time(8, 0), old_zone, now=NOW - timedelta(days=2))
    sent = next_due(first, NOW)
    assert await store.claim(7, sent.day, now=sent.at)
    await store.finish(7, sent.day, SENT, until=sent.at)
    moved = sent.at + timedelta(minutes=30)
    changed = await store.subscribe(7, "private", time(8, 0), new_zone, now=moved)
    # What the running bot does: the chat's next job, then each job's claim, until one is won.
    now, delivered = moved, None
    while delivered is None:
        slot = next_due(changed, now)
        if await store.claim(7, slot.day, now=slot.at):
            delivered = slot
        now = slot.at
        assert now - sent.at < timedelta(hours=49), "a day was skipped"
    assert delivered.at - sent.at == gap
    # In the new zone's calendar: the day after the one on which the last digest came.
    came_on = sent.at.astimezone(ZoneInfo(new_zone)).date()
    assert delivered.day == came_on + timedelta(days=1)


async def test_a_new_zone_leaves_a_claim_in_flight_alone(service: Newsbot) -> None:
    store = subs_of(service)
    first = await store.subscribe(8, "private", time(8, 0), "Pacific/Kiritimati", now=NOW)
    slot = next_due(first, NOW)
    assert await store.claim(8, slot.day, now=slot.at)  # SENDING: its end is recorded by day
    changed = await store.subscribe(8, "private", time(8, 0), "Pacific/Pago_Pago", now=slot.at)
    assert (changed.claimed_day, changed.claim_state) == (slot.day, SENDING)
    await store.finish(8, slot.day, SENT, until=slot.at)
    assert (await store.get(8)).claim_state == SENT  # type: ignore[union-attr]


async def test_claims_are_exactly_once_even_when_racing(
    service: Newsbot, database_url: str
) -> None:
    store = subs_of(service)
    await store.subscribe(7, "private", time(8, 0), "UTC")
    day = date(2024, 5, 2)
    # Ten concurrent claims in this process and one from another engine ("process").
    other = await Newsbot.open(settings_for(database_url))
    try:
        results = await asyncio.gather(
            *(store.claim(7, day) for _ in range(10)), subs_of(other).claim(7, day)
        )
    finally:
        await other.close()
    assert sorted(results) == [False] * 10 + [True]
    # 429 before anything went out: released, and the retry may claim it again.
    await store.release(7, day)
    assert (await store.get(7)).claim_state == RELEASED  # type: ignore[union-attr]
    assert await store.claim(7, day)
    until = datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    await store.finish(7, day, SENT, until=until)
    got = await store.get(7)
    assert got is not None and (got.claim_state, got.last_sent_at) == (SENT, until)
    assert not await store.claim(7, day) and await store.claim(7, day + timedelta(days=1))
    await store.finish(7, day + timedelta(days=1), BLOCKED, until=until)
    blocked = await store.get(7)
    assert blocked is not None and not blocked.active and blocked.last_sent_at == until
    assert not await store.claim(7, day + timedelta(days=2))  # inactive: nothing to claim


# ---- /subscribe arguments ---------------------------------------------------------------------


# ---- /subscribe arguments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], (time(8, 0), "UTC")),
        (["07:30"], (time(7, 30), "UTC")),
        (["7:05", "Europe/Berlin"], (time(7, 5), BERLIN)),
        (["america/new_york", "23:59"], (time(23, 59), "America/New_York")),
        (["UTC"], (time(8, 0), "UTC")),
    ],
)
def test_parse_subscribe_args(args: list[str], expected: tuple[time, str]) -> None:
    assert parse_subscribe_args(args, time(8, 0), "UTC") == expected


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["25:00"], "“25:00” is not a time of day"),
        (["7"], "“7” is not a time like 07:30"),
        (["07:3o"], "“07:3o” is not a time like 07:30"),
        (["Mars/Olympus"], "“Mars/Olympus” is not a time zone I know"),
        (["localtime"], "“localtime” is not a time zone"),
        (["07:30", "Europe/Berlin", "please"], "Too many words"),
    ],
)
def test_bad_subscribe_args_get_an_example(args: list[str], named: str) -> None:
    with pytest.raises(BadSubscription) as caught:
        parse_subscribe_args(args, time(8, 0), "UTC")
    assert named in str(caught.value)
    assert "Use /subscribe 07:30 Europe/Berlin" in str(caught.value)
