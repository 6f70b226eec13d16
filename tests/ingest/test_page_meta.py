"""Tests for newsbot.ingest.page_meta: the site name, author and title precedence, on pages
shaped like real ones (Open Graph, JSON-LD with @graph and @id references, meta author)."""

from __future__ import annotations

import json

import pytest

from newsbot.ingest.html import extract_html

BODY = "".join(
    f"<p>Paragraph {i} of the report says the council will vote on the budget next week, after "
    f"months of talks with the unions.</p>"
    for i in range(6)
)
URL = "https://www.pv-magazine.example/2024/03/01/solar-tender/"


def _page(head: str, title: str = "Solar tender draws record bids") -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{title}</title>{head}</head>"
        f"<body><article><h1>Solar tender draws record bids</h1>{BODY}</article></body></html>"
    )


def _ld(data: object) -> str:
    return f"<script type='application/ld+json'>{json.dumps(data)}</script>"


def _og(name: str) -> str:
    return f"<meta property='og:site_name' content='{name}'>"


ARTICLE = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Solar tender"}
PUBLISHER = {**ARTICLE, "publisher": {"@type": "Organization", "name": "Associated Press"}}

SITE_CASES = [
    # og:site_name wins over a byline agency in JSON-LD, and keeps the site's own casing
    (_og("pv magazine") + _ld(PUBLISHER), "pv magazine"),
    (_og("9to5Mac"), "9to5Mac"),
    # a URL is never a site name: the next source is used
    (_og("https://www.pv-magazine.example") + _ld(PUBLISHER), "Associated Press"),
    # "Site | tagline" and a handle
    (_og("LinkNaija | Nigeria's popular news platform"), "LinkNaija"),
    (_og("@politifact"), "politifact"),
    # JSON-LD publisher, also through an @graph @id reference (Yoast-style pages)
    (_ld(PUBLISHER), "Associated Press"),
    (
        _ld(
            {
                "@context": "https://schema.org",
                "@graph": [
                    {"@type": "Organization", "@id": "https://x/#org", "name": "Solar Daily"},
                    {**ARTICLE, "publisher": {"@id": "https://x/#org"}},
                ],
            }
        ),
        "Solar Daily",
    ),
    # nothing declared: the host name, not a re-cased word
    ("", "pv-magazine.example"),
    ("<script type='application/ld+json'>{broken</script>", "pv-magazine.example"),
]


@pytest.mark.parametrize(("head", "site"), SITE_CASES)
def test_site_name_precedence(head: str, site: str) -> None:
    assert extract_html(_page(head), url=URL).site == site


AUTHOR_CASES = [
    (
        {**ARTICLE, "author": [{"@type": "person", "name": "By TOM KRISHER, AP Auto Writer"}]},
        "Tom Krisher",
    ),
    ({**ARTICLE, "author": {"@type": "Person", "name": "Rachael Link, MS, RD"}}, "Rachael Link"),
    (
        {**ARTICLE, "author": {"@type": "Person", "name": "Troy L. Smith, pv-magazine.example"}},
        "Troy L. Smith",
    ),
    ({**ARTICLE, "author": {"@type": "Person", "name": "Amy Roe | Editor-at-large"}}, "Amy Roe"),
    (
        {**ARTICLE, "author": ["Lia Eustachewich", "Yaron Steinbuch"]},
        "Lia Eustachewich; Yaron Steinbuch",
    ),
    (
        {**ARTICLE, "author": {"@type": "Person", "name": "Danica Kirka and Jill Lawless"}},
        "Danica Kirka; Jill Lawless",
    ),
    # the site itself as author is no author; a login name is no name
    ({**ARTICLE, "author": {"@type": "Organization", "name": "pv magazine"}}, None),
    ({**ARTICLE, "author": {"@type": "Person", "name": "kevin-r"}}, None),
]


@pytest.mark.parametrize(("data", "author"), AUTHOR_CASES)
def test_authors_from_json_ld_cleaned_of_roles(data: dict[str, object], author: str | None) -> None:
    assert extract_html(_page(_og("pv magazine") + _ld(data)), url=URL).author == author


def test_meta_author_when_no_json_ld_and_urls_ignored() -> None:
    head = (
        "<meta name='author' content='https://www.facebook.com/someone'>"
        "<meta name='author' content='Jill Disis, CNN Business'>" + _og("CNN")
    )
    assert extract_html(_page(head), url=URL).author == "Jill Disis"


def test_author_never_taken_from_a_sentence() -> None:
    body = "<p>Phil Helsel is a reporter for the paper and wrote the first report.</p>"
    html = _page(_og("pv magazine")).replace("<article>", f"<article>{body}")
    assert extract_html(html, url=URL).author is None


def test_title_is_never_the_site_name() -> None:
    # og:title and <title> are the site name (a template bug): the <h1> is the title
    head = _og("pv magazine") + "<meta property='og:title' content='pv magazine'>"
    article = extract_html(_page(head, title="pv magazine"), url=URL)
    assert article.title == "Solar tender draws record bids"
    assert article.site == "pv magazine"
