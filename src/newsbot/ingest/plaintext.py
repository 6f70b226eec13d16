"""Articles from plain text and Markdown: files, and text pasted after /add.

The first line is the title (a `Title – Site` title gives the site), a dateline or byline near
the top gives the date or author, a `Source:` line or the first URL gives the link, and
comment-form and sharing boilerplate is dropped. Returns the same `ExtractedArticle` as the
HTML path.
"""

from __future__ import annotations

import re
from datetime import datetime

from newsbot.errors import NoArticleText
from newsbot.ingest.datelines import parse_meta_line
from newsbot.ingest.html import TITLE_MAX
from newsbot.ingest.text import (
    BOILERPLATE_LINE,
    ExtractedArticle,
    first_line_title,
    http_url,
    normalize_text,
    shorten,
)

_WORD = re.compile(r"\w+")


_FENCE = re.compile(r"\s{0,3}(```|~~~)")
_ATX_HEADING = re.compile(r"\s{0,3}#{1,6}(?:\s+|$)(.*?)(?:\s+#+)?\s*$")
_SETEXT_UNDERLINE = re.compile(r"\s{0,3}(?:=+|-+)\s*$")
_RULE = re.compile(r"\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_BULLET = re.compile(r"^(\s*)[*+](\s+)")
_REF_DEFINITION = re.compile(r"\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_CODE_SPAN = re.compile(r"`+([^`]+)`+")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")

_URL = re.compile(r"https?://[^\s<>\"'`\[\]]+", re.IGNORECASE)
_SOURCE_LINE = re.compile(
    # not "Read more:", which links to other articles
    r"(?:(?:source|url|link|original(?: article)?|originally published (?:at|on)|via"
    r"|read the original)\s*:?\s*)?<?(https?://\S+?)>?[.,;]?",
    re.IGNORECASE,
)


def _inline_markdown(line: str) -> str:
    """Plain text of one Markdown line: links to their text, images gone, emphasis unmarked."""
    if not any(c in line for c in "[*_`~<\\"):
        return line  # the common case for plain text: nothing to do
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _REF_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _CODE_SPAN.sub(r"\1", line)
    line = _STRONG.sub(r"\2", line)
    line = _EMPHASIS_STAR.sub(r"\1", line)
    line = _EMPHASIS_UNDERSCORE.sub(r"\1", line)
    line = _STRIKE.sub(r"\1", line)
    return _ESCAPE.sub(r"\1", line)


def _clean_title(line: str) -> str:
    if m := _ATX_HEADING.fullmatch(line):
        line = m.group(1)
    line = _inline_markdown(_QUOTE.sub("", line, count=1))
    line = re.sub(r"^title\s*:\s*", "", line, flags=re.IGNORECASE)
    # Unbalanced leftovers such as "**Title" or "Title*" from a partly formatted line.
    return " ".join(line.strip(" *").split())


_SITE_CONNECTORS = frozenset({"of", "the", "and", "&", "de", "la", "le", "du", "del", "for", "on"})


def _looks_like_site(part: str) -> bool:
    """A site name: at most five words, each capitalised, a domain, or a small connector."""
    words = part.split()
    if not 1 <= len(words) <= 5 or part[-1] in ".!?:;,":
        return False
    for i, word in enumerate(words):
        core = word.strip("()\"'“”‘’")
        if not core:
            return False
        if "." in core and re.search(r"[a-zA-Z]\.[a-zA-Z]{2,}", core):
            continue  # nytimes.com
        if i > 0 and core.lower() in _SITE_CONNECTORS:
            continue
        if not (core[0].isupper() or (core[0].isdigit() and any(c.isalpha() for c in core))):
            return False
    return True


def _split_site(title: str) -> tuple[str, str | None]:
    """'Story – Site' (en/em dash, spaced hyphen or pipe; the last one) -> ('Story', 'Site')."""
    best = -1
    sep_len = 0
    for sep in (" – ", " — ", " - ", " | "):
        i = title.rfind(sep)
        if i > best:
            best, sep_len = i, len(sep)
    if best <= 0:
        return title, None
    head, tail = title[:best].strip(), title[best + sep_len :].strip()
    if len(head.split()) >= 2 and _looks_like_site(tail):
        return head, tail
    return title, None


def _code_lines(lines: list[str]) -> list[bool]:
    """Which lines are fences or inside a fenced code block (kept as text, never rewritten)."""
    flags: list[bool] = []
    fence: str | None = None
    for line in lines:
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
            flags.append(m is not None)
        else:
            flags.append(True)
            if m and m.group(1) == fence:
                fence = None
    return flags


_URL_SCAN = 4  # a bare URL is the source link in the first few lines or the last one


