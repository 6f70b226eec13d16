"""Tests for newsbot.ingest.clutter: each clutter class on real-shaped pages (through trafilatura
and extract_html, as /add and `newsbot ingest` run it), article text that only looks like
clutter, and the lead."""

from __future__ import annotations

import re

import pytest

from newsbot.ingest.clutter import PageHints, clean_paragraphs, clutter_class
from newsbot.ingest.html import extract_html

STORY = [
    "The city council voted 7 to 2 on Tuesday to approve a new budget that raises spending on "
    "buses and libraries, after months of talks with the unions that run both services.",
    "The mayor said the plan would add 40 bus drivers by the spring and keep every branch "
    "library open on Sundays, which several had stopped doing during the last downturn.",
    "Opponents argued that the budget relies on a sales tax forecast that is too optimistic, "
    "and warned that the city could face a shortfall of several million dollars next year.",
    "The council will hold a second hearing in March, when residents can comment on the "
    "details before the spending plan takes effect at the start of the fiscal year.",
    "Union leaders welcomed the vote but said they would keep pressing for higher wages for "
    "the drivers, whose pay has not kept pace with the rising cost of living in the region.",
]
HEADLINE = "Council approves budget with more buses and libraries"


def _page(body_html: str, head: str = "", before: str = "", after: str = "") -> str:
    """A news page: header, an <article> with the story (``body_html`` spliced in after the
    second paragraph, ``before``/``after`` around the story), a sidebar and a footer."""
    paragraphs = [f"<p>{p}</p>" for p in STORY]
    story = "".join(paragraphs[:2]) + body_html + "".join(paragraphs[2:])
    return (
        "<!DOCTYPE html><html lang='en'><head>"
        f"<title>{HEADLINE} | City Gazette</title>"
        "<meta property='og:site_name' content='City Gazette'>"
        f"<meta property='og:title' content='{HEADLINE}'>{head}</head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header>"
        f"<main><article><h1>{HEADLINE}</h1>{before}<div class='article-body'>{story}{after}"
        "</div></article></main>"
        "<aside><h3>Trending</h3><ul><li><a href='/a'>Storm closes schools across the county"
        "</a></li><li><a href='/b'>Local bakery wins national prize for sourdough</a></li></ul>"
        "</aside><footer><p>© 2024 City Gazette. All rights reserved.</p></footer></body></html>"
    )


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _extract(html: str) -> str:
    return extract_html(html, url="https://citygazette.example/news/budget-vote").text


def _assert_story_only(text: str, *clutter: str) -> None:
    for paragraph in STORY:
        assert paragraph in text  # no article text lost
    for words in clutter:
        assert _key(words) not in _key(text), words


