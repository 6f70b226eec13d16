"""Telegram HTML rendering: escaping, highlights, links, and splitting at 4,096 characters."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from botapi_emulator import MAX_MESSAGE_LENGTH, parse_html, utf16_len
from newsbot.bot import render
from newsbot.bot.commands import COMMANDS, bot_commands, help_text
from newsbot.bot.paging import AnswerPages, list_keyboard, more_keyboard, parse_more
from newsbot.ingest.pipeline import IngestResult
from newsbot.search.retriever import Hit, SearchResult


def hit(passage: str, highlights: list[tuple[int, int]], **fields: object) -> Hit:
    values: dict[str, object] = {
        "passage_id": 1,
        "article_id": 7,
        "title": "Title",
        "url": "https://example.org/a?x=1&y=2",
        "site": "Example",
        "published": datetime(2021, 9, 25, tzinfo=UTC),
        "score": 1.0,
    }
    values.update(fields)
    return Hit(passage=passage, highlights=highlights, **values)  # type: ignore[arg-type]


def test_answer_links_title_and_bolds_matches() -> None:
    passage = 'Zhongguancun is "China\'s Silicon Valley" <b> & more'
    result = SearchResult("q", True, [hit(passage, [(0, 12), (33, 39)])])
    [message] = render.answer_messages(result, "no match")
    assert message == (
        '<a href="https://example.org/a?x=1&amp;y=2">Title</a>\n'
        "<i>Example · 2021-09-25</i>\n"
        "<b>Zhongguancun</b> is &quot;China&#x27;s Silicon <b>Valley</b>&quot; &lt;b&gt; &amp; more"
    )
    text, entities = parse_html(message)
    assert text.splitlines()[2] == passage
    kinds = [(e["type"], e.get("url")) for e in entities]
    assert kinds == [
        ("text_link", "https://example.org/a?x=1&y=2"),
        ("italic", None),
        ("bold", None),
        ("bold", None),
    ]


def test_title_without_url_is_bold_and_no_match_is_plain() -> None:
    result = SearchResult("q", True, [hit("text", [], url=None, site=None, published=None)])
    assert render.answer_messages(result, "x") == ["<b>Title</b>\ntext"]
    declined = SearchResult("q", False, [hit("text", [])])
    assert render.answer_messages(declined, "I couldn't find <that>") == [
        "I couldn&#x27;t find &lt;that&gt;"
    ]


def test_long_passages_split_at_line_then_word_boundaries() -> None:
    lines = [f"line {n} " + "word " * 150 for n in range(12)]  # ~9,000 characters
    result = SearchResult("q", True, [hit("\n".join(lines), [(0, 4)])])
    messages = render.answer_messages(result, "")
    assert len(messages) == 3
    for message in messages:
        assert utf16_len(message) <= MAX_MESSAGE_LENGTH
        text, _ = parse_html(message)
        assert all(line.startswith(("line ", "Title", "Example")) for line in text.splitlines())
    one_line = SearchResult("q", True, [hit("word " * 2000, [(0, 10_000)])])
    pieces = render.answer_messages(one_line, "")
    assert len(pieces) == 3
    assert all(p.startswith("<b>word") or p.startswith("<a") for p in pieces)
    assert all(p.endswith("</b>") for p in pieces[1:])  # every piece closes its tags


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
    ]
    assert len(bot_commands(admin_view=True)) == len(COMMANDS)


def test_paging_tokens_are_small_and_bounded() -> None:
    pages = AnswerPages(capacity=2)
    first = pages.remember("q1")
    pages.remember("q2")
    assert pages.question(first) == "q1"  # used: now the newest
    pages.remember("q3")
    assert len(pages) == 2 and pages.question(first) == "q1"
    button = more_keyboard(first, 12).inline_keyboard[0][0]
    assert parse_more(button.callback_data) == (first, 12)  # type: ignore[arg-type]
    assert len(str(button.callback_data).encode()) <= 64
    assert parse_more("more:../../etc:1") is None and parse_more("latest:1") is None
    assert list_keyboard("latest", 0, has_next=False) is None
    markup = list_keyboard("latest", 1, has_next=True)
    assert markup is not None
    assert [b.callback_data for b in markup.inline_keyboard[0]] == ["latest:0", "latest:2"]


spans = st.lists(st.tuples(st.integers(-5, 300), st.integers(-5, 300)), max_size=6)
texts = st.text(max_size=3000) | st.text(alphabet="<>&\"' \n😀ab", max_size=6000)
urls = st.none() | st.just("https://example.org/?a=1&b=<2>") | st.text(max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    passages=st.lists(st.tuples(texts, spans, st.text(max_size=300), urls), min_size=1, max_size=4)
)
def test_any_answer_is_valid_telegram_html(
    passages: list[tuple[str, list[tuple[int, int]], str, str | None]],
) -> None:
    hits = [hit(p, s, title=t, url=u) for p, s, t, u in passages]
    for message in render.answer_messages(SearchResult("q", True, hits), "no"):
        assert utf16_len(message) <= MAX_MESSAGE_LENGTH
        text, _ = parse_html(message)  # raises on anything Telegram would refuse
        assert text  # never an empty message


@settings(max_examples=100, deadline=None)
@given(text=st.text(min_size=1, max_size=9000), limit=st.integers(64, 4096))
def test_pack_never_breaks_tags_or_limits(text: str, limit: int) -> None:
    block = render.lines_of(render.highlighted(text, [(0, len(text) // 2)]))
    for message in render.pack([block, render.plain(text)], limit):
        assert utf16_len(message) <= limit
        parse_html(message)
