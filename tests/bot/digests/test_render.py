"""A digest's messages as Telegram gets them: escaped, linked, split between articles."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from botapi_emulator import parse_html
from newsbot.bot.digests.render import digest_messages
from newsbot.digest.content import Digest, DigestItem

DIGEST = "Your news digest"


def test_digest_html_is_escaped_linked_and_split_past_4096() -> None:
    zone = ZoneInfo("Europe/Berlin")
    since = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
    items = tuple(
        DigestItem(
            article_id=n,
            title=f"Title <{n}> & “quotes” " + "long " * 60,
            url=f"https://news.example/a?x={n}&y=<{n}>",
            site="Site & Co",
            date=datetime(2024, 5, 1, tzinfo=UTC),
            lead="Lead <i>sentence</i> " + "word " * 120,
        )
        for n in range(10)
    )
    messages = digest_messages(Digest(since, since, items), zone)
    assert len(messages) > 1
    texts, links = [], []
    for message in messages:
        text, entities = parse_html(message)  # raises on anything Telegram couldn't parse
        assert len(text.encode("utf-16-le")) // 2 <= 4096
        texts.append(text)
        links += [e["url"] for e in entities if e["type"] == "text_link"]
    assert texts[0].startswith(f"{DIGEST}: 10 new articles since 2024-05-01 08:00")
    assert links == [html.unescape(i.url or "") for i in items]
    joined = "\n".join(texts)
    assert joined.count("Site & Co · 2024-05-01") == 10 and "Lead <i>sentence</i>" in joined
    # Each article starts whole in a message: splits fall between articles.
    assert all(re.match(r"Title <\d>", t.split("\n")[0]) for t in texts[1:])