# Each case: (class, HTML inside the article body, words that must not be stored)
CASES = [
    (
        "related box",
        "<p><strong>Read more:</strong> <a href='/x'>Transit agency plans new night routes</a>"
        "</p><p>[Related: <a href='/y'>Library hours to expand in the spring</a>]</p>",
        ["Transit agency plans new night routes", "Library hours to expand"],
    ),
    (
        "don't miss box",
        "<p><strong>DON'T MISS</strong></p><p><a href='/z'>Mayor hits back at critics over "
        "tax plan</a> [INSIGHT]</p><p><a href='/w'>Bus drivers vote on strike</a> [VIDEO]</p>",
        ["DON'T MISS", "Mayor hits back at critics", "Bus drivers vote on strike"],
    ),
    (
        "also on / more links",
        "<p>Also on City Gazette</p><p>More AP politics: https://apnews.com/politics</p>",
        ["Also on City Gazette", "apnews.com/politics"],
    ),
    (
        "link-dense teaser list",
        "<ul><li><a href='/q'>Five things to know about the new budget</a></li>"
        "<li><a href='/r'>How the council voted, member by member</a></li></ul>",
        ["Five things to know about the new budget", "How the council voted"],
    ),
    (
        "share prompt",
        "<p>Like this story? Share it with a friend!</p><p>Comments</p>",
        ["Like this story", "Comments"],
    ),
    (
        "newsletter box",
        "<div class='newsletter'><h3>Morning Briefing Newsletter</h3><p>Get the day's top "
        "headlines delivered to your inbox every morning.</p><p>Subscribe to our newsletters."
        "</p></div>",
        ["Morning Briefing Newsletter", "delivered to your inbox", "Subscribe to our newsletters"],
    ),
    (
        "byline and e-mail",
        "<p>By Maria Lopez, Staff Writer</p><p>Have a tip? Maria Lopez may be reached at "
        "mlopez@citygazette.example.</p>",
        ["By Maria Lopez", "mlopez@citygazette.example"],
    ),
    (
        "dateline",
        "<p>Updated at 1:23 p.m.</p><p>terça-feira, 22 de outubro de 2024 às 20:13</p>",
        ["Updated at 1:23", "22 de outubro de 2024"],
    ),
    (
        "photo caption and credit",
        "<figure><img src='/bus.jpg' alt=''><figcaption>New buses at the depot. (Photo: Jane Roe"
        "/AP Photo)</figcaption></figure><p>Photo: John Smith/Getty Images</p>"
        "<p>copyright City Gazette 2024 - ISSN: 1234-5678</p>",
        ["Getty Images", "ISSN"],
    ),
    (
        "tweet residue",
        "<blockquote class='twitter-tweet'><p>Big win for riders tonight. pic.twitter.com/"
        "AbC123xyz</p>— Transit Riders Union (@RidersUnion) March 3, 2024</blockquote>",
        ["pic.twitter.com", "@RidersUnion"],
    ),
    (
        "wire sign-off",
        "<p>The council meets again next month. (Reporting by Ann Lee; Editing by Tom Baker)</p>"
        "<p>© Reuters 2024</p><p>Additional reporting by Joseph Hudak</p>",
        ["Reporting by Ann Lee", "Editing by Tom Baker", "Reuters", "Joseph Hudak"],
    ),
]


