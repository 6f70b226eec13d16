"""End to end, as admins (and readers trying admin commands): /add, /remove, /articles, /stats."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from botapi_emulator import inline_buttons
from newsbot.bot.admin import FOR_ADMINS
from tests.helpers.bot import ADMIN, READER, RunningBot, bot_on_emulator, hermetic, local_site


@pytest.fixture
async def bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningBot]:
    hermetic(monkeypatch)
    async with bot_on_emulator(tmp_path) as running:
        yield running


@pytest.fixture
def site() -> Iterator[str]:
    with local_site() as url:
        yield url


async def test_add_url_stores_it_then_reports_duplicate_and_answers_with_link(
    bot: RunningBot, site: str
) -> None:
    url = f"{site}/baikal.html"
    progress, result = await bot.say(f"/add {url}", user=ADMIN, count=2)
    assert progress.text == f"Fetching {url}…"
    assert result.is_edit and result.message_id == progress.message_id
    stored = await bot.service.store.get(2)
    assert (stored.url, stored.site) == (url, "The Northern Courier")
    assert result.text == (
        "Added #2: Lake Baikal ice road opens early\n"
        f"The Northern Courier · 2024-01-15 · {stored.passage_count} passages · id 2"
    )
    assert [e["url"] for e in result.entities if e["type"] == "text_link"] == [url]
    assert bot.emu.calls("sendChatAction")[0].params["action"] == "typing"

    _, again = await bot.say(f"/add {url}", user=ADMIN, count=2)
    assert again.text == "Already stored as #2: Lake Baikal ice road opens early"
    assert await bot.service.store.count() == 2

    answer = await bot.one("How thick is the ice on Lake Baikal?")
    assert answer.text is not None and answer.text.startswith("Lake Baikal ice road opens early\n")
    assert "forty centimetres" in answer.text
    assert answer.entities[0] == {
        "type": "text_link",
        "offset": 0,
        "length": len("Lake Baikal ice road opens early"),
        "url": url,
    }


async def test_add_failures_are_explained_and_store_nothing(bot: RunningBot, site: str) -> None:
    urls = [f"{site}/gone.html", f"{site}/report.pdf", f"{site}/empty.html", "ftp://x.org/a"]
    progress, result = await bot.say("/add " + " ".join(urls), user=ADMIN, count=2)
    assert progress.text == "Fetching 4 pages…"
    assert result.text is not None
    lines = result.text.split("\n\n")
    assert lines[0] == f"Not added: The page answered 404 Not Found: {urls[0]}"
    assert lines[1].startswith(f"Not added: {urls[1]} is a PDF")
    assert lines[2].startswith("Not added: No article text")
    assert lines[3] == "Not added: Only http and https URLs can be added: ftp://x.org/a"
    _, refused = await bot.say("/add http://169.254.169.254/latest/meta-data", user=ADMIN, count=2)
    assert refused.text is not None and "metadata" in refused.text
    # Words that aren't URLs, with nothing pasted below: not two failed fetches, the usage.
    words = await bot.one("/add My title", user=ADMIN)
    assert words.text is not None and words.text.startswith("“My title” is not a URL.\nUsage:")
    assert await bot.service.store.count() == 1
    # ...and with the text below them, they are its title.
    _, added = await bot.say(
        "/add Olkhon ferry timetable\nThe Olkhon ferry sails at dawn all summer.",
        user=ADMIN,
        count=2,
    )
    assert added.text is not None and added.text.startswith("Added #")
    assert "Olkhon ferry timetable" in added.text


async def test_slow_page_shows_typing_and_progress_first(bot: RunningBot, site: str) -> None:
    bot.emu.user_sends(f"/add {site}/slow.html", user_id=ADMIN)
    [progress] = await bot.emu.wait_for_messages(ADMIN)
    assert progress.text is not None and progress.text.startswith("Fetching")
    typing = await bot.emu.wait_for_call("sendChatAction")
    assert typing.params["action"] == "typing" and not bot.emu.calls("editMessageText")
    [done] = await bot.emu.wait_for_messages(ADMIN, timeout=10)
    assert done.text is not None and done.text.startswith("Added #2: Lake Ladoga ice road")


async def test_add_uploaded_files_and_pasted_text(bot: RunningBot, site: str) -> None:
    page = (await _fetch(f"{site}/baikal.html")).replace("Baikal", "Onega")
    bot.emu.user_sends_document(
        "onega.html", page.encode(), user_id=ADMIN, caption="/add https://courier.example/onega"
    )
    _, html_added = await bot.emu.wait_for_messages(ADMIN, 2)
    assert html_added.text is not None and html_added.text.startswith("Added #2: Lake Onega")
    links = [e["url"] for e in html_added.entities if e["type"] == "text_link"]
    assert links == []  # an uploaded file's source is the file, shown as a bold title
    assert (await bot.service.store.get(2)).url == "https://courier.example/onega"

    notes = "Ladoga seals counted\n\nA survey counted 5,000 ringed seals on Lake Ladoga."
    bot.emu.user_sends_document("seals.txt", notes.encode(), user_id=ADMIN, caption="/add")
    _, txt_added = await bot.emu.wait_for_messages(ADMIN, 2)
    assert txt_added.text == "Added #3: Ladoga seals counted\n1 passage · id 3"

    bot.emu.user_sends_document("scan.pdf", b"%PDF-1.4", user_id=ADMIN, caption="/add")
    _, refused = await bot.emu.wait_for_messages(ADMIN, 2)
    assert (
        refused.text == "Not added: scan.pdf: only .html, .htm and .txt and .md files can be added"
        or (refused.text is not None and refused.text.startswith("Not added: scan.pdf: only"))
    )

    pasted = (
        "/add\nVolga barges return\nSee https://river.example/volga for more.\n\n"
        "Barges carrying grain returned to the Volga after the thaw."
    )
    _, text_added = await bot.say(pasted, user=ADMIN, count=2)
    assert text_added.text is not None and text_added.text.startswith(
        "Added #4: Volga barges return"
    )
    assert [e["url"] for e in text_added.entities if e["type"] == "text_link"] == [
        "https://river.example/volga"
    ]
    _, duplicate = await bot.say(pasted, user=ADMIN, count=2)
    assert duplicate.text is not None and duplicate.text.startswith("Already stored as #4")

    answer = await bot.one("What did the barges carry on the Volga?")
    assert answer.text is not None and "grain" in answer.text
    bot.emu.user_sends_document("more.txt", b"x", user_id=ADMIN)
    [reply] = await bot.emu.wait_for_messages(ADMIN)
    assert reply.text == "To add this file as an article, send it with the caption /add."
    assert await bot.service.store.count() == 4


async def test_readers_are_refused_admin_commands_and_nothing_changes(
    bot: RunningBot, site: str
) -> None:
    for command in (
        f"/add {site}/baikal.html",
        "/add\nTitle\nText",
        "/remove 1",
        "/articles",
        "/stats",
    ):
        assert (await bot.one(command)).text == FOR_ADMINS
    bot.emu.user_sends_document("x.txt", b"Title\n\nSome text.", user_id=READER, caption="/add")
    assert (await bot.emu.wait_for_messages(READER))[0].text == FOR_ADMINS
    assert await bot.service.store.count() == 1
    assert (await bot.service.stats()).questions == 0
    assert bot.emu.calls("sendChatAction") == []


async def test_remove_articles_and_stats(bot: RunningBot) -> None:
    async for _ in bot.service.ingestor.add_records(
        (f"r{n}", {"url": f"https://ex.org/{n}", "title": f"Story {n}", "text": f"Body {n}."})
        for n in range(11)
    ):
        pass
    sample_passages = (await bot.service.store.get(1)).passage_count
    listing = await bot.one("/articles", user=ADMIN)
    assert listing.text is not None
    assert listing.text.splitlines()[:3] == [
        "Articles, newest first (page 1)",
        "#12 Story 10",
        "#11 Story 9",
    ]
    assert [b["callback_data"] for b in inline_buttons(listing)] == ["articles:1"]
    bot.emu.user_presses(listing, "articles:1", user_id=ADMIN)
    [page_two] = await bot.emu.wait_for_messages(ADMIN)
    assert page_two.text is not None and page_two.text.splitlines()[1:] == [
        "#2 Story 0",
        "#1 Xi Jinping calls for greater international technology cooperation (no link)"
        " · Media Inter World · 2021-09-25",
    ]
    assert (await bot.one("/articles 3", user=ADMIN)).text == "No more articles."
    assert (
        await bot.one("/articles x", user=ADMIN)
    ).text == "Usage: /articles [page], for example /articles 2"
    assert (
        await bot.one("/remove", user=ADMIN)
    ).text == "Usage: /remove <id> (the ids are in /articles)"
    assert (await bot.one("/remove 999", user=ADMIN)).text == "There is no article with id 999."
    assert (await bot.one("/remove #12", user=ADMIN)).text == "Removed #12: Story 10"
    assert await bot.service.store.count() == 11

    await bot.one("What is Zhongguancun known as?")
    await bot.one("Who won the 1987 Tour de France?")
    stats = await bot.one("/stats", user=ADMIN)
    assert stats.text == (
        f"Articles: 11\nPassages: {sample_passages + 10}\nActive subscribers: 0\n"
        "Questions asked: 2 from readers (50% answered), 0 from the CLI\nFeedback: 0 👍, 0 👎"
    )
    usage = await bot.one("/add", user=ADMIN)
    assert usage.text is not None and usage.text.startswith("Usage: /add <url> [<url> …]")


async def _fetch(url: str) -> str:
    import httpx

    async with httpx.AsyncClient() as client:
        return (await client.get(url)).text


async def test_uploads_are_measured_sniffed_and_honour_the_caption_url(bot: RunningBot) -> None:
    big = b"Big story\n\n" + b"Words of the story go on. " * 250_000  # 6.5 MB, size not declared
    bot.emu.user_sends_document("big.txt", big, user_id=ADMIN, caption="/add", declare_size=False)
    _, refused = await bot.emu.wait_for_messages(ADMIN, 2)
    assert refused.text == "Not added: big.txt is over the 5 MB limit"

    zipped = b"PK\x03\x04" + bytes(200)
    bot.emu.user_sends_document("story.txt", zipped, user_id=ADMIN, caption="/add")
    _, binary = await bot.emu.wait_for_messages(ADMIN, 2)
    assert binary.text is not None and binary.text.startswith("Not added: story.txt is a zip")

    notes = "Ladoga seals counted\n\nA survey counted 5,000 ringed seals on Lake Ladoga."
    caption = "/add https://courier.example/seals"
    bot.emu.user_sends_document("seals.md", notes.encode(), user_id=ADMIN, caption=caption)
    _, added = await bot.emu.wait_for_messages(ADMIN, 2)
    assert added.text is not None and added.text.startswith("Added #2: Ladoga seals counted")
    assert (await bot.service.store.get(2)).url == "https://courier.example/seals"

    bad = "/add javascript:alert(1)"
    bot.emu.user_sends_document("seals2.txt", b"Seals\n\nMore seals.", user_id=ADMIN, caption=bad)
    _, scheme = await bot.emu.wait_for_messages(ADMIN, 2)
    assert scheme.text is not None and "must be an http(s) URL" in scheme.text
    assert await bot.service.store.count() == 2


async def test_add_pasted_text_refuses_a_javascript_source(bot: RunningBot) -> None:
    _, result = await bot.say(
        "/add javascript:alert(1)\nTitle\nSome text here.", user=ADMIN, count=2
    )
    assert result.text is not None and "must be an http(s) URL" in result.text
    assert await bot.service.store.count() == 1


async def test_huge_ids_long_urls_and_long_dns_labels(bot: RunningBot) -> None:
    huge = "99999999999999999999999"
    assert (await bot.one(f"/remove {huge}", user=ADMIN)).text == (
        f"There is no article with id {huge}."
    )
    assert (
        await bot.one("/remove ²", user=ADMIN)
    ).text == "Usage: /remove <id> (the ids are in /articles)"
    listed = await bot.one(f"/articles {huge}", user=ADMIN)
    assert listed.text == "No more articles."
    long_url = "https://news.example/" + "a" * 4_000
    assert (await bot.one(f"/add {long_url}", user=ADMIN)).text == (
        "Not added: that URL is 4,021 characters long; at most 2,000."
    )
    label = "a" * 64
    _, refused = await bot.say(f"/add http://{label}.example.com/", user=ADMIN, count=2)
    assert refused.text is not None and "not a valid host name" in refused.text
    assert await bot.service.store.count() == 1
