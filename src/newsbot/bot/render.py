"""Telegram HTML: every reply is built from runs of escaped text, then packed into messages.

A message is made of blocks (an answer's passage, an article in a list) separated by a blank
line; a block is made of lines; a line is made of runs (plain, bold, italic or a link). Each
run is rendered with its own tags, so a message can be cut between any two runs (or inside a
run's text, re-opening its tags) and every piece is still valid HTML. Packing keeps blocks
whole when they fit, then lines, then words.

Lengths are measured on the HTML source in UTF-16 units, which is never less than what
Telegram counts (the text after parsing), so no message goes over 4,096 characters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from newsbot.db.articles import ArticleInfo, Stats
from newsbot.db.chat_state import Vote
from newsbot.i18n import _
from newsbot.ingest.pipeline import IngestResult

MAX_MESSAGE = 4096
# Telegram trims these around a message; a message of nothing else is "message text is empty".
_BLANK = " \t\n\r\f\v\u200b\u200c\u200d\u2060\ufeff"
_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Run:
    """A piece of text with one formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    link: str | None = None

    def tags(self) -> tuple[str, str]:
        """The opening and closing tags around this run's text."""
        opening, closing = "", ""
        if self.link:
            opening, closing = f'<a href="{html.escape(self.link)}">', "</a>"
        if self.bold:
            opening, closing = opening + "<b>", "</b>" + closing
        if self.italic:
            opening, closing = opening + "<i>", "</i>" + closing
        return opening, closing

    def render(self) -> str:
        """This run as Telegram HTML."""
        if not self.text:
            return ""
        opening, closing = self.tags()
        return f"{opening}{html.escape(self.text)}{closing}"


Line = tuple[Run, ...]
Block = list[Line]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the way Telegram counts."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def plain(text: str) -> Block:
    """Plain text as a block, one line per line of text."""
    return lines_of([Run(text)])


def lines_of(runs: Iterable[Run]) -> Block:
    """Cut runs at newlines into lines."""
    lines: Block = []
    current: list[Run] = []
    for run in runs:
        parts = run.text.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append(tuple(current))
                current = []
            if part:
                current.append(replace(run, text=part))
    lines.append(tuple(current))
    return lines


def highlighted(text: str, spans: Sequence[tuple[int, int]]) -> list[Run]:
    """`text` with the character spans in bold (spans may overlap or stick out; they're clipped)."""
    runs: list[Run] = []
    position = 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if end <= start:
            continue
        if start > position:
            runs.append(Run(text[position:start]))
        runs.append(Run(text[start:end], bold=True))
        position = end
    if position < len(text):
        runs.append(Run(text[position:]))
    return runs


def _line_html(line: Line) -> str:
    return "".join(run.render() for run in line)


def _is_blank(source: str) -> bool:
    return not html.unescape(re.sub(r"<[^>]*>", "", source)).strip(_BLANK)


def _split_line(line: Line, limit: int, first: int | None = None) -> list[str]:
    """A line too long for one message, cut between words (inside a word if it must be).

    The first piece gets at most `first` units (the room left in the message being filled).
    """
    pieces: list[str] = []
    budget = limit if first is None else first
    current, used = "", 0  # the piece being filled and its length

    def flush(piece: str) -> None:
        nonlocal budget, current, used
        if piece:
            pieces.append(piece)
        budget, current, used = limit, "", 0

    for run in line:
        opening, closing = run.tags()
        if utf16_len(opening + closing) > limit // 2:
            run, opening, closing = Run(run.text), "", ""  # a monster URL: keep the text only
        overhead = utf16_len(opening + closing)
        chunk, size = "", 0  # this run's escaped text in the current piece, and its length
        for word in _WORDS.findall(run.text):
            escaped = html.escape(word)
            length = utf16_len(escaped)
            if used + overhead + size + length <= budget:
                chunk, size = chunk + escaped, size + length
                continue
            if chunk:
                current, used = current + opening + chunk + closing, used + overhead + size
                chunk, size = "", 0
            if used + overhead + length > budget:
                flush(current)
            if overhead + length <= budget:
                chunk, size = escaped, length
                continue
            # A word longer than a message: cut it between characters.
            for char in word:
                escaped_char = html.escape(char)
                char_length = utf16_len(escaped_char)
                if used + overhead + size + char_length > budget:
                    flush(current + opening + chunk + closing if chunk else current)
                    chunk, size = "", 0
                chunk, size = chunk + escaped_char, size + char_length
        if chunk:
            current, used = current + opening + chunk + closing, used + overhead + size
    flush(current)
    return pieces


