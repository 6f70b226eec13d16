"""An answer laid out for a phone: one header per article, the answer sentence in bold.

Hits are grouped under their article's header (title linked to the source, site and date),
in the order of each article's best hit. Each passage is cut to a window around the sentence
that answers (`newsbot.snippet`), sized so that the whole first message fits one phone screen:
the best passage keeps its answer sentence whole (up to twice its window), and each passage
after it gets what the ones before left of the screen, cut at a word if it must (never under
`MIN_CUT`). "More from this article" (a button) shows the passages whole. A passage that lacks
some of the question's names ("Missing: qatar" under it) has its matched words in bold instead:
it may be a near miss, so no sentence of it is shown as the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsbot.bot.render import Block, Run, day, lines_of, pack, title_runs, utf16_len
from newsbot.conversation.snippet import (
    MIN_CUT,
    Snippet,
    Span,
    best_sentence,
    snippet,
    window_for,
)
from newsbot.db.articles import ArticleInfo
from newsbot.i18n import _
from newsbot.search.retriever import Hit

SCREEN = 700
"""Characters of an answer's first message: about one phone screen (15-20 lines)."""


@dataclass(frozen=True)
class ArticleHits:
    """The hits of one article, best first."""

    article_id: int
    title: str
    url: str | None
    hits: tuple[Hit, ...]


def group_by_article(hits: Sequence[Hit]) -> list[ArticleHits]:
    """Hits grouped by article, articles in the order of their best hit."""
    groups: dict[int, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.article_id, []).append(hit)
    return [
        ArticleHits(group[0].article_id, group[0].title, group[0].url, tuple(group))
        for group in groups.values()
    ]


def answer_span(hit: Hit) -> Span | None:
    """The sentence of the passage that answers: the answer locator's, else the sentence with
    the most matched words."""
    if hit.answer is not None:
        return hit.answer.start, hit.answer.end
    return best_sentence(hit.passage, hit.highlights)


def header(title: str, url: str | None, site: str | None, published: datetime | None) -> Block:
    """An article's linked title, then its site and date."""
    block: Block = [title_runs(title, url)]
    meta = " · ".join(part for part in (site, day(published)) if part)
    if meta.strip():
        block.extend(lines_of([Run(meta, italic=True)]))
    return block


def snippet_runs(shown: Snippet, marks: Sequence[Span] | None = None) -> list[Run]:
    """A snippet's text with its answer sentence in bold, or (`marks`: spans of `shown.text`)
    those spans."""
    spans = marks if marks is not None else [shown.bold] if shown.bold else []
    runs: list[Run] = []
    at = 0
    for start, end in spans:
        runs.extend((Run(shown.text[at:start]), Run(shown.text[start:end], bold=True)))
        at = end
    runs.append(Run(shown.text[at:]))
    return [run for run in runs if run.text] or [Run(shown.text)]


def missing_line(words: Sequence[str]) -> str:
    """The question's names and numbers a passage lacks, shown under it, as a search engine
    does: a near miss (another model, another team) looks like one."""
    return _("Missing: {words}").format(words=", ".join(words))


@dataclass(frozen=True)
class AnswerView:
    """An answer's messages, and the articles whose passages were shortened."""

    messages: list[str]
    trimmed: list[ArticleHits]


def answer_view(
    hits: Sequence[Hit], *, note: str | None = None, screen: int = SCREEN
) -> AnswerView:
    """The answer for `hits` (best first), with an italic `note` line above it if given."""
    groups = group_by_article(hits)
    blocks: list[Block] = [lines_of([Run(note, italic=True)])] if note else []
    overhead = sum(utf16_len(group.title) + 40 for group in groups) + len(note or "")
    room, left = screen - overhead, len(hits)  # of the screen, for the passages not laid out
    trimmed: list[ArticleHits] = []
    for group in groups:
        first = group.hits[0]
        block = header(group.title, group.url, first.site, first.published)
        cut = False
        for hit in group.hits:
            window = window_for(left, room, 0)
            # The best passage's answer sentence stays whole; the others share what's left.
            limit = None if left == len(hits) else max(MIN_CUT, room // left)
            shown = snippet(hit.passage, answer_span(hit), window, limit)
            room, left = room - len(shown.text) - 1, left - 1  # 1: its line break
            cut = cut or shown.trimmed
            # A passage that lacks one of the question's names may not answer it (a near
            # miss: another model, another team): its matched words in bold, as a search
            # engine shows a result, not a sentence as the answer.
            marks = shown.spans_of(hit.highlights) if hit.missing else None
            block.extend(lines_of(snippet_runs(shown, marks)))
            if hit.missing:
                missing = missing_line(hit.missing)
                room -= len(missing) + 1
                block.extend(lines_of([Run(missing, italic=True)]))
        if cut:
            trimmed.append(group)
        blocks.append(block)
    return AnswerView(pack(blocks), trimmed)


def full_passages(info: ArticleInfo, passages: Sequence[str]) -> list[str]:
    """ "More from this article": its header, then the answer's passages of it in full."""
    blocks: list[Block] = [header(info.title, info.url, info.site, info.published)]
    blocks.extend(lines_of([Run(text)]) for text in passages)
    return pack(blocks)
