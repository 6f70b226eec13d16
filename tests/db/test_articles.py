"""Tests for newsbot.db.articles.ArticleStore on a real SQLite file and a real PostgreSQL database:
adding (atomic, de-duplicated), removing, listing, stats and export, with the exact rows
asserted."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from newsbot import db
from newsbot.db.articles import (
    BATCH_SIZE,
    AddOutcome,
    ArticleStore,
    NewArticle,
    Stats,
    StoredArticle,
)
from newsbot.errors import NotFound
from newsbot.ingest.text import content_fingerprint
from newsbot.service import Newsbot
from newsbot.settings import Settings
from tests.helpers.databases import BOTH

BACKENDS = BOTH
FAIL_MARKER = "this passage makes the test trigger refuse the insert"


def article(
    name: str, *, url: str | None = None, text: str | None = None, passages: int = 2
) -> NewArticle:
    body = text or " ".join(f"{name} sentence number {i}." for i in range(passages))
    chunks = [f"{name} sentence number {i}." for i in range(passages)] if text is None else [body]
    return NewArticle(
        title=f"{name} title",
        text=body,
        passages=chunks,
        fingerprint=content_fingerprint(body),
        url=url,
        site="Example News",
        author="A. Writer",
        published=datetime(2024, 1, 15, 9, 30, tzinfo=UTC),
        language="en",
    )


def execute(settings: Settings, *statements: str) -> list[tuple[object, ...]]:
    """Run SQL on a connection of its own (another client of the database); the last
    statement's rows."""
    engine = db.make_sync_engine(settings.database_url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                result = connection.execute(text(statement))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    return execute(settings, sql)


def article_rows(settings: Settings) -> list[tuple[object, ...]]:
    return rows(settings, "SELECT id, url, title FROM articles ORDER BY id")


def passage_rows(settings: Settings) -> list[tuple[object, ...]]:
    return rows(settings, "SELECT id, article_id, position, text FROM passages ORDER BY id")


def fts_count(settings: Settings) -> int | None:
    """Rows in SQLite's FTS5 index (PostgreSQL has none: None)."""
    if db.is_postgres(settings.database_url):
        return None
    [(count,)] = rows(settings, "SELECT count(*) FROM passages_fts_docsize")
    assert isinstance(count, int)
    return count


def assert_fts_holds(settings: Settings, passages: int) -> None:
    """On SQLite the FTS5 index holds exactly the passages (the triggers kept it in step)."""
    assert fts_count(settings) in (passages, None)
    assert (fts_count(settings) is None) == db.is_postgres(settings.database_url)


# -- adding --------------------------------------------------------------------------------


async def test_add_stores_the_article_and_its_passages(
    service: Newsbot, settings: Settings
) -> None:
    outcome = await service.store.add(article("Baikal", url="https://news.example/baikal"))
    assert outcome == AddOutcome(article_id=1, duplicate=False)
    assert article_rows(settings) == [(1, "https://news.example/baikal", "Baikal title")]
    assert passage_rows(settings) == [
        (1, 1, 0, "Baikal sentence number 0."),
        (2, 1, 1, "Baikal sentence number 1."),
    ]
    assert_fts_holds(settings, 2)

    info = await service.store.get(1)
    assert (info.id, info.title, info.url, info.site, info.author, info.language) == (
        1,
        "Baikal title",
        "https://news.example/baikal",
        "Example News",
        "A. Writer",
        "en",
    )
    assert info.published == datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
    assert info.passage_count == 2
    assert info.added_at.tzinfo is UTC
    assert abs(datetime.now(UTC) - info.added_at) < timedelta(minutes=1)


async def test_same_url_is_a_duplicate(service: Newsbot, settings: Settings) -> None:
    await service.store.add(article("Baikal", url="https://news.example/story"))
    outcome = await service.store.add(article("Other", url="https://news.example/story"))
    assert outcome == AddOutcome(article_id=1, duplicate=True)
    assert article_rows(settings) == [(1, "https://news.example/story", "Baikal title")]
    assert len(passage_rows(settings)) == 2


async def test_same_text_is_a_duplicate_whatever_the_url(
    service: Newsbot, settings: Settings
) -> None:
    body = "The ice road across Lake Baikal opened on Monday."
    await service.store.add(article("First", text=body))
    # Same words, other spacing and case: content_fingerprint gives the same fingerprint.
    again = article("Second", url="https://other.example/x", text=body.upper().replace(" ", "  "))
    assert await service.store.add(again) == AddOutcome(article_id=1, duplicate=True)
    assert article_rows(settings) == [(1, None, "First title")]


async def test_duplicates_inside_one_batch(service: Newsbot, settings: Settings) -> None:
    stored = await service.store.add(article("Stored", url="https://news.example/stored"))
    a = article("A", url="https://news.example/a")
    b = article("B")
    outcomes = await service.store.add_many(
        [
            a,
            article("A copy", url="https://news.example/a"),  # same URL as a
            b,
            replace(article("B copy", url="https://x.example/b"), fingerprint=b.fingerprint),
            article("Stored again", url="https://news.example/stored"),  # already stored
            article("C", url="https://news.example/c"),
            a,  # the very same object again
        ]
    )
    assert stored == AddOutcome(1, duplicate=False)
    assert outcomes == [
        AddOutcome(2, duplicate=False),
        AddOutcome(2, duplicate=True),
        AddOutcome(3, duplicate=False),
        AddOutcome(3, duplicate=True),
        AddOutcome(1, duplicate=True),
        AddOutcome(4, duplicate=False),
        AddOutcome(2, duplicate=True),
    ]
    assert article_rows(settings) == [
        (1, "https://news.example/stored", "Stored title"),
        (2, "https://news.example/a", "A title"),
        (3, None, "B title"),
        (4, "https://news.example/c", "C title"),
    ]
    assert [(aid, pos) for _, aid, pos, _ in passage_rows(settings)] == [
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
        (3, 0),
        (3, 1),
        (4, 0),
        (4, 1),
    ]


async def test_add_many_spans_several_batches(service: Newsbot, settings: Settings) -> None:
    many = [article(f"N{i}", passages=1) for i in range(BATCH_SIZE + 2)]
    many.append(many[0])  # a duplicate of an article stored by an earlier batch
    outcomes = await service.store.add_many(many)
    assert outcomes[:-1] == [AddOutcome(i, duplicate=False) for i in range(1, BATCH_SIZE + 3)]
    assert outcomes[-1] == AddOutcome(1, duplicate=True)
    assert [r[0] for r in article_rows(settings)] == list(range(1, BATCH_SIZE + 3))


async def test_listeners_hear_about_every_committed_change(service: Newsbot) -> None:
    heard: list[str] = []
    service.store.on_change(lambda: heard.append("changed"))
    await service.store.add(article("One"))
    await service.store.remove(1)
    assert heard == ["changed", "changed"]


# -- one article, one transaction --------------------------------------------------------------


def install_failing_trigger(settings: Settings) -> None:
    """A trigger in this test's database that refuses one passage, like a disk error half-way."""
    if db.is_postgres(settings.database_url):
        execute(
            settings,
            "CREATE FUNCTION refuse_marked_passage() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF NEW.text = '{FAIL_MARKER}' THEN RAISE EXCEPTION "
            "'refused by the test trigger' USING ERRCODE = 'check_violation'; END IF; "
            "RETURN NEW; END $$",
            "CREATE TRIGGER refuse_marked_passage BEFORE INSERT ON passages "
            "FOR EACH ROW EXECUTE FUNCTION refuse_marked_passage()",
        )
        return
    execute(
        settings,
        "CREATE TRIGGER refuse_marked_passage BEFORE INSERT ON passages "
        f"WHEN new.text = '{FAIL_MARKER}' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END",
    )


async def test_a_failure_half_way_leaves_nothing_of_the_article(
    service: Newsbot, settings: Settings
) -> None:
    await service.store.add(article("Kept", url="https://news.example/kept"))
    install_failing_trigger(settings)
    broken = NewArticle(
        title="Broken",
        text="First passage. Second passage. Third passage.",
        passages=["First passage.", FAIL_MARKER, "Third passage."],
        fingerprint=content_fingerprint("broken"),
        url="https://news.example/broken",
    )
    with pytest.raises(IntegrityError, match="refused by the test trigger"):
        await service.store.add(broken)

    assert article_rows(settings) == [(1, "https://news.example/kept", "Kept title")]
    assert [r[1] for r in passage_rows(settings)] == [1, 1]
    assert_fts_holds(settings, 2)
    # Nothing half-stored blocks a later, good copy of the same article.
    fixed = replace(broken, passages=["First passage.", "Third passage."])
    # A PostgreSQL sequence never goes back: the rolled-back insert used id 2 for good.
    new_id = 3 if db.is_postgres(settings.database_url) else 2
    assert await service.store.add(fixed) == AddOutcome(new_id, duplicate=False)
    assert [r[1] for r in passage_rows(settings)] == [1, 1, new_id, new_id]


async def test_a_failing_batch_is_rolled_back_whole(service: Newsbot, settings: Settings) -> None:
    install_failing_trigger(settings)
    good = article("Good")
    bad = replace(article("Bad"), passages=["ok", FAIL_MARKER])
    with pytest.raises(IntegrityError):
        await service.store.add_many([good, bad])
    assert article_rows(settings) == []
    assert passage_rows(settings) == []
    assert_fts_holds(settings, 0)


async def test_concurrent_adds_of_the_same_article_report_duplicates(service: Newsbot) -> None:
    # The duplicate check and the insert must be one write transaction: without that (as
    # before the writer engine began IMMEDIATE) nearly every round had a UNIQUE failure.
    for round_ in range(5):
        same = article(f"Round {round_}", url=f"https://news.example/{round_}")
        outcomes = await asyncio.gather(*(service.store.add(same) for _ in range(8)))
        assert sorted(o.duplicate for o in outcomes) == [False] + [True] * 7
        assert len({o.article_id for o in outcomes}) == 1


async def test_concurrent_adds_from_two_services_on_one_database(
    service: Newsbot, settings: Settings
) -> None:
    other = await Newsbot.open(settings)  # its own engines, like another process
    try:
        same = article("Shared", url="https://news.example/shared")
        outcomes = await asyncio.gather(*(app.store.add(same) for app in [service, other] * 4))
    finally:
        await other.close()
    assert sorted(o.duplicate for o in outcomes) == [False] + [True] * 7
    assert {o.article_id for o in outcomes} == {1}
    assert article_rows(settings) == [(1, "https://news.example/shared", "Shared title")]


# -- removing, reading --------------------------------------------------------------------------


async def test_remove_deletes_the_article_and_its_passages(
    service: Newsbot, settings: Settings
) -> None:
    await service.store.add_many([article("One"), article("Two")])
    info = await service.store.remove(1)
    assert (info.id, info.title) == (1, "One title")
    assert article_rows(settings) == [(2, None, "Two title")]
    assert [r[1] for r in passage_rows(settings)] == [2, 2]
    assert_fts_holds(settings, 2)
    assert rows(settings, "SELECT article_id FROM article_removals") == [(1,)]
    with pytest.raises(NotFound, match=r"^There is no article with id 1\.$"):
        await service.store.get(1)


async def test_remove_unknown_id_is_not_found(service: Newsbot) -> None:
    with pytest.raises(NotFound, match=r"^There is no article with id 999\.$"):
        await service.store.remove(999)


async def test_newest_and_added_since_order(service: Newsbot) -> None:
    for name in ("First", "Second", "Third"):
        await service.store.add(article(name))
    # Added in one batch: the same added_at, so the id decides.
    await service.store.add_many([article("Fourth"), article("Fifth")])

    newest = await service.store.newest(limit=10)
    assert [a.id for a in newest] == [5, 4, 3, 2, 1]
    assert [a.title for a in newest[:2]] == ["Fifth title", "Fourth title"]
    assert [a.id for a in await service.store.newest(limit=2, offset=1)] == [4, 3]
    assert await service.store.newest(limit=5, offset=5) == []

    second = await service.store.get(2)
    since = await service.store.added_since(second.added_at, limit=10)
    assert [a.id for a in since] == [5, 4, 3]  # strictly after
    assert [a.id for a in await service.store.added_since(second.added_at, limit=2)] == [5, 4]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert await service.store.added_since(future, limit=10) == []


async def test_first_passages_and_count(service: Newsbot) -> None:
    await service.store.add_many([article("One"), article("Two", passages=3)])
    assert await service.store.count() == 2
    assert await service.store.first_passages([1, 2, 77]) == {
        1: "One sentence number 0.",
        2: "Two sentence number 0.",
    }


async def test_stats(service: Newsbot) -> None:
    empty = await service.store.stats()
    assert empty == Stats(articles=0, passages=0, questions=0, answered=0)
    assert empty.answered_share == 0.0

    await service.store.add_many([article("One", passages=2), article("Two", passages=3)])
    now = datetime.now(UTC)
    await service.store.log_questions([(now, True, "cli"), (now, False, "bot"), (now, True, "bot")])
    await service.store.log_questions([(now, False, "prompt"), (now, True, "inline")])
    await service.store.log_questions([])
    stats = await service.store.stats()
    assert stats == Stats(
        articles=2, passages=5, questions=5, answered=3, cli_questions=2, cli_answered=1
    )
    assert stats.answered_share == pytest.approx(3 / 5)
    assert stats.questions_summary == "3 from readers (67% answered), 2 from the CLI"


async def test_export_round_trip(service: Newsbot, tmp_path: Path) -> None:
    await service.store.add_many(
        [article("One", url="https://news.example/1"), article("Two", passages=3)]
    )
    await service.store.remove(1)
    await service.store.add(article("Three", passages=1))
    exported = [a async for a in service.store.export(batch=1)]  # several pages
    assert [(a.info.id, a.info.title, a.passages) for a in exported] == [
        (2, "Two title", [f"Two sentence number {i}." for i in range(3)]),
        (3, "Three title", ["Three sentence number 0."]),
    ]
    assert [a.info.passage_count for a in exported] == [3, 1]

    copy = await Newsbot.open(
        Settings(database_url=f"sqlite:///{tmp_path}/copy.db", _env_file=None)
    )
    try:
        store: ArticleStore = copy.store
        outcomes = await store.add_many(
            [
                NewArticle(
                    title=a.info.title,
                    text=a.text,
                    passages=a.passages,
                    fingerprint=content_fingerprint(a.text),
                    url=a.info.url,
                    site=a.info.site,
                    author=a.info.author,
                    published=a.info.published,
                    language=a.info.language,
                )
                for a in exported
            ]
        )
        assert outcomes == [AddOutcome(1, False), AddOutcome(2, False)]
        restored = [a async for a in store.export()]
    finally:
        await copy.close()

    def comparable(a: StoredArticle) -> tuple[object, ...]:
        i = a.info
        return (i.title, i.url, i.site, i.author, i.published, i.language, a.text, a.passages)

    assert [comparable(a) for a in restored] == [comparable(a) for a in exported]
