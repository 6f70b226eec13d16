"""The shared conversation state on a real SQLite file: tokens, contexts, feedback."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from newsbot.db.chat_state import ChatStateStore, Context, ShownPassage
from newsbot.service import Newsbot
from newsbot.settings import Settings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SHOWN = [ShownPassage(5, 1), ShownPassage(9, 2)]


async def test_answers_are_found_by_token_until_they_expire(service: Newsbot) -> None:
    state = service.chat_state
    token = await state.record_answer(42, "Who?", SHOWN, now=NOW)
    assert len(token) <= 16 and token.replace("-", "").replace("_", "").isalnum()
    answer = await state.answer(token, now=NOW + timedelta(hours=1))
    assert answer is not None and answer.question == "Who?" and answer.chat_id == 42
    assert answer.shown == tuple(SHOWN)
    await state.add_shown(token, [ShownPassage(11, 3)])
    later = await state.answer(token, now=NOW)
    assert later is not None and [s.passage_id for s in later.shown] == [5, 9, 11]
    assert await state.answer(token, now=NOW + state.answer_ttl + timedelta(seconds=1)) is None
    assert await state.answer("forged00", now=NOW) is None
    other = await state.record_answer(42, "Again?", SHOWN, now=NOW)
    assert other != token


async def test_context_expires_and_survives_a_restart(settings: Settings) -> None:
    async with await Newsbot.open(settings) as first:
        await first.chat_state.record_answer(
            7, "Which club?", SHOWN, context=Context("Which club?", (1, 2)), now=NOW
        )
        await first.chat_state.set_context(8, Context("Other?", (3,)), now=NOW)
    async with await Newsbot.open(settings) as second:
        state = second.chat_state
        assert await state.context(7, now=NOW + timedelta(minutes=14)) == Context(
            "Which club?", (1, 2)
        )
        assert await state.context(7, now=NOW + timedelta(minutes=15)) is None
        assert await state.context(9, now=NOW) is None
        # A new context replaces the chat's old one.
        await state.set_context(7, Context("Next?", (4,)), now=NOW)
        assert await state.context(7, now=NOW) == Context("Next?", (4,))
        await state.prune(now=NOW + timedelta(days=3))
        assert await state.context(8, now=NOW) is None


async def test_one_vote_per_user_per_answer(service: Newsbot) -> None:
    state: ChatStateStore = service.chat_state
    token = await state.record_answer(1, "Why the ferry?", SHOWN)
    assert await state.vote(token, 100, helpful=False) is True
    assert await state.vote(token, 100, helpful=True) is False  # already voted
    assert await state.vote(token, 200, helpful=True) is True
    assert await state.vote("unknown0", 200, helpful=True) is None
    assert await state.votes() == (1, 1)
    [down] = await state.recent_unhelpful()
    assert down.question == "Why the ferry?" and down.passage_ids == (5, 9)
    stats = await service.stats()
    assert (stats.helpful, stats.unhelpful) == (1, 1)


async def test_answers_are_written_behind_and_another_process_reads_them(
    settings: Settings,
) -> None:
    async with await Newsbot.open(settings) as one, await Newsbot.open(settings) as other:
        tokens = [await one.chat_state.record_answer(n, "q", SHOWN) for n in range(5)]
        assert await one.chat_state.answer(tokens[0]) is not None  # this process: at once
        await one.chat_state.flush()  # (by itself FLUSH_DELAY later, or at FLUSH_AT answers)
        for token in tokens:
            assert await other.chat_state.answer(token) is not None


async def hand_over_during_a_flush(service: Newsbot, token: str) -> asyncio.Task[None]:
    """A write-behind flush of `token`'s answer, left waiting for the writer's only
    connection, which is then handed back (not through `async with`, which closes in a task
    of its own): the caller's next write asks for it first, and the pool gives a free
    connection to whoever asks first."""
    state = service.chat_state
    held = await service.write_engine.connect()
    flushing = asyncio.create_task(state.flush())
    await asyncio.sleep(0)  # the flush runs up to its wait for the connection
    assert token in state._writing[0]  # in flight: out of the pending answers
    await held.close()
    return flushing


async def test_a_page_shown_while_its_answer_is_being_written_is_kept(service: Newsbot) -> None:
    """A "More" page recorded while its answer's batch waits for the writer: the batch is
    written first, then the page, so the next "More" doesn't show the page again."""
    state = service.chat_state
    token = await state.record_answer(42, "Who?", SHOWN)
    flushing = await hand_over_during_a_flush(service, token)
    await state.add_shown(token, [ShownPassage(11, 3)])
    await flushing
    answer = await state.answer(token)
    assert answer is not None and [s.passage_id for s in answer.shown] == [5, 9, 11]


async def test_a_context_set_while_an_older_one_is_being_written_wins(service: Newsbot) -> None:
    state = service.chat_state
    token = await state.record_answer(7, "Old?", SHOWN, context=Context("Old?", (1,)))
    flushing = await hand_over_during_a_flush(service, token)
    await state.set_context(7, Context("New?", (2,)))
    await flushing
    assert await state.context(7) == Context("New?", (2,))
