"""Natural questions on real news pages (issue 8): does the first passage answer, and are the
questions the pages can't answer declined?

    .venv/bin/python benchmarks/news_questions.py [--data ../shared/eval] [--show N]

Every page of extraction-tune (html/<id>.html.gz, its URL from ground-truth.json) is ingested
the way `newsbot ingest FILE --url URL` does (`Ingestor.add_file`), then embedded by the
service's EmbeddingWorker with the bot's default runtime (ONNX Runtime; vectors cached in
/work/cache, vector_cache.py). The questions (benchmarks/news_questions.json, written before
any run) are about 30 of those pages; the other pages are there as a bot's other articles.

Each question goes through `Newsbot.ask`, what the bot calls, and the bot shows the
`relevant()` hits. A question "answers first" when the bot answers and its first passage holds
the question's answer string (case-insensitive); "in the top 3" when one of the (up to 3)
passages shown holds it. Unanswerable questions (near-misses: same topic, one name or number
changed; off-topic) should be declined. Beside it, in the same run: the lexical-only newsbot
(the same database without an encoder, as with NEWSBOT_EMBEDDINGS=off) and plain FTS5 (rank
only, no decision). Pages are split in two halves by a hash of their id (fit / held-out).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
import suites
from sqlalchemy import text
from vector_cache import CachedEncoder

from newsbot.search.fts import fts_bm25
from newsbot.service import Newsbot
from newsbot.settings import Settings

QUESTIONS = Path(__file__).with_name("news_questions.json")
SHOWN = 3  # passages per answer (NEWSBOT_MAX_RESULTS' default)


@dataclass(frozen=True)
class Question:
    page: str
    text: str
    answer: str | None  # None: the pages don't answer it
    kind: str  # answerable, near-miss, off-topic

    @property
    def held_out(self) -> bool:
        """The page's half: a hash of its id, so a page's questions are all on one side."""
        return suites.held_out(self.page)  # as tune_answered.py splits these questions


@dataclass(frozen=True)
class Outcome:
    question: Question
    method: str  # hybrid, lexical, fts5
    answered: bool
    passages: list[str]  # the passages shown (answered), else the ranked ones
    confidence: float = 0.0
    missing: tuple[str, ...] = ()  # the first passage's "Missing: ..." line (Hit.missing)

    def holds(self, k: int) -> bool:
        """Whether one of the first k passages holds the answer string."""
        answer = (self.question.answer or "").lower()
        return bool(answer) and any(answer in p.lower() for p in self.passages[:k])

    @property
    def right(self) -> bool:
        """Answered and the first passage shown answers (a rank-only method: ranked first)."""
        return (self.answered or self.method == "fts5") and self.holds(1)


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    rows = json.loads(path.read_text(encoding="utf-8"))["questions"]
    return [Question(r["page"], r["q"], r["answer"], r.get("kind", "answerable")) for r in rows]


def pages(folder: Path, into: Path) -> list[tuple[Path, str]]:
    """Every page of extraction-tune as an .html file in `into`, with its URL."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for page_id, entry in sorted(truth.items()):
        target = into / f"{page_id[:12]}.html"
        target.write_bytes(gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes()))
        out.append((target, str(entry["url"])))
    return out


async def build(
    database: Path, files: list[tuple[Path, str]], questions: list[Question]
) -> tuple[int, int, float, float]:
    """Ingest and embed the pages; (articles, passages, ingest s, embedding s)."""
    encoder = CachedEncoder(runtime="onnx")
    app = await Newsbot.open(
        Settings(database_url=f"sqlite:///{database}", _env_file=None), encoder=encoder
    )
    try:
        start = time.perf_counter()
        added = 0
        for path, url in files:
            result = await app.ingestor.add_file(path, url)
            added += result.status == "added"
        ingest = time.perf_counter() - start
        start = time.perf_counter()
        await app.embed_pending()
        embed = time.perf_counter() - start
        print(f"passage vectors: {encoder.hits} from the cache, {encoder.misses} encoded")
        async with app.sessions() as session:
            rows = await session.scalars(text("SELECT text FROM passages"))
            stored = [str(t).lower() for t in rows]
        for q in questions:  # an answer the extraction lost can't be found
            if q.answer and not any(q.answer.lower() in t for t in stored):
                print(f"  in no stored passage: {q.answer!r} ({q.text!r})")
        return added, len(stored), ingest, embed
    finally:
        await app.close()