@pytest.mark.parametrize(("body", "clutter"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_clutter_class_removed_and_story_kept(body: str, clutter: list[str]) -> None:
    text = _extract(_page(body))
    _assert_story_only(text, *clutter)


def test_follow_line_and_bio_at_the_end() -> None:
    after = (
        "<p>Follow City Gazette on Facebook, Instagram and Twitter.</p>"
        '<p>Maria Lopez\'s book about city halls, "Open Doors" (River Press, 2023), is out now. '
        "Follow her on Twitter @mlopez.</p>"
    )
    text = _extract(_page("", after=after))
    _assert_story_only(text, "Follow City Gazette", "Open Doors", "@mlopez")


def test_follow_sentence_inside_a_long_paragraph_goes_alone() -> None:
    long = STORY[0] + " Follow our live coverage on Twitter. " + STORY[1]
    kept = clean_paragraphs([long, *STORY[2:], "Last words of the story are here, in full."])
    assert kept[0] == STORY[0] + " " + STORY[1]


def test_repeated_headline_is_removed() -> None:
    text = _extract(_page("", before="<h2>Council approves budget with more buses, libraries</h2>"))
    _assert_story_only(text, "Council approves budget")


def test_hover_card_inside_a_sentence_is_removed_and_the_name_kept() -> None:
    card = (
        "<p>Council member <a href='/people/ana-diaz'>Ana Diaz</a><span class='rollover'><span>"
        "<img src='/a.jpg' alt=''><a href='/people/ana-diaz'>Ana Maria Diaz</a><a href='/s1'>"
        "Diaz backs bus plan</a> <a href='/s2'>Diaz sworn in</a></span></span> voted against the "
        "budget, saying the sales tax forecast was far too optimistic for the coming year.</p>"
    )
    text = _extract(_page(card))
    assert "Council member Ana Diaz voted against the budget" in text
    _assert_story_only(text, "Diaz backs bus plan", "Diaz sworn in")


LOOKALIKES = [
    "By the time the police arrived, the crowd outside city hall had already gone home.",
    "More than 100 people came to the hearing, many of them bus drivers and their families.",
    "The copyright on the old city seal expired in 2019, so anyone may now use it.",
    "Sign up for a library card at any branch, the mayor said, and the fee is waived.",
    "Follow the money, the opposition leader told reporters after the vote on Tuesday.",
    "Related reforms passed last year cut waiting times at the permit office by half.",
    "Watchdogs said the vote was fair and the count was published within the hour.",
    "She was a reporter at this newspaper for twenty years before joining the council.",
]


@pytest.mark.parametrize("sentence", LOOKALIKES)
def test_article_sentences_that_look_like_clutter_stay(sentence: str) -> None:
    assert clutter_class(sentence, PageHints(headlines=(HEADLINE,))) is None
    assert clean_paragraphs([*STORY, sentence]) == [*STORY, sentence]


def test_long_paragraphs_are_never_dropped() -> None:
    long = "Read more: " + " ".join(STORY)  # starts like a related line, but is article text
    assert clean_paragraphs([long]) == [long]


def test_an_article_is_never_cleaned_away() -> None:
    # a page whose whole text is one short prompt-like item: the text is kept, not lost
    html = _page("").replace("".join(f"<p>{p}</p>" for p in STORY), "")
    html = html.replace(
        "<div class='article-body'>",
        "<div class='article-body'><p>Subscribe to the Gazette newsletter and get the council "
        "agenda, the votes and the budget documents in your inbox every single week.</p>",
    )
    article = extract_html(html, url="https://citygazette.example/news/subscribe")
    assert "council agenda" in article.text


def test_clean_false_keeps_the_text_as_trafilatura_gave_it() -> None:
    html = _page("<p>Like this story? Share it with a friend!</p>")
    assert "Like this story" in extract_html(html, clean=False).text
    assert "Like this story" not in extract_html(html).text


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Phil Helsel is a reporter for NBC News.", "byline"),
        ("Tempo de leitura: 1 minuto", "byline"),
        ("Filed under: Politics |", "byline"),
        ("5:45 AM PST 11/19/2019 by Patrick Shanley", "byline"),
        ("SOURCE: News agencies", "wire"),
        ("The Associated Press contributed to this report.", "wire"),
        ("— Jane Roe (@janeroe) November 18, 2019", "tweet"),
        ("You may also like...", "related"),
        ("Most read in world news", "related"),
        ("[button link='/kit-review' type='big'] Send us your review[/button]", "cta"),
    ],
)
def test_clutter_lines_by_class(line: str, kind: str) -> None:
    assert clutter_class(line) == kind


LEAD = (
    "WASHINGTON (AP) — The Senate passed a sweeping transit bill on Friday that sends billions "
    "of dollars to city bus systems."
)


def _lead_page(lead_html: str) -> str:
    head = f"<meta property='og:description' content='{LEAD}'>"
    return _page("", head=head).replace(
        "<div class='article-body'>", f"<div class='article-body'>{lead_html}"
    )


def test_lead_dropped_by_trafilatura_is_kept_when_the_description_has_it() -> None:
    # trafilatura (both modes) drops text sitting bare in a <div>; the page's og:description
    # starts with it and it stands right before the first paragraph: it is the lead
    text = _extract(_lead_page(f"<div>{LEAD}</div>"))
    assert text.startswith(LEAD)
    _assert_story_only(text)


def test_lead_full_of_links_is_not_taken_for_a_teaser() -> None:
    linked = " ".join(f"<a href='/t{i}'>{w}</a>" for i, w in enumerate(LEAD.split()))
    assert _extract(_lead_page(f"<p>{linked}</p>")).startswith(LEAD)


def test_a_sidebar_paragraph_is_not_made_the_lead() -> None:
    # the description does not start with the text before the first paragraph: nothing added
    text = _extract(_lead_page("<div>Advertisement: the best mortgage rates of the week.</div>"))
    assert text.startswith(STORY[0])
