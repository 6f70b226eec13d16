"""Argument types shared by the command groups: clear messages for bad numbers and ids."""

from __future__ import annotations

import argparse

MAX_ID = 2**63 - 1  # SQLite's largest integer: no article has a larger id


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number


def article_id(value: str) -> int:
    digits = value.strip().removeprefix("#")
    if not digits.isdecimal() or not digits.isascii():
        raise argparse.ArgumentTypeError(f"an article id is a number like 39 or #39, not {value!r}")
    return int(digits)
