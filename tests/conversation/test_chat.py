"""`Conversation.more` on a real service (SQLite in tmp_path): the next page is the passages
not shown yet, whatever the ranking does between the presses."""

from __future__ import annotations

from newsbot.service import Newsbot

QUESTION = "Which ferry sails to Olkhon at dawn?"


async def add(service: Newsbot, *records: dict[str, str]) -> None:
    async for _ in service.ingestor.add_records((r["url"], r) for r in records):
        pass


def ferry(n: int) -> dict[str, str]:
    return {
        "url": f"https://news.example/ferry/{n}",
        "title": f"Ferry story {n}",
        "text": f"The ferry to Olkhon number {n} sails at dawn past the cliffs, day {n}.",
    }


async def test_more_never_shows_a_passage_of_an_earlier_page_again(service: Newsbot) -> None:
    await add(service, *(ferry(n) for n in range(6)))
    first = await service.conversation.reply(1, QUESTION)
    assert first.kind == "answer" and first.token is not None and len(first.hits) == 3
    # Between the two presses an article comes in that ranks above all of the first page:
    # a ranking offset would now put one of the first page's passages on the second.
    await add(
        service,
        {
            "url": "https://news.example/ferry/dawn",
            "title": "Which ferry sails to Olkhon at dawn",
            "text": "Which ferry sails to Olkhon at dawn? The dawn ferry to Olkhon sails daily.",
        },
    )
    await service.retriever.refresh()
    assert (await service.retriever.search(QUESTION)).hits[0].title.startswith("Which ferry")
    second = await service.conversation.more(first.token, 1)
    assert second.kind == "answer"
    shown = {h.passage_id for h in first.hits}
    assert shown.isdisjoint(h.passage_id for h in second.hits)
    assert len(second.hits) == 3 and second.has_more
    third = await service.conversation.more(first.token, 2)
    seen = shown | {h.passage_id for h in second.hits}
    assert seen.isdisjoint(h.passage_id for h in third.hits)
    assert len(third.hits) == 1 and not third.has_more  # all seven once, over three pages