async def ask_all(database: Path, questions: list[Question]) -> list[Outcome]:
    """Every question through the hybrid bot, the lexical-only bot and plain FTS5."""
    settings = Settings(database_url=f"sqlite:///{database}", _env_file=None)
    out: list[Outcome] = []
    for method, encoder in (("hybrid", CachedEncoder(runtime="onnx")), ("lexical", None)):
        app = await Newsbot.open(settings, encoder=encoder)
        try:
            await app.retriever.refresh()
            for q in questions:
                result = await app.ask(q.text, limit=SHOWN)
                shown = result.relevant() if result.answered else result.hits
                out.append(
                    Outcome(
                        q,
                        method,
                        result.answered,
                        [h.passage for h in shown],
                        result.confidence,
                        shown[0].missing if shown else (),
                    )
                )
            if method == "lexical":
                async with app.sessions() as session:
                    rows = await session.execute(text("SELECT id, text FROM passages"))
                    passage: dict[int, str] = {int(i): str(t) for i, t in rows}
                    for q in questions:
                        ids = [pid for pid, _ in await fts_bm25(session, q.text, SHOWN)]
                        out.append(Outcome(q, "fts5", False, [passage[i] for i in ids]))
        finally:
            await app.close()
    return out


def share(items: list[Outcome], test: Callable[[Outcome], bool]) -> str:
    if not items:
        return "—"
    hits = sum(1 for o in items if test(o))
    return f"{hits / len(items):6.1%} ({hits}/{len(items)})"


def report(outcomes: list[Outcome], label: str) -> None:
    print(f"\n== {label}")
    print(f"  {'':<44} {'hybrid (the bot)':>18} {'lexical only':>18} {'FTS5 (rank)':>18}")

    def row(name: str, kinds: tuple[str, ...], test: Callable[[Outcome], bool]) -> None:
        cells = []
        for method in ("hybrid", "lexical", "fts5"):
            got = [o for o in outcomes if o.method == method and o.question.kind in kinds]
            skip = method == "fts5" and kinds != ("answerable",)
            cells.append("—" if skip else share(got, test))
        print(f"  {name:<44} " + " ".join(f"{c:>18}" for c in cells))

    row("first passage answers (target >= 85%)", ("answerable",), lambda o: o.right)
    row("answered, in the top 3 shown", ("answerable",), lambda o: o.answered and o.holds(3))
    row("ranked first, decision aside", ("answerable",), lambda o: o.holds(1))
    row("answerable declined", ("answerable",), lambda o: not o.answered)
    row(
        "unanswerable declined (target >= 85%)",
        ("near-miss", "off-topic"),
        lambda o: not o.answered,
    )
    row("  near-misses declined", ("near-miss",), lambda o: not o.answered)
    row("  off-topic declined", ("off-topic",), lambda o: not o.answered)
    # What a reader sees of an answer that is shown: a "Missing: ..." line under the first
    # passage says it lacks one of the question's names, numbers or unknown words.
    row("right, but 'Missing:' shown", ("answerable",), lambda o: o.right and bool(o.missing))
    row(
        "unanswerable answered, 'Missing:' shown",
        ("near-miss", "off-topic"),
        lambda o: o.answered and bool(o.missing),
    )


def failures(outcomes: list[Outcome], show: int) -> None:
    """The hybrid's failures by category, with up to `show` examples each."""
    mine = [o for o in outcomes if o.method == "hybrid"]
    categories = {
        "wrong passage first (answered, first passage lacks the answer)": [
            o for o in mine if o.question.answer and o.answered and not o.holds(1)
        ],
        "right passage declined (declined, first ranked holds the answer)": [
            o for o in mine if o.question.answer and not o.answered and o.holds(1)
        ],
        "declined, and the first ranked lacks the answer too": [
            o for o in mine if o.question.answer and not o.answered and not o.holds(1)
        ],
        "near-miss answered": [o for o in mine if o.question.kind == "near-miss" and o.answered],
        "off-topic answered": [o for o in mine if o.question.kind == "off-topic" and o.answered],
    }
    print("\nThe hybrid's failures (all pages):")
    for name, items in categories.items():
        print(f"  {name}: {len(items)}")
        for o in items[:show]:
            first = o.passages[0][:110].replace("\n", " ") if o.passages else "(none)"
            half = "held-out" if o.question.held_out else "fit"
            print(
                f"    [{half}] {o.question.text!r} (answer {o.question.answer!r}, "
                f"confidence {o.confidence:.2f}) first: {first}…"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="the question file")
    parser.add_argument("--show", type=int, default=4, help="examples per failure category")
    eval_data.add_argument(parser)
    args = parser.parse_args()
    folder = eval_data.use(args.data) / "extraction-tune"
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        files = pages(folder, Path(tmp))
        database = Path(tmp) / "news.db"
        added, passages, ingest, embed = asyncio.run(build(database, files, questions))
        print(
            f"{len(files)} pages -> {added} articles, {passages} passages "
            f"(ingest {ingest:.1f} s, embedding {embed:.1f} s); "
            f"{len(questions)} questions on {len({q.page for q in questions})} pages"
        )
        outcomes = asyncio.run(ask_all(database, questions))
    for name, keep in (
        ("fit half", lambda o: not o.question.held_out),
        ("held-out half", lambda o: o.question.held_out),
        ("all pages", lambda o: True),
    ):
        chosen = [o for o in outcomes if keep(o)]
        pages_in = len({o.question.page for o in chosen})
        report(chosen, f"{name} ({pages_in} pages, {len(chosen) // 3} questions)")
    failures(outcomes, args.show)


if __name__ == "__main__":
    main()
