"""The seed article the project started from, as the package ships it (newsbot/sample_data)."""

from __future__ import annotations

from newsbot.service import SAMPLE_DATA

SEED = SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt"

# Its two subheadings: short lines that belong with the paragraph after them.
HEADINGS = (
    "Technology to reverse the economic backlash from COVID-19",
    "Zhongguancun, China’s “Silicon Valley”",
)


def seed_text() -> str:
    """The seed file as it is: title, dateline, body, and the comment form's two lines."""
    return SEED.read_text(encoding="utf-8")


def seed_paragraphs() -> list[str]:
    """The seed's non-empty paragraphs, in order."""
    return [p.strip() for p in seed_text().split("\n\n") if p.strip()]


def seed_body_paragraphs() -> list[str]:
    """The article's own paragraphs: without the title, the dateline and the comment form."""
    return seed_paragraphs()[2:-2]
