"""Feed polling: 100 feeds x 50 entries served on loopback, new and idle.

    .venv/bin/python benchmarks/feed_poll.py [--feeds 100] [--entries 50] [--linked 4]

The real FeedService (SafeFetcher, feedparser, the ingest pipeline, SQLite in WAL mode) on a
fresh database, against a real HTTP server on 127.0.0.1 in another thread of this process,
with the service's clock moved by hand. Each figure sits beside a baseline measured in the
same run on the same bytes:

* new entries carried whole in content:encoded (`feeds add` of every feed): entries/s,
  beside a bare `feedparser.parse` of the same feed bytes;
* new entries that link their article page (fetched and extracted like /add), `--linked`
  feeds: entries/s, beside trafilatura (`extract_html`) on the same page bytes, no fetch;
* idle polls, 304 (ETag): time per feed, beside a bare httpx conditional GET of the same URL;
* idle polls, unchanged 200 (no validators: parsed, every entry already known): time per
  feed, beside a bare httpx GET plus `feedparser.parse` of the body.

Idle polls are repeated (`--repeats`) and reported as the median, with the ratio to the
baseline's median.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from html import escape
from pathlib import Path

import feedparser
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers.feeds import FakeClock, FeedSite, article_page, article_text, feed_site, rss

from newsbot.ingest.html import extract_html
from newsbot.service import Newsbot
from newsbot.settings import Settings


def build_feeds(site: FeedSite, feeds: int, entries: int, *, linked: bool, start: int) -> list[str]:
    urls = []
    for f in range(feeds):
        numbers = [start + f * entries + e for e in range(entries)]
        items = [(f"g{n}", f"{site.base}/a/{n}.html", f"Story {n}") for n in numbers]
        if linked:
            for n in numbers:
                site.serve(f"/a/{n}.html", article_page(n))
            body = rss(items, title=f"Linked {f}")
        else:
            bodies = ["".join(f"<p>{escape(p)}</p>" for p in article_text(n)) for n in numbers]
            body = rss(items, title=f"Feed {f}", bodies=bodies)
        urls.append(site.serve_feed(f"/{'linked' if linked else 'full'}/{f}.xml", body))
    return urls


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--linked", type=int, default=4, help="feeds whose entries link pages")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as folder, feed_site() as site:
        settings = Settings(
            database_url=f"sqlite:///{folder}/bench.db", allow_private_urls=True, _env_file=None
        )
        full = build_feeds(site, args.feeds, args.entries, linked=False, start=0)
        linked = build_feeds(
            site, args.linked, args.entries, linked=True, start=args.feeds * args.entries
        )
        async with await Newsbot.open(settings) as app, httpx.AsyncClient() as client:
            feeds = app.feeds
            feeds.clock = clock
            total = args.feeds * args.entries

            # -- new entries, carried in the feed ---------------------------------------------
            bodies = [site.routes[url.removeprefix(site.base)].body for url in full]
            started = time.perf_counter()
            parsed = sum(len(feedparser.parse(body).entries) for body in bodies)
            parse_s = time.perf_counter() - started
            started = time.perf_counter()
            added = 0
            for url in full:
                added += (await feeds.add(url)).added
            add_s = time.perf_counter() - started
            assert parsed == total, parsed
            print(
                f"new entries in content:encoded: {added}/{total} stored in {add_s:.1f} s = "
                f"{added / add_s:.0f} entries/s; bare feedparser.parse of the same bytes "
                f"{parsed / parse_s:.0f} entries/s (ratio {parse_s / add_s:.2f})"
            )

            # -- new entries, linked pages ------------------------------------------------------
            if linked:
                pages = [
                    site.routes[f"/a/{n}.html"].body
                    for n in range(total, total + args.linked * args.entries)
                ]
                started = time.perf_counter()
                for page in pages:
                    extract_html(page, url="http://127.0.0.1/a.html")
                extract_s = time.perf_counter() - started
                started = time.perf_counter()
                added = 0
                for url in linked:
                    added += (await feeds.add(url)).added
                linked_s = time.perf_counter() - started
                print(
                    f"new entries linking pages: {added}/{len(pages)} stored in "
                    f"{linked_s:.1f} s = {added / linked_s:.0f} entries/s; extract_html alone "
                    f"{len(pages) / extract_s:.0f} pages/s (ratio {extract_s / linked_s:.2f})"
                )
            every = full + linked

            # -- idle polls ---------------------------------------------------------------------
            async def idle_round() -> float:
                clock.advance(days=1)
                started = time.perf_counter()
                outcomes = await feeds.poll_due(limit=len(every))
                elapsed = time.perf_counter() - started
                assert len(outcomes) == len(every) and not any(o.added for o in outcomes)
                return elapsed / len(every)

            async def bare_round(conditional: bool) -> float:
                started = time.perf_counter()
                for url in every:
                    route = site.routes[url.removeprefix(site.base)]
                    headers = {"If-None-Match": route.etag} if conditional and route.etag else {}
                    response = await client.get(url, headers=headers)
                    if not conditional:
                        feedparser.parse(response.content)
                return (time.perf_counter() - started) / len(every)

            for label, conditional in (("304 (ETag)", True), ("unchanged 200, parsed", False)):
                if not conditional:  # the server stops sending validators
                    for url in every:
                        route = site.routes[url.removeprefix(site.base)]
                        route.etag = route.last_modified = None
                    await idle_round()  # the first one forgets the stored ETags
                ours = [await idle_round() for _ in range(args.repeats)]
                bare = [await bare_round(conditional) for _ in range(args.repeats)]
                ours_ms, bare_ms = statistics.median(ours) * 1e3, statistics.median(bare) * 1e3
                print(
                    f"idle poll, {label}: {ours_ms:.2f} ms per feed (median of "
                    f"{args.repeats} rounds of {len(every)} feeds); bare httpx"
                    f"{'' if conditional else ' + feedparser'} {bare_ms:.2f} ms "
                    f"(ratio {ours_ms / bare_ms:.1f}x)"
                )
            pages_fetched = sum(1 for hit in site.hits if hit.path.startswith("/a/"))
            print(
                f"article pages fetched in all: {pages_fetched} "
                f"(each once: {pages_fetched == args.linked * args.entries})"
            )


if __name__ == "__main__":
    asyncio.run(main())
