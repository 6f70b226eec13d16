"""How long is the first answer message, before and after the phone layout?

Two corpora, each in its own SQLite file: SQuAD tune paragraphs (one article each) with a
fixed sample of their questions, and the 91 real news pages of the extraction-tune set with
each page's title as the question (what a reader who saw the headline would ask). For every
answered question, the characters Telegram shows of the first message:

- before: the layout the phone layout replaced (every passage whole, under its own
  title/site/date header, the matched words bold), rebuilt here from the same hits;
- even windows: the phone layout's first version, rebuilt here (one header per article, every
  passage cut to the same window around its answer sentence);
- after: `answer_view` (the best passage's answer sentence whole, the others sharing what is
  left of the screen).

    .venv/bin/python benchmarks/reply_length.py [--questions 400]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path

import eval_data
from squad import load, sample

from botapi_emulator import parse_html
from newsbot.bot.answer_view import (
    answer_span,
    answer_view,
    group_by_article,
    header,
    snippet_runs,
)
from newsbot.bot.render import Block, Run, day, lines_of, pack, title_run, utf16_len
from newsbot.conversation.snippet import snippet, window_for
from newsbot.search.retriever import Hit
from newsbot.service import Newsbot
from newsbot.settings import Settings


def before_message(hits: Sequence[Hit]) -> str:
    """The first message of the old layout: a header and the whole passage per hit."""

    def block(hit: Hit) -> Block:
        lines: Block = [(title_run(hit.title, hit.url),)]
        meta = " · ".join(part for part in (hit.site, day(hit.published)) if part)
        if meta:
            lines.extend(lines_of([Run(meta, italic=True)]))
        runs, position = [], 0
        for start, end in sorted(hit.highlights):
            if start >= position:
                runs += [Run(hit.passage[position:start]), Run(hit.passage[start:end], bold=True)]
                position = end
        lines.extend(lines_of([*runs, Run(hit.passage[position:])]))
        return lines

    return pack(block(hit) for hit in hits)[0]


def even_windows_message(hits: Sequence[Hit], screen: int = 700) -> str:
    """The first message of the phone layout's first version: one window for every passage."""
    groups = group_by_article(hits)
    window = window_for(len(hits), screen, sum(utf16_len(g.title) + 40 for g in groups))
    blocks = []
    for group in groups:
        block = header(group.title, group.url, group.hits[0].site, group.hits[0].published)
        for hit in group.hits:
            block.extend(lines_of(snippet_runs(snippet(hit.passage, answer_span(hit), window))))
        blocks.append(block)
    return pack(blocks)[0]


def shown_length(message: str) -> int:
    return len(parse_html(message)[0])


async def measure(
    service: Newsbot, questions: Sequence[str], per_page: int
) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {"before": [], "even": [], "after": []}
    for question in questions:
        result = await service.retriever.search(question, limit=per_page + 1)
        if not result.answered or not result.hits:
            continue
        out["before"].append(shown_length(before_message(result.hits[:per_page])))
        out["even"].append(shown_length(even_windows_message(result.relevant()[:per_page])))
        after = answer_view(result.relevant()[:per_page]).messages[0]
        out["after"].append(shown_length(after))
    return out


def p90(values: list[int]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else float(values[0])


def report(name: str, lengths: dict[str, list[int]]) -> str:
    layouts = [lengths[key] for key in ("before", "even", "after")]
    if not layouts[0]:
        return f"| {name} | 0 |" + " – |" * 6
    figures = " | ".join(f"{statistics.median(v):.0f} | {p90(v):.0f}" for v in layouts)
    return f"| {name} | {len(layouts[0])} | {figures} |"


async def squad_set(folder: Path, n: int) -> dict[str, list[int]]:
    records, questions = load()
    settings = Settings(database_url=f"sqlite:///{folder / 'squad.db'}", _env_file=None)
    async with await Newsbot.open(settings) as service:
        async for _ in service.ingestor.add_records((f"s{i}", r) for i, r in enumerate(records)):
            pass
        chosen = [q.text for q in sample(questions, n)]
        return await measure(service, chosen, settings.max_results)


async def pages_set(folder: Path) -> dict[str, list[int]]:
    settings = Settings(database_url=f"sqlite:///{folder / 'pages.db'}", _env_file=None)
    pages = folder / "pages"
    pages.mkdir()
    for packed in sorted(eval_data.path("extraction-tune", "html").glob("*.html.gz")):
        (pages / packed.name.removesuffix(".gz")).write_bytes(gzip.decompress(packed.read_bytes()))
    async with await Newsbot.open(settings) as service:
        titles = []
        for path in sorted(pages.glob("*.html")):
            result = await service.ingestor.add_file(path)
            if result.status == "added" and result.title:
                titles.append(result.title)
        return await measure(service, titles, settings.max_results)


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = [
            report(
                f"SQuAD tune, {args.questions} sampled questions",
                await squad_set(folder, args.questions),
            ),
            report("91 real pages, titles as questions", await pages_set(folder)),
        ]
    print(
        "| set | answered | before median | before p90 | even windows median | even windows p90 "
        "| after median | after p90 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=400)
    eval_data.add_argument(parser)
    args = parser.parse_args()
    eval_data.use(args.data)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
