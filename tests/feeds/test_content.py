"""Tests for newsbot.feeds.content: an entry's own HTML as article text."""

from __future__ import annotations

from newsbot.feeds.content import FULL_ARTICLE_CHARS, carries_article, html_to_text


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    fragment = "<p>One &amp; two.</p><script>x()</script><ul><li>Three</li></ul>Four<br>Five"
    assert html_to_text(fragment) == "One & two.\n\nThree\n\nFour\n\nFive"


def test_a_teaser_is_not_an_article_and_a_long_body_is() -> None:
    teaser = "<p>The council met on Monday. [&#8230;]</p><p>Continue reading</p>"
    assert carries_article(teaser) is None
    assert carries_article(None) is None and carries_article("") is None
    sentence = "The council voted to rebuild the harbour wall before the winter storms. "
    body = "<p>" + sentence * (FULL_ARTICLE_CHARS // len(sentence) + 1) + "</p>"
    text = carries_article(body + "<p>Read more: the harbour's history</p>")
    assert text is not None and text.startswith("The council voted") and "Read more" not in text
