"""Tests for newsbot.ingest.plaintext: plain text and Markdown articles (the seed among them)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from newsbot.errors import NoArticleText
from newsbot.ingest.plaintext import parse_text_article
from newsbot.service import SAMPLE_DATA
from tests.helpers.seed import SEED, seed_body_paragraphs, seed_text

# --- plain text: the seed ----------------------------------------------------------------------


@pytest.mark.parametrize("line_ends", ["\n", "\r\n"], ids=["file", "windows line ends"])
def test_seed_article(line_ends: str) -> None:
    raw = seed_text().replace("\n", line_ends)
    article = parse_text_article(raw, source_name="000.txt")
    assert article.title == "Xi Jinping calls for greater international technology cooperation"
    assert article.site == "Media Inter World"
    assert article.published == datetime(2021, 9, 25, 21, 58, tzinfo=UTC)
    assert article.url is None
    assert article.author is None
    assert article.language is None
    assert "Leave a Reply" not in article.text
    assert "Your email address" not in article.text
    assert "Updated 9:58 PM" not in article.text
    # everything else is kept, paragraph by paragraph, in order
    # title, dateline, and the two comment-form lines are what the parser takes out
    assert article.text.split("\n\n") == seed_body_paragraphs()
    assert article.text.startswith("Chinese President Xi Jinping on Friday stressed")
    assert article.text.endswith("can soon develop into a world-class hub.")


def test_seed_is_the_sample_article_the_package_ships() -> None:
    # `newsbot db sample` adds every .txt of the sample folder: the seed is the only one.
    assert sorted(SAMPLE_DATA.glob("*.txt")) == [SEED]


# --- Markdown ----------------------------------------------------------------------------------

MARKDOWN = """\
# **Ocean heat hits a record** | Climate Desk

*Published: 2023-08-14*

By Jane Doe

