"""`newsbot feeds ...` as a real subprocess, against feeds served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbot.feeds import read_opml
from tests.helpers.cli import newsbot
from tests.helpers.feeds import FeedSite, article_page, feed_site, rss

PRIVATE = {"NEWSBOT_ALLOW_PRIVATE_URLS": "true"}


@pytest.fixture
def site() -> Iterator[FeedSite]:
    with feed_site() as running:
        for n in (1, 2, 3):
            running.serve(f"/news/story-{n}.html", article_page(n))
        yield running


def feed(site: FeedSite, path: str, numbers: list[int], title: str) -> str:
    items = [(f"{path}-{n}", f"{site.base}/news/story-{n}.html", f"Story {n}") for n in numbers]
    return site.serve_feed(path, rss(items, title=title))


def test_add_list_remove(tmp_path: Path, site: FeedSite) -> None:
    db = tmp_path / "newsbot.db"
    url = feed(site, "/world.xml", [1, 2], "World desk")
    added = newsbot("feeds", "add", url, db=db, env=PRIVATE)
    assert added.returncode == 0, added.stderr
    assert added.stdout == f"Added feed #1: World desk ({url}): 2 new, 0 already known, 0 failed\n"
    again = newsbot("feeds", "add", url, db=db, env=PRIVATE)
    assert again.stdout == f"{url}: already there as #1\n"
    listed = newsbot("feeds", "list", db=db)
    assert listed.stdout.split("\t")[:5] == ["#1", "every 15 min", "2 articles", url, "World desk"]
    assert newsbot("articles", db=db).stdout.count("Story") == 2
    removed = newsbot("feeds", "remove", "1", db=db)
    assert removed.stdout == "Removed feed #1: World desk (its articles stay)\n"
    assert newsbot("feeds", "remove", "1", db=db).stderr == (
        "newsbot: There is no feed with id 1.\n"
    )


def test_opml_import_and_export_round_trip(tmp_path: Path, site: FeedSite) -> None:
    db = tmp_path / "newsbot.db"
    world = feed(site, "/world.xml", [1, 2], "World & Europe")
    sport = feed(site, "/sport.xml", [3], "Sport")
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(
        f"""<?xml version="1.0"?><opml version="1.0"><head><title>Reader</title></head><body>
<outline text="News"><outline type="rss" text="World" xmlUrl="{world}"/>
<outline type="rss" text="Gone" xmlUrl="{site.base}/gone.xml"/></outline>
<outline type="rss" text="Sport" xmlUrl="{sport}"/></body></opml>""",
        encoding="utf-8",
    )
    imported = newsbot("feeds", "import-opml", opml, db=db, env=PRIVATE)
    assert imported.returncode == 1  # one feed is gone: said so, the others added
    assert "gone.xml: not added: The page answered 404 Not Found" in imported.stderr
    assert imported.stdout.count("Added feed") == 2
    exported = newsbot("feeds", "export-opml", db=db)
    assert exported.returncode == 0
    assert read_opml(exported.stdout.encode()) == [world, sport]
    assert 'text="World &amp; Europe"' in exported.stdout


def test_bad_opml_file_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "newsbot.db"
    bad = tmp_path / "feeds.opml"
    bad.write_text("<html><body>not opml</body></html>", encoding="utf-8")
    result = newsbot("feeds", "import-opml", bad, db=db)
    assert (result.returncode, result.stderr) == (
        1,
        "newsbot: not an OPML file: the document is <html>, not <opml>\n",
    )
    missing = newsbot("feeds", "import-opml", tmp_path / "nope.opml", db=db)
    assert missing.returncode == 1 and "Cannot read" in missing.stderr