def _source_url(lines: list[str], code: list[bool]) -> tuple[str | None, int | None]:
    """The article's link: a 'Source: URL' line first, else the first bare http(s) URL near the
    top (the title and the next few lines) or in the last line.

    Links in the body ("[an analysis](https://...)") point elsewhere and never count. Returns the
    URL and the index of its line when that line holds nothing else (to be dropped).
    """
    filled = [i for i, line in enumerate(lines) if line.strip() and not code[i]]
    near = set(filled[: _URL_SCAN + 1]) | set(filled[-1:])
    first: str | None = None
    for i in filled:
        line = lines[i]
        m = _SOURCE_LINE.fullmatch(line)
        if m and (url := http_url(m.group(1).rstrip(".,;:!?)>"))):
            return url, i
        if first is None and i in near and not _REF_DEFINITION.fullmatch(line):
            for m_url in _URL.finditer(_LINK.sub(r"\1", _IMAGE.sub("", line))):
                if url := http_url(m_url.group().rstrip(".,;:!?)>")):
                    first = url
                    break
    return first, None


_META_SCAN = 6  # datelines and bylines are looked for in this many lines after the title


def _metadata(
    lines: list[str], start: int, code: list[bool], skip: set[int]
) -> tuple[datetime | None, str | None]:
    """The date and author from the dateline/byline lines just below the title (`start`); adds
    those lines to `skip`. A labelled date ("Published: ...") wins over an unlabelled one."""
    published: datetime | None = None
    author: str | None = None
    published_labelled = False
    seen = 0
    for i in range(start + 1, len(lines)):
        if seen >= _META_SCAN:
            break
        if not lines[i] or i in skip or code[i]:
            continue
        seen += 1
        meta = parse_meta_line(_inline_markdown(lines[i]).strip(" *_"))
        if meta is None:
            continue
        when, name, labelled = meta
        skip.add(i)
        if when is not None and (published is None or (labelled and not published_labelled)):
            published, published_labelled = when, labelled
        author = author or name
    return published, author


def _body(lines: list[str], code: list[bool], skip: set[int]) -> str:
    """The article text without the `skip` lines, boilerplate and Markdown syntax; code blocks
    kept as paragraphs of their own."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if code[i]:
            if not _FENCE.match(line):
                out.append(line)
            elif out and out[-1]:
                out.append("")  # a code block is a paragraph of its own
            continue
        if i in skip or BOILERPLATE_LINE.fullmatch(line):
            continue
        if _SETEXT_UNDERLINE.fullmatch(line) and out and out[-1]:
            out.insert(len(out) - 1, "")  # the line above is a heading: its own paragraph
            out.append("")
            continue
        if _RULE.fullmatch(line) or _REF_DEFINITION.fullmatch(line):
            out.append("")
            continue
        if heading := _ATX_HEADING.fullmatch(line):
            out.extend(("", _inline_markdown(heading.group(1)), ""))
            continue
        line = _BULLET.sub(r"\1-\2", _QUOTE.sub("", line, count=1), count=1)
        out.append(_inline_markdown(line))
    return normalize_text("\n".join(out))


def parse_text_article(text: str, *, source_name: str | None = None) -> ExtractedArticle:
    """Read an article from plain text or Markdown: the first line is the title.

    Picks up the site from the title ('Story – Site'), the date from a dateline and the author
    from a byline near the top, and the source link from the first http(s) URL. Drops comment-form
    and sharing lines and Markdown syntax. Raises NoArticleText when there is no text.
    """
    where = source_name or "the text"
    lines = normalize_text(text).split("\n")
    code = _code_lines(lines)
    start = next((i for i, line in enumerate(lines) if line and not code[i]), None)
    if start is None:
        raise NoArticleText(f"No article text found in {where}")

    title = _clean_title(lines[start])
    skip = {start}
    if start + 1 < len(lines) and re.fullmatch(r"=+|-+", lines[start + 1]):
        skip.add(start + 1)  # setext underline of the title
    title_is_text = len(title) > TITLE_MAX  # one long paragraph pasted without a title line

    published, author = _metadata(lines, start, code, skip)

    url, url_line = _source_url(lines, code)
    if url_line is not None:
        skip.add(url_line)

    body = _body(lines, code, skip - ({start} if title_is_text else set()))
    if title_is_text:
        title = first_line_title(title)
    if not body or not _WORD.search(body):
        raise NoArticleText(f"No article text found in {where}")

    title, site = _split_site(title)
    return ExtractedArticle(
        title=shorten(title, TITLE_MAX),
        text=body,
        url=url,
        site=site,
        author=author,
        published=published,
        language=None,
    )