The world's oceans reached their **highest temperature** on record, according to
[a new analysis](https://example.org/analysis "data") by _Copernicus_ scientists.

![A buoy at sea](https://img.example.org/buoy.png)

## What it means

Warmer water holds less oxygen, and marine heatwaves are *longer* than they were.
See <https://example.org/faq> for details.

* coral bleaching
* fish moving north

> Scientists call it "uncharted territory".

```python
mean = sum(temps) / len(temps)  # **not** emphasis
```

Source: https://news.example.com/ocean-heat-record
"""


def test_markdown_article() -> None:
    article = parse_text_article(MARKDOWN, source_name="ocean.md")
    assert article.title == "Ocean heat hits a record"
    assert article.site == "Climate Desk"
    assert article.published == datetime(2023, 8, 14, tzinfo=UTC)
    assert article.author == "Jane Doe"
    # the labelled source line wins over links inside the text, and is not part of the text
    assert article.url == "https://news.example.com/ocean-heat-record"
    text = article.text
    paragraphs = text.split("\n\n")
    assert paragraphs[0].startswith("The world's oceans reached their highest temperature")
    assert "a new analysis by Copernicus scientists." in paragraphs[0]
    assert "What it means" in paragraphs  # a subheading is its own paragraph
    assert "marine heatwaves are longer than" in text
    assert "See https://example.org/faq for details." in text
    assert "- coral bleaching" in text
    assert 'Scientists call it "uncharted territory".' in text
    assert "mean = sum(temps) / len(temps) # **not** emphasis" in text  # code is kept as is
    for syntax in ("**", "](", "![", "##", "```", "img.example.org", "Source:", "By Jane"):
        assert syntax not in text.replace("# **not** emphasis", "")


def test_markdown_setext_title_and_rules() -> None:
    article = parse_text_article(
        "Budget talks resume\n===================\n\nLawmakers met again on Monday.\n\n---\n\n"
        "Section two\n-----------\nThey agreed on a timetable for the vote."
    )
    assert article.title == "Budget talks resume"
    assert article.text.split("\n\n") == [
        "Lawmakers met again on Monday.",
        "Section two",
        "They agreed on a timetable for the vote.",
    ]


def test_plain_text_keeps_asterisks_and_underscores_that_are_not_markdown() -> None:
    article = parse_text_article(
        "Maths corner\n\n2 * 3 * 4 equals 24, and snake_case_names stay. A > B holds."
    )
    assert article.text == "2 * 3 * 4 equals 24, and snake_case_names stay. A > B holds."


# --- titles and site names ---------------------------------------------------------------------


STORY = "Storm closes schools across the region"


@pytest.mark.parametrize(
    ("line", "title", "site"),
    [
        (f"{STORY} – Media Inter World", STORY, "Media Inter World"),
        (f"{STORY} — BBC News", STORY, "BBC News"),
        (f"{STORY} - The Guardian", STORY, "The Guardian"),
        (f"{STORY} | Reuters", STORY, "Reuters"),
        (f"{STORY} | nytimes.com", STORY, "nytimes.com"),
        # only the last separator counts
        (
            "Jobs report - what it means – Financial Times",
            "Jobs report - what it means",
            "Financial Times",
        ),
    ],
)
def test_title_separator_gives_site(line: str, title: str, site: str) -> None:
    article = parse_text_article(f"{line}\n\nSchools stayed closed on Tuesday after the storm.")
    assert article.title == title
    assert article.site == site


@pytest.mark.parametrize(
    "line",
    [
        "Covid-19 vaccines - what we know so far",
        "Spider-Man review – the best one yet",
        "Biden – Putin summit ends without a deal on arms control",
        "Paris 2024 - 100 days to go",
        "Year-end review: markets in 2021",
        "Storm hits coast | live updates",
    ],
)
def test_title_with_a_dash_is_not_split(line: str) -> None:
    article = parse_text_article(f"{line}\n\nThe first paragraph of the story.")
    assert article.title == line
    assert article.site is None


def test_title_markdown_markers_are_stripped() -> None:
    article = parse_text_article("## *Rates stay on hold*\n\nThe central bank kept rates steady.")
    assert article.title == "Rates stay on hold"


def test_single_long_paragraph_gets_a_title_from_its_first_sentence() -> None:
    sentence = "The city council approved the new transit plan on Tuesday after a long debate. "
    article = parse_text_article(sentence * 5)
    assert article.title == sentence.strip()
    assert article.text == (sentence * 5).strip()


# --- datelines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dateline", "expected"),
    [
        ("Updated 9:58 PM, September 25, 2021", datetime(2021, 9, 25, 21, 58, tzinfo=UTC)),
        ("Published: 2021-09-25", datetime(2021, 9, 25, tzinfo=UTC)),
        ("September 25, 2021", datetime(2021, 9, 25, tzinfo=UTC)),
        ("25 September 2021", datetime(2021, 9, 25, tzinfo=UTC)),
        ("Sat 25th Sep. 2021", datetime(2021, 9, 25, tzinfo=UTC)),
        ("Sept. 25, 2021 at 10:30 a.m. UTC", datetime(2021, 9, 25, 10, 30, tzinfo=UTC)),
        ("2021-09-25T21:58:00+02:00", datetime(2021, 9, 25, 19, 58, tzinfo=UTC)),
        ("Posted on 25.09.2021, 14:05 GMT", datetime(2021, 9, 25, 14, 5, tzinfo=UTC)),
        ("09/25/2021", datetime(2021, 9, 25, tzinfo=UTC)),
        ("September 25, 2021 | 9:58 PM", datetime(2021, 9, 25, 21, 58, tzinfo=UTC)),
        ("**Published:** *September 25, 2021*", datetime(2021, 9, 25, tzinfo=UTC)),
    ],
)
def test_dateline_forms(dateline: str, expected: datetime) -> None:
    body = "The forum opened in Beijing with a call for cooperation."
    article = parse_text_article(f"Forum opens in Beijing\n\n{dateline}\n\n{body}")
    assert article.published == expected
    assert article.published.tzinfo is UTC
    assert article.text == body  # the dateline line is not article text


def test_byline_with_date() -> None:
    article = parse_text_article(
        "Forum opens\nBy Jane Doe and John Roe | Published September 25, 2021\n\nIt opened."
    )
    assert article.author == "Jane Doe and John Roe"
    assert article.published == datetime(2021, 9, 25, tzinfo=UTC)
    assert article.text == "It opened."


def test_published_preferred_over_updated() -> None:
    article = parse_text_article(
        "Forum opens\n\nUpdated: 2021-09-26\nPublished: 2021-09-25\n\nIt opened on Friday."
    )
    assert article.published == datetime(2021, 9, 25, tzinfo=UTC)
    assert article.text == "It opened on Friday."


@pytest.mark.parametrize(
    "line",
    [
        "On September 25, 2021, the forum opened in Beijing.",
        "05/06/2021",  # day and month order unknown: no date rather than a wrong one
        "September 31, 2021",  # no such day
        "By the way, the forum opened in Beijing.",
    ],
)
def test_text_that_is_not_a_dateline_is_kept(line: str) -> None:
    article = parse_text_article(f"Forum opens\n\n{line}\n\nMore text follows here.")
    assert article.published is None
    assert article.author is None
    assert article.text.startswith(line)


def test_dateline_far_down_is_text() -> None:
    lines = "\n\n".join(f"Paragraph number {i} of the story." for i in range(8))
    article = parse_text_article(f"Forum opens\n\n{lines}\n\nSeptember 25, 2021")
    assert article.published is None
    assert article.text.endswith("September 25, 2021")


# --- boilerplate and links ---------------------------------------------------------------------


def test_boilerplate_lines_are_dropped() -> None:
    boilerplate = [
        "Leave a Reply",
        "leave a comment",
        "Your email address will not be published.",
        "Your email address will not be published. Required fields are marked *",
        "Required fields are marked *",
        "Share this:",
        "Click to share on Twitter (Opens in new window)",
        "Click to share on Facebook (Opens in new window)",
        "Like this:",
        "Like Loading...",
        "Related",
        "Post navigation",
        "SUBSCRIBE TO OUR NEWSLETTER",
    ]
    kept = [
        "The minister said she would share this plan with parliament.",
        "Related stories were published last week by other outlets.",
    ]
    raw = "Plan unveiled\n\n" + "\n\n".join([kept[0], *boilerplate, kept[1]])
    article = parse_text_article(raw)
    assert article.text.split("\n\n") == kept


def test_first_url_becomes_the_link() -> None:
    article = parse_text_article(
        "Plan unveiled\n\nThe plan (see https://gov.example/plan.) was welcomed.\n\n"
        "Also https://other.example/page"
    )
    assert article.url == "https://gov.example/plan"
    assert "https://gov.example/plan" in article.text  # a URL inside a sentence stays


def test_bare_url_line_is_the_link_and_is_removed() -> None:
    article = parse_text_article("Plan unveiled\nhttps://news.example/plan#top\n\nIt was welcomed.")
    assert article.url == "https://news.example/plan"
    assert article.text == "It was welcomed."


def test_non_http_urls_are_not_links() -> None:
    article = parse_text_article("Plan unveiled\n\nWrite to mailto:a@b.c or ftp://x.example/f.")
    assert article.url is None


@pytest.mark.parametrize("raw", ["", "   \n\n\t", "Only a title", "# Title\n\n---\n\n![x](y.png)"])
def test_text_without_article_text(raw: str) -> None:
    with pytest.raises(NoArticleText, match=re.escape("notes.txt")):
        parse_text_article(raw, source_name="notes.txt")


def test_a_body_link_is_not_the_source_but_a_url_line_at_top_or_bottom_is() -> None:
    body = "\n\n".join(f"Paragraph {n} of the story goes on here." for n in range(8))
    linked = f"# Ocean heat\n\n{body}\n\nSee [the analysis](https://example.org/a) too.\n\nEnd."
    assert parse_text_article(linked).url is None
    deep = f"Ocean heat\n\n{body}\n\nMore at https://example.org/deep in the report.\n\nEnd."
    assert parse_text_article(deep).url is None
    bottom = f"Ocean heat\n\n{body}\n\nhttps://news.example/ocean"
    assert parse_text_article(bottom).url == "https://news.example/ocean"
    top = f"Ocean heat\nhttps://news.example/top\n\n{body}"
    assert parse_text_article(top).url == "https://news.example/top"
