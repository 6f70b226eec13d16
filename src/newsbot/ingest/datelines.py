"""Datelines and bylines near the top of a plain-text article.

`parse_meta_line` reads a line such as "By Jane Doe | September 25, 2021 | 9:58 PM" and returns
its date (UTC), its author and whether it was labelled as the publication date. A line that
holds anything else is not a dateline: better no date than a wrong one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["parse_meta_line"]

_WORD = re.compile(r"\w+")

_MONTH = (
    r"\b(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_MONTHS = {
    m: i for i, m in enumerate(str.split("jan feb mar apr may jun jul aug sep oct nov dec"), 1)
}
_DATE_YMD = re.compile(
    r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?(?!\d)"
)
_DATE_MDY = re.compile(_MONTH + r"\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})(?!\d)", re.I)
_DATE_DMY = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+" + _MONTH + r",?\s+(?P<y>\d{4})(?!\d)",
    re.I,
)
_DATE_NUMERIC = re.compile(r"(?<!\d)(?P<a>\d{1,2})[./](?P<b>\d{1,2})[./](?P<y>\d{4})(?!\d)")
_TIME = re.compile(
    r"(?<![\d:])(?P<H>\d{1,2})(?::(?P<M>\d{2})(?::(?P<S>\d{2}))?)?\s*"
    r"(?P<ampm>[ap]\.?\s?m\b\.?)?"
    r"(?:\s*(?P<tz>utc|gmt|z\b)(?P<off>[+-]\d{1,2}(?::?\d{2})?)?|\s*(?P<num>[+-]\d{2}:?\d{2}))?",
    re.IGNORECASE,
)
# Words a dateline may hold besides the date and time.
_DATELINE_WORDS = frozenset(
    str.split(
        """
    updated update published posted on at last modified first created date dated time
    mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday
    sun sunday utc gmt z et est edt ct cst cdt mt mst mdt pt pst pdt bst cet cest eet eest ist
    jst msk aest aedt hkt sgt
    """
    )
)
_BYLINE = re.compile(r"(?:by|written by|words by|author\s*:)\s+(?P<name>.+)", re.IGNORECASE)
_META_SEPARATORS = re.compile(r"\s+[|•·–—]\s+")
_PUBLISHED_LABEL = re.compile(r"\b(?:published|posted|first published|created)\b", re.IGNORECASE)


def _offset(sign_and_digits: str) -> timedelta:
    sign = -1 if sign_and_digits[0] == "-" else 1
    digits = sign_and_digits[1:].replace(":", "")
    hours = int(digits[:2] if len(digits) > 2 else digits)
    minutes = int(digits[2:]) if len(digits) > 2 else 0
    return sign * timedelta(hours=hours, minutes=minutes)


def _find_date(text: str) -> tuple[datetime, str] | None:
    """The date in a short piece of text, as (midnight UTC of that day, text without the date)."""
    for pattern in (_DATE_YMD, _DATE_MDY, _DATE_DMY, _DATE_NUMERIC):
        m = pattern.search(text)
        if m is None:
            continue
        groups = m.groupdict()
        year = int(groups["y"])
        if "mon" in groups:
            month, day = _MONTHS[groups["mon"][:3].lower()], int(groups["d"])
        elif "a" in groups:
            a, b = int(groups["a"]), int(groups["b"])
            if "/" in m.group() and a <= 12 < b:
                month, day = a, b  # 09/25/2021
            elif a > 12 >= b or "." in m.group():
                month, day = b, a  # 25/09/2021, 25.09.2021
            else:
                continue  # 05/06/2021: ambiguous, better no date than a wrong one
        else:
            month, day = int(groups["m"]), int(groups["d"])
        if not 1900 <= year <= 2100:
            continue
        try:
            found = datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            continue
        rest = text[: m.start()] + " " + text[m.end() :]
        if groups.get("H"):
            found = found.replace(hour=int(groups["H"]), minute=int(groups["M"]))
            if groups.get("S"):
                found = found.replace(second=int(groups["S"]))
        if groups.get("tz") and groups["tz"] != "Z":
            found -= _offset(groups["tz"])
        return found, rest
    return None


def _apply_time(day: datetime, rest: str) -> tuple[datetime, str] | None:
    """Add a clock time found in ``rest`` ('9:58 PM', '21:58 UTC+3') to the day; None if invalid."""
    for m in _TIME.finditer(rest):
        if not (m.group("M") or m.group("ampm")):
            continue
        hour, minute = int(m.group("H")), int(m.group("M") or 0)
        ampm = (m.group("ampm") or "").lower()
        if ampm:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if ampm.startswith("p") else 0)
        if hour > 23 or minute > 59:
            return None
        when = day.replace(hour=hour, minute=minute, second=int(m.group("S") or 0))
        if m.group("off"):
            when -= _offset(m.group("off"))
        elif m.group("num"):
            when -= _offset(m.group("num"))
        # Named zones other than UTC/GMT (EST, CET...) are ambiguous or seasonal: taken as UTC.
        return when, rest[: m.start()] + " " + rest[m.end() :]
    return day, rest


def _parse_date_part(part: str) -> datetime | None:
    """The date of a dateline part that holds nothing but a date, a time and their labels."""
    found = _find_date(part)
    if found is None:
        return None
    when, rest = found
    if when.hour == 0 and when.minute == 0:
        timed = _apply_time(when, rest)
        if timed is None:
            return None
        when, rest = timed
    leftover = [w for w in _WORD.findall(rest.lower()) if w not in _DATELINE_WORDS]
    return None if leftover else when


def _is_time_only(part: str) -> bool:
    """'9:58 PM', 'at 21:58 UTC': a clock time and dateline words, nothing else."""
    m = _TIME.search(part)
    if m is None or not (m.group("M") or m.group("ampm")):
        return False
    rest = part[: m.start()] + " " + part[m.end() :]
    return all(w in _DATELINE_WORDS for w in _WORD.findall(rest.lower()))


def _parse_byline(part: str) -> str | None:
    m = _BYLINE.fullmatch(part.strip())
    if m is None:
        return None
    name = m.group("name").strip().rstrip(",")
    words = name.split()
    if not 1 <= len(words) <= 8 or not words[0][0].isupper() or name[-1] in "!?:;":
        return None
    return name


def parse_meta_line(line: str) -> tuple[datetime | None, str | None, bool] | None:
    """(date, author, labelled as published) when the whole line is a dateline and/or byline."""
    if len(line) > 100:
        return None
    date: datetime | None = None
    author: str | None = None
    for part in _META_SEPARATORS.split(line):
        part = part.strip(" ,")
        if not part:
            continue
        if date is None and (when := _parse_date_part(part)) is not None:
            date = when
        elif (
            date is not None
            and date.hour == date.minute == 0
            and _is_time_only(part)
            and (timed := _apply_time(date, part)) is not None
        ):
            date = timed[0]  # "September 25, 2021 | 9:58 PM"
        elif author is None and (name := _parse_byline(part)) is not None:
            author = name
        else:
            return None
    if date is None and author is None:
        return None
    return date, author, bool(_PUBLISHED_LABEL.search(line))
