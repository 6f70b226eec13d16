"""`newsbot ask` and `newsbot prompt`: answers in the terminal, one-shot or in a loop.

Only argparse is imported at module level (see newsbot.cli): the service comes when a command
runs.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

from newsbot.cli.options import positive

if TYPE_CHECKING:
    from newsbot.search.results import Hit, SearchResult
    from newsbot.settings import Settings

PROMPT_HELP = "quit, exit, Ctrl-D or Ctrl-C to leave"


BOLD, PLAIN = "\033[1m", "\033[0m"


NOT_A_QUESTION = (
    "That doesn't look like a question. Ask about the news in plain words, for example: "
    "Who won the election? (`newsbot articles` lists what I know.)"
)
"""What `ask` says to "ok", "2", "thanks" (the bot's hint, for the terminal)."""


def terminal_passage(hit: Hit, *, bold: bool) -> str:
    """A hit's passage indented under its header, every line of it; on a terminal the
    sentence that answers in bold, as the bot shows it (the matched words without one, or when
    the passage lacks one of the question's names)."""
    passage = hit.passage
    if bold:
        # A passage lacking one of the question's names: its matched words, as the bot does.
        answer = hit.answer if not hit.missing else None
        spans = [(answer.start, answer.end)] if answer else hit.highlights
        for start, end in reversed(spans):
            passage = f"{passage[:start]}{BOLD}{passage[start:end]}{PLAIN}{passage[end:]}"
    return textwrap.indent(passage, "   ")


def format_result(result: SearchResult, known: int, *, bold: bool) -> str:
    """A plain-text answer for the terminal (the answer in bold on a terminal)."""
    from newsbot.service import no_good_match

    if result.not_a_question:
        return NOT_A_QUESTION
    if not result.answered:
        declined = no_good_match(
            known, "`newsbot articles`", "add some with `newsbot ingest PATH_OR_URL`"
        )
        if result.unmentioned:
            words = ", ".join(f"“{word}”" for word in result.unmentioned)
            declined += f" None of the articles I found mentions {words}."
        return declined
    blocks = []
    for number, hit in enumerate(result.hits, 1):
        meta = ", ".join(
            part
            for part in (hit.site, hit.published.date().isoformat() if hit.published else None)
            if part
        )
        lines = [f"{number}. {hit.title}" + (f" ({meta})" if meta else "")]
        lines.append(f"   {hit.url or '(no link)'}")  # the link's place says when there is none
        lines.append(terminal_passage(hit, bold=bold))
        if hit.missing:
            lines.append(f"   Missing: {', '.join(hit.missing)}")  # as the bot's missing_line
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question, or one per line of stdin."""
    from newsbot.ingest.records import answer_json
    from newsbot.service import Newsbot

    if args.question is not None and not args.question.strip():
        print(
            "newsbot ask: the question is empty: give one, or none to read one per line from stdin",
            file=sys.stderr,
        )
        return 2
    questions: Iterable[str] = [args.question] if args.question is not None else sys.stdin
    async with await Newsbot.open(settings, create=False) as app:
        known = await app.store.count()
        first = True
        for raw in questions:
            question = raw.rstrip("\n")
            if args.question is None and not question.strip():
                continue
            result = await app.ask(question, limit=args.top)
            if args.json:
                print(json.dumps(answer_json(result), ensure_ascii=False), flush=True)
            else:
                if not first:
                    print()
                print(format_result(result, known, bold=sys.stdout.isatty()), flush=True)
            first = False
    return 0


async def cmd_prompt(args: argparse.Namespace, settings: Settings) -> int:
    """Answer each stdin line like `newsbot ask`, until end of input."""
    from newsbot.service import Newsbot

    async with await Newsbot.open(settings, create=False) as app:
        known = await app.store.count()
        interactive = sys.stdin.isatty()
        if interactive:
            print(f"Ask about the {known} articles I know ({PROMPT_HELP}).")
        # Ctrl-C stops the prompt at once: while the loop waits in readline, asyncio's own
        # handler would act only after the next Enter.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            while True:
                if interactive:
                    print("> ", end="", flush=True)
                line = sys.stdin.readline()
                word = line.strip()
                if not line or word.lower() in ("quit", "exit"):
                    return 0
                if word.lower() in ("help", "?"):
                    print(f"Type a question and press Enter; {PROMPT_HELP}.", flush=True)
                elif word:
                    result = await app.ask(word, source="prompt")
                    print(format_result(result, known, bold=sys.stdout.isatty()), flush=True)
        except KeyboardInterrupt:
            print()
            return 0
        finally:
            signal.signal(signal.SIGINT, previous)


def add_ask_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `ask` on the main parser's subcommands."""
    p = sub.add_parser("ask", help="answer a question (or one per stdin line)")
    p.add_argument("question", nargs="?")
    p.add_argument("--top", type=positive, default=None, metavar="K", help="passages to show")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.set_defaults(func=cmd_ask)


def add_prompt_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `prompt` on the main parser's subcommands."""
    p = sub.add_parser("prompt", help="answer stdin lines in a loop (no bot)")
    p.set_defaults(func=cmd_prompt)
