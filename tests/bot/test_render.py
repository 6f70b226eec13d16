"""Telegram HTML rendering: escaping, highlights, links, and splitting at 4,096 characters."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from botapi_emulator import MAX_MESSAGE_LENGTH, parse_html, utf16_len
from newsbot import i18n
from newsbot.bot import render
from newsbot.bot.commands import COMMANDS, bot_commands, help_text
from newsbot.bot.paging import answer_keyboard, list_keyboard, parse_answer_button, without_button
from newsbot.ingest.pipeline import IngestResult


def test_article_list_and_ingest_reports() -> None:
    from newsbot.db.articles import ArticleInfo

    info = ArticleInfo(3, "A & B" * 500, "https://x.org", "X", None, None, None, datetime.now(UTC))
    text = render.article_list("Latest", [info] * 10, with_id=True)
    assert utf16_len(text) <= MAX_MESSAGE_LENGTH and parse_html(text)[0].count("#3 ") == 10
    added = IngestResult("https://x.org/a", "added", 4, "T<", "X", None, 5)
    assert render.pack([render.ingest_report(added)]) == [
        'Added #4: <a href="https://x.org/a">T&lt;</a>\nX · 5 passages · id 4'
    ]
    failed = IngestResult.failed("https://x.org/b", "The page answered 404 Not Found: x")
    assert render.pack([render.ingest_report(failed)]) == [
        "<b>Not added: </b>The page answered 404 Not Found: x"
    ]
    dup = IngestResult("pasted text", "duplicate", 4, "T", None, None, 1)
    assert render.pack([render.ingest_report(dup)]) == ["Already stored as #4: <b>T</b>"]


def test_help_and_menu_come_from_the_table() -> None:
    public, admins = help_text(admin_view=False), help_text(admin_view=True)
    parse_html(public)
    parse_html(admins)
    for command in COMMANDS:
        if command.in_help:
            assert (f"/{command.name}" in public) == (command.audience == "everyone")
            assert f"/{command.name}" in admins
    assert "/subscribe [HH:MM] [Area/City]" in public
    assert [c.command for c in bot_commands(admin_view=False)] == [
        "start",
        "help",
        "ask",
        "latest",
        "subscribe",
        "unsubscribe",
        "digest",
        "settings",
        "language",
    ]
    assert len(bot_commands(admin_view=True)) == len(COMMANDS)


def test_answer_buttons_are_small_and_parse_back() -> None:
    token = "Xy3_a9Qk"
    markup = answer_keyboard(
        token, next_page=12, full=[(7, "A title " * 10), (8, "Short")], feedback=True
    )
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [
        ["More from “A title A title A title…”"],
        ["More from “Short”"],
        ["More", "👍", "👎"],
    ]
    for row in markup.inline_keyboard:
        for button in row:
            assert len(str(button.callback_data).encode()) <= 64
    assert parse_answer_button("more:Xy3_a9Qk:12") == ("more", token, "12")
    assert parse_answer_button("vote:Xy3_a9Qk:down") == ("vote", token, "down")
    assert parse_answer_button("more:../../etc:1") is None
    assert parse_answer_button("latest:1") is None
    assert answer_keyboard(token, next_page=None) is None
    fewer = without_button(markup, "more:Xy3_a9Qk:12")
    assert fewer is not None and [b.text for b in fewer.inline_keyboard[-1]] == ["👍", "👎"]
    assert list_keyboard("latest", 0, has_next=False) is None
    lists = list_keyboard("latest", 1, has_next=True)
    assert lists is not None
    assert [b.callback_data for b in lists.inline_keyboard[0]] == ["latest:0", "latest:2"]


@settings(max_examples=100, deadline=None)
@given(text=st.text(min_size=1, max_size=9000), limit=st.integers(64, 4096))
def test_pack_never_breaks_tags_or_limits(text: str, limit: int) -> None:
    block = render.lines_of(render.highlighted(text, [(0, len(text) // 2)]))
    for message in render.pack([block, render.plain(text)], limit):
        assert utf16_len(message) <= limit
        parse_html(message)


def test_a_decline_names_what_the_closest_articles_never_mention_in_the_readers_language() -> None:
    from newsbot.bot.replies import no_match_text
    from newsbot.conversation.chat import Reply
    from newsbot.search.results import Hit

    closest = Hit(1, 1, "Forum opens", None, None, None, "The forum opened.", score=0.5)
    reply = Reply("no_match", "q", known=2, closest=[closest], unmentioned=("qatar", "doha"))
    with i18n.using("en"):
        assert "\n\nThe closest articles I have (none mentions “qatar”, “doha”):\n• <b>Forum" in (
            no_match_text(reply)
        )
    with i18n.using("ru"):
        assert "\n\nБлиже всего по теме (нигде не упоминается «qatar», «doha»):\n• <b>Forum" in (
            no_match_text(reply)
        )


def test_a_decline_with_nothing_close_still_names_what_no_article_found_mentions() -> None:
    from newsbot.bot.replies import no_match_text
    from newsbot.conversation.chat import Reply

    reply = Reply("no_match", "q", known=1, unmentioned=("qatar",))
    with i18n.using("en"):
        assert no_match_text(reply) == (
            "I couldn&#x27;t find that in the 1 article I know. Try other words, or see /latest."
            "\n\nNone of the articles I found mentions “qatar”."
        )
    with i18n.using("ru"):
        assert no_match_text(reply).endswith(
            "\n\nНи в одной из найденных статей не упоминается «qatar»."
        )
    with i18n.using("en"):
        assert "mentions" not in no_match_text(Reply("no_match", "q", known=1))
