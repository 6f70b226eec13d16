"""Top-1 in each of TyDi QA's nine languages: plain FTS5, the lexical newsbot and the hybrid,
side by side in the same run.

    python benchmarks/languages.py [--paragraphs 150] [--data ../shared/eval]

For each language of tydiqa-tune, a fixed sample of paragraphs (suites.SEED) is ingested as one
corpus (each paragraph one article, through `Ingestor.add_records`) and embedded by the
service's EmbeddingWorker (ONNX Runtime; vectors cached, vector_cache.py); the sample's own
questions are asked, so the language's other paragraphs are the distractors. A question is
right when a passage of its paragraph comes first. Also printed: the share of the questions
answered (the bot's "answered" decision; these are all answerable), and a word of the language
as newsbot's tokenizer splits it (a script whose vowel signs are combining marks, Bengali or
Telugu, must keep its words whole).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_data
from suites import Outcome, _sample_paragraphs, evaluate, group_of, open_corpus
from vector_cache import CachedEncoder

from newsbot.search.text import terms

LANGUAGES = (
    "english",
    "russian",
    "arabic",
    "bengali",
    "finnish",
    "indonesian",
    "korean",
    "swahili",
    "telugu",
)


def top1(outcomes: list[Outcome], field: str) -> float:
    return sum(1 for o in outcomes if getattr(o, field) == 0) / len(outcomes)


async def measure(language: str, paragraphs: int, encoder: CachedEncoder, folder: Path) -> str:
    records, questions = _sample_paragraphs(
        f"tydiqa-tune/{language}.json.gz", f"tydi-{language}", paragraphs
    )
    app, _, _ = await open_corpus(folder, language, records, encoder)
    try:
        got = await evaluate(
            app,
            [q.text for q in questions],
            [q.url for q in questions],
            list(map(group_of, questions)),
        )
    finally:
        await app.close()
    sample = str(records[0]["text"]).split()[:3]
    shown = " ".join(sample)
    split = "|".join(terms(shown))
    answered = statistics.fmean(o.hybrid_answered for o in got)
    return (
        f"  {language:<11} {len(records):>5} {len(got):>5} "
        f"{top1(got, 'fts'):>7.1%} {top1(got, 'lexical'):>8.1%} {top1(got, 'hybrid'):>7.1%} "
        f"{answered:>9.1%}   {shown} -> {split}"
    )


async def run(paragraphs: int, languages: list[str]) -> None:
    encoder = CachedEncoder(runtime="onnx")
    print(
        f"  {'language':<11} {'paras':>5} {'qs':>5} {'FTS5':>7} {'lexical':>8} {'hybrid':>7} "
        f"{'answered':>9}   tokenized"
    )
    with tempfile.TemporaryDirectory() as folder:
        for language in languages:
            print(await measure(language, paragraphs, encoder, Path(folder)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--paragraphs", type=int, default=150, help="paragraphs per language")
    parser.add_argument(
        "--languages", nargs="+", choices=LANGUAGES, default=list(LANGUAGES), metavar="LANG"
    )
    eval_data.add_argument(parser)
    args = parser.parse_args()
    eval_data.use(args.data)
    asyncio.run(run(args.paragraphs, args.languages))


if __name__ == "__main__":
    main()
