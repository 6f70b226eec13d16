"""The answer layout: one header per article, the answer sentence bold, a phone-screen window."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from botapi_emulator import MAX_MESSAGE_LENGTH, parse_html, utf16_len
from newsbot.bot.answer_view import SCREEN, answer_view, full_passages, group_by_article
from newsbot.db.articles import ArticleInfo
from newsbot.search.retriever import Hit

SENTENCES = [
    "The council met on Tuesday evening in the old town hall.",
    "Several residents spoke about the closure of the river ferry.",
    "The mayor said the ferry to Olkhon would sail again from the first of May.",
    "Repairs to the landing stage will cost about two million roubles.",
    "A temporary bus service runs until then, twice a day.",
    "Fishermen asked for the ice road to stay open longer this winter.",
    "The next council meeting is planned for the end of March.",
]
PASSAGE = " ".join(SENTENCES)


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


def spans_of(text: str, *words: str) -> list[tuple[int, int]]:
    return [(text.index(w), text.index(w) + len(w)) for w in words]


def bold_texts(message: str) -> list[str]:
    text, entities = parse_html(message)
    return [text[e["offset"] : e["offset"] + e["length"]] for e in entities if e["type"] == "bold"]


def test_one_header_per_article_and_the_answer_sentence_bold() -> None:
    hits = [
        hit(PASSAGE, spans_of(PASSAGE, "ferry to Olkhon", "sail"), passage_id=1),
        hit("Another passage of the same story. It has words.", [], passage_id=2),
        hit(
            "Elsewhere.",
            [],
            passage_id=3,
            article_id=9,
            title="Other",
            url="https://o.org",
            site="O",
        ),
    ]
    view = answer_view(hits)
    [message] = view.messages
    text, entities = parse_html(message)
    assert text.count("Title") == 1 and text.count("Example · 2021-09-25") == 1
    assert [e["url"] for e in entities if e["type"] == "text_link"] == [
        "https://example.org/a?x=1&y=2",
        "https://o.org",
    ]
    # The sentence with the most matched words is bold, not the matched words one by one.
    assert bold_texts(message) == [SENTENCES[2]]
    assert [g.article_id for g in group_by_article(hits)] == [7, 9]


def test_long_passages_are_windowed_around_the_answer_to_fit_a_screen() -> None:
    long = " ".join(SENTENCES * 3)  # about 1,300 characters
    hits = [
        hit(long, spans_of(long, "Repairs", "landing stage"), passage_id=n, article_id=n)
        for n in range(3)
    ]
    view = answer_view(hits)
    [message] = view.messages
    text, _ = parse_html(message)
    assert len(text) <= SCREEN
    assert bold_texts(message) == [SENTENCES[3]] * 3
    assert text.count("…") >= 3  # each passage is cut, and says so
    assert [g.article_id for g in view.trimmed] == [0, 1, 2]
    short = answer_view([hit(SENTENCES[0], [])])
    assert short.trimmed == [] and SENTENCES[0] in short.messages[0]


def test_long_answer_sentences_keep_the_best_whole_and_the_rest_share_the_screen() -> None:
    answer = "The mayor said the ferry would sail again " + "and again " * 25 + "in May."
    passage = f"{SENTENCES[0]} {answer} {SENTENCES[6]}"
    highlights = spans_of(passage, "mayor", "ferry")
    hits = [hit(passage, highlights, passage_id=n, article_id=n) for n in range(3)]
    [message] = answer_view(hits).messages
    text, _ = parse_html(message)
    assert len(answer) > SCREEN // 3 and len(text) <= SCREEN
    first, *others = bold_texts(message)
    assert first == answer  # the answer sentence of the best passage, whole
    assert len(others) == 2 and all(b.endswith("…") and answer.startswith(b[:-1]) for b in others)


def test_note_and_full_passages() -> None:
    view = answer_view([hit("Body.", [])], note="From “Title”, the article of your last question:")
    assert view.messages[0].startswith("<i>From “Title”")
    info = ArticleInfo(7, "T & co", None, None, None, None, None, datetime.now(UTC))
    lines = [f"line {n} " + "word " * 150 for n in range(12)]  # about 9,000 characters
    messages = full_passages(info, ["\n".join(lines), "second passage"])
    assert messages[0].startswith("<b>T &amp; co</b>") and len(messages) == 3
    assert all(utf16_len(m) <= MAX_MESSAGE_LENGTH for m in messages)
    assert parse_html(messages[-1])[0].endswith("second passage")


spans = st.lists(st.tuples(st.integers(-5, 300), st.integers(-5, 300)), max_size=6)
texts = st.text(min_size=1, max_size=3000) | st.text(alphabet="<>&\"' \n😀ab.", max_size=6000)
urls = st.none() | st.just("https://example.org/?a=1&b=<2>") | st.text(max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    passages=st.lists(
        st.tuples(texts, spans, st.text(max_size=300), urls, st.integers(1, 3)),
        min_size=1,
        max_size=4,
    )
)
def test_any_answer_is_valid_telegram_html(
    passages: list[tuple[str, list[tuple[int, int]], str, str | None, int]],
) -> None:
    hits = [hit(p, s, title=t, url=u, article_id=a) for p, s, t, u, a in passages]
    for message in answer_view(hits, note="<note> & co").messages:
        assert utf16_len(message) <= MAX_MESSAGE_LENGTH
        text, _ = parse_html(message)  # raises on anything Telegram would refuse
        assert text  # never an empty message


def italic_texts(message: str) -> list[str]:
    text, entities = parse_html(message)
    return [
        text[e["offset"] : e["offset"] + e["length"]] for e in entities if e["type"] == "italic"
    ]


def test_a_passage_that_lacks_some_of_the_questions_names_says_which() -> None:
    view = answer_view(
        [
            hit(PASSAGE, spans_of(PASSAGE, "ferry"), missing=("baikal", "2019")),
            hit("Another passage. It has words.", [], passage_id=2),
        ]
    )
    [message] = view.messages
    assert "Missing: baikal, 2019" in italic_texts(message)
    text, _ = parse_html(message)
    # Under the passage that lacks them, and only there.
    assert text.index("Missing: baikal, 2019") > text.index("Olkhon")
    assert text.count("Missing:") == 1


def test_a_passage_that_lacks_a_name_has_its_matched_words_bold_not_a_sentence() -> None:
    long = " ".join([PASSAGE] * 3)  # trimmed to the window around the answer sentence
    words = spans_of(PASSAGE, "ferry to Olkhon", "sail")
    third = len(PASSAGE) * 2 + 2
    later = [(s + third, e + third) for s, e in words]
    for passage, highlights in ((PASSAGE, words), (long, later)):
        answered, near = (
            answer_view([hit(passage, highlights, missing=missing)]).messages[0]
            for missing in ((), ("baikal",))
        )
        assert bold_texts(answered) == [SENTENCES[2]]
        assert bold_texts(near) == ["ferry to Olkhon", "sail"]
        assert parse_html(near)[0].replace("\nMissing: baikal", "") == parse_html(answered)[0]


@given(
    st.text(alphabet="ab .,", min_size=1, max_size=900),
    st.lists(st.tuples(st.integers(0, 900), st.integers(1, 40)), max_size=6),
    st.integers(40, 400),
)
@settings(max_examples=300, deadline=None)
def test_matched_words_bold_are_always_the_passages_own_words(
    passage: str, marks: list[tuple[int, int]], window: int
) -> None:
    from newsbot.conversation.snippet import snippet

    spans = sorted({(s, min(s + n, len(passage))) for s, n in marks if s < len(passage)})
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    shown = snippet(passage, merged[0] if merged else None, window)
    for a, b in shown.spans_of(merged):
        assert shown.shown[0] <= a < b <= shown.shown[1]  # never an ellipsis
        s, e = a - shown.offset, b - shown.offset  # back in the passage: within a mark
        assert shown.text[a:b] == passage[s:e]
        assert any(ms <= s and e <= me for ms, me in merged)