def pack(blocks: Iterable[Block], limit: int = MAX_MESSAGE) -> list[str]:
    """Blocks as Telegram HTML messages of at most `limit` UTF-16 units, never an empty one."""
    messages: list[str] = []
    current = ""

    def add(piece: str, separator: str) -> None:
        nonlocal current
        if _is_blank(piece):
            return
        joined = f"{current}{separator}{piece}" if current else piece
        if utf16_len(joined) <= limit:
            current = joined
            return
        if current:
            messages.append(current)
        current = piece

    for block in blocks:
        rendered = [_line_html(line) for line in block]
        whole = "\n".join(rendered)
        if utf16_len(whole) <= limit:
            add(whole, "\n\n")
            continue
        separator = "\n\n"
        for line, source in zip(block, rendered, strict=True):
            if utf16_len(source) <= limit:
                pieces = [source]
            else:
                # Start in the room left by the lines before, so the cut falls mid-line once.
                room = limit - utf16_len(current) - len(separator) if current else limit
                pieces = _split_line(line, limit, first=room if room >= limit // 4 else limit)
            for piece in pieces:
                add(piece, separator)
                separator = "\n"
    if current:
        messages.append(current)
    return [message.strip(_BLANK) for message in messages] or ["…"]


# ---- what the bot says ------------------------------------------------------------------------


def day(when: datetime | None) -> str | None:
    """A date as Telegram users read it: 2021-09-25."""
    return when.date().isoformat() if when else None


def no_link() -> str:
    """After the title of an article with no source URL: a title that isn't a link says why,
    rather than look like a broken link (in the reader's language)."""
    return _(" (no link)")


def title_run(title: str, url: str | None) -> Run:
    """A title: a link to `url`, or bold when there is none."""
    shown = title.strip(_BLANK) or url or _("Untitled")
    return Run(shown, link=url) if url else Run(shown, bold=True)


def title_runs(title: str, url: str | None) -> tuple[Run, ...]:
    """An article title as readers see it: a link to its source, or bold and "(no link)"."""
    return (title_run(title, url),) if url else (title_run(title, url), Run(no_link(), italic=True))


def article_line(info: ArticleInfo, *, with_id: bool) -> Block:
    """One article in /latest or /articles."""
    meta = " · ".join(part for part in (info.site, day(info.published)) if part)
    runs = [Run(f"#{info.id} ")] if with_id else []
    runs.extend(title_runs(info.title, info.url))
    if meta:
        runs.append(Run(f" · {meta}", italic=True))
    return lines_of(runs)


def article_list(
    heading: str, articles: Sequence[ArticleInfo], *, with_id: bool, limit: int = MAX_MESSAGE
) -> str:
    """A page of articles as one message (long titles are shortened to fit)."""
    blocks: list[Block] = [plain(heading)]
    room = max(80, (limit - utf16_len(heading)) // max(len(articles), 1) // 2 - 40)
    for info in articles:
        short = info.title if len(info.title) <= room else info.title[: room - 1] + "…"
        blocks.append(article_line(replace(info, title=short), with_id=with_id))
    text = "\n".join(_line_html(line) for block in blocks for line in block)
    return text if utf16_len(text) <= limit else pack(blocks, limit)[0]


def ingest_report(result: IngestResult) -> Block:
    """What became of one `/add` source."""
    if result.status == "failed":
        return lines_of([Run("Not added: ", bold=True), Run(result.reason or result.source)])
    title = result.title or result.source
    url = result.source if result.source.startswith(("http://", "https://")) else None
    if result.status == "duplicate":
        return lines_of([Run(f"Already stored as #{result.article_id}: "), title_run(title, url)])
    meta = [part for part in (result.site, day(result.published)) if part]
    count = f"{result.passages} passage{'s' if result.passages != 1 else ''}"
    details = " · ".join([*meta, count, f"id {result.article_id}"])
    return lines_of(
        [Run(f"Added #{result.article_id}: "), title_run(title, url), Run(f"\n{details}")]
    )


def stats_text(stats: Stats) -> str:
    """/stats."""
    return html.escape(
        f"Articles: {stats.articles}\n"
        f"Passages: {stats.passages}\n"
        f"Active subscribers: {stats.subscribers}\n"
        f"Questions asked: {stats.questions_summary}\n"
        f"Feedback: {stats.helpful} 👍, {stats.unhelpful} 👎"
    )


def feedback_text(helpful: int, unhelpful: int, votes: Sequence[Vote]) -> str:
    """/feedback: the counts, then each recent 👎 with its question and shown passage ids."""
    lines = [f"Feedback: {helpful} 👍, {unhelpful} 👎"]
    if not votes:
        lines.append("No 👎 yet.")
    else:
        lines += ["", "Recent 👎:"]
        for vote in votes:
            passages = ", ".join(f"#{p}" for p in vote.passage_ids) or "none"
            when = vote.created_at.strftime("%Y-%m-%d %H:%M")
            lines.append(f"• {when} UTC: “{vote.question}” (passages {passages})")
    return pack([plain("\n".join(lines))])[0]
