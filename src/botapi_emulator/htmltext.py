"""Telegram's HTML parse mode: text + entities, checked the way the Bot API checks it.

The parser follows tdlib's ``parse_html`` (the code behind the Bot API) closely: same
supported tags, same attribute handling, same error wording. It is deliberately *stricter*
than Telegram in one place: a bare ``&`` or an unknown entity such as ``&nbsp;`` is an error
here, while Telegram passes it through literally. The Bot API documentation requires
escaping them, and a bot that relies on Telegram's leniency usually has an escaping bug that
bites later (``<`` in the same string), so the emulator reports it.

Offsets and lengths are in UTF-16 code units, like the Bot API's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

_SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z]+));")
_SPACES = " \t\n\r\f\v"
# Telegram also trims these invisible characters around a message.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"

JSON = dict[str, Any]


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is Telegram's description tail."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram counts)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_to_index(text: str, offset: int) -> int:
    """Python string index of the UTF-16 ``offset`` in ``text``."""
    units = 0
    for index, ch in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the output
    out_index: int  # index into the output pieces list, for <a> without href
    attrs: dict[str, str] = field(default_factory=dict)


def _decode_entity(text: str, i: int) -> tuple[str, int]:
    """Decode the entity starting at ``text[i] == '&'``; return (char, index after it)."""
    m = _ENTITY_RE.match(text, i)
    where = f"at byte offset {_byte_offset(text, i)}"
    if m is None:
        raise EntityParseError(f'Character "&" {where} must be escaped as "&amp;"')
    dec, hexa, name = m.groups()
    if name is not None:
        if name not in _NAMED_ENTITIES:
            raise EntityParseError(f'Unsupported HTML entity "&{name};" {where}')
        return _NAMED_ENTITIES[name], m.end()
    code = int(dec, 10) if dec is not None else int(hexa, 16)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise EntityParseError(f'Invalid numeric character reference "{m.group(0)}" {where}')
    return chr(code), m.end()


def _valid_link(url: str) -> str | None:
    """The URL Telegram would keep for a text link, or None when it drops the entity."""
    url = url.strip()
    m = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*)://", url)
    if m is None:
        # tdlib accepts scheme-less links ("example.com/x") and assumes http.
        if re.match(r"[\w-]+(\.[\w-]+)+([/?#:].*)?$", url):
            return "http://" + url
        return None
    return url if m.group(1).lower() in ("http", "https", "tg", "ton") else None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces: list[str] = []
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[JSON] = []

    def error_at(self, message: str, index: int) -> EntityParseError:
        return EntityParseError(f"{message} at byte offset {_byte_offset(self.text, index)}")

    def emit(self, chunk: str) -> None:
        self.pieces.append(chunk)
        self.utf16 += utf16_len(chunk)

    def run(self) -> tuple[str, list[JSON]]:
        text, i, n = self.text, 0, len(self.text)
        while i < n:
            ch = text[i]
            if ch == "&":
                decoded, i = _decode_entity(text, i)
                self.emit(decoded)
            elif ch != "<":
                j = i + 1
                while j < n and text[j] not in "<&":
                    j += 1
                self.emit(text[i:j])
                i = j
            elif i + 1 < n and text[i + 1] == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            tag = self.stack[-1].tag
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        return "".join(self.pieces), self.entities

    def start_tag(self, begin: int) -> int:
        text, n = self.text, len(self.text)
        i = begin + 1
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        if i >= n:
            raise self.error_at("Unclosed start tag", begin)
        tag = text[begin + 1 : i].lower()
        if tag not in _SUPPORTED_TAGS:
            raise self.error_at(f'Unsupported start tag "{tag}"', begin)
        attrs: dict[str, str] = {}
        while True:
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise self.error_at("Unclosed start tag", begin)
            if text[i] == ">":
                break
            name_begin = i
            while i < n and text[i] not in _SPACES and text[i] not in "=>":
                i += 1
            name = text[name_begin:i].lower()
            if not name:
                raise self.error_at(f'Empty attribute name in the tag "{tag}"', begin)
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise self.error_at("Unclosed start tag", begin)
            if text[i] != "=":
                attrs[name] = ""  # valueless attribute, e.g. <blockquote expandable>
                continue
            i += 1
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise self.error_at("Unclosed start tag", begin)
            value, i = self.attribute_value(i, begin)
            attrs[name] = value
        argument = self.tag_argument(tag, attrs, begin)
        self.stack.append(_Open(tag, argument, self.utf16, len(self.pieces), attrs))
        return i + 1

    def attribute_value(self, i: int, begin: int) -> tuple[str, int]:
        text, n = self.text, len(self.text)
        if text[i] not in "'\"":
            # An unquoted name token: letters, digits, periods and hyphens, case-insensitive.
            token_begin = i
            while i < n and (text[i].isalnum() or text[i] in ".-"):
                i += 1
            if i >= n or (text[i] not in _SPACES and text[i] != ">"):
                raise self.error_at("Unexpected end of name token", token_begin)
            return text[token_begin:i].lower(), i
        quote = text[i]
        i += 1
        chunks: list[str] = []
        while i < n and text[i] != quote:
            if text[i] == "&":
                decoded, i = _decode_entity(text, i)
                chunks.append(decoded)
            else:
                chunks.append(text[i])
                i += 1
        if i >= n:
            raise self.error_at("Unclosed start tag", begin)
        return "".join(chunks), i + 1

    def tag_argument(self, tag: str, attrs: dict[str, str], begin: int) -> str:
        if tag == "a":
            return attrs.get("href", "")
        if tag == "code":
            cls = attrs.get("class", "")
            return cls.removeprefix("language-") if cls.startswith("language-") else ""
        if tag == "span":
            if attrs.get("class") != "tg-spoiler":
                raise self.error_at('Tag "span" must have class "tg-spoiler"', begin)
            return "spoiler"
        if tag == "tg-emoji":
            emoji_id = attrs.get("emoji-id", "")
            if not emoji_id.isdigit() or int(emoji_id) == 0:
                raise self.error_at("Invalid custom emoji identifier specified", begin)
            return emoji_id
        if tag == "blockquote":
            return "expandable" if "expandable" in attrs else ""
        return ""

    def end_tag(self, begin: int) -> int:
        text, n = self.text, len(self.text)
        if not self.stack:
            raise self.error_at("Unexpected end tag", begin)
        i = begin + 2
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        name = text[begin + 2 : i].lower()
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n or text[i] != ">":
            raise self.error_at("Unclosed end tag", begin)
        opened = self.stack[-1]
        if name and name != opened.tag:
            where = _byte_offset(text, begin)
            raise EntityParseError(
                f'Unmatched end tag at byte offset {where}, expected "</{opened.tag}>", '
                f'found "</{name}>"'
            )
        self.stack.pop()
        if self.utf16 > opened.offset:
            self.close_entity(opened)
        return i + 1

    def close_entity(self, opened: _Open) -> None:
        offset, length = opened.offset, self.utf16 - opened.offset
        tag, arg = opened.tag, opened.argument
        entity: JSON = {"type": "", "offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
        if tag in _SIMPLE_TYPES:
            entity["type"] = _SIMPLE_TYPES[tag]
        elif tag == "a":
            url = _valid_link(arg or "".join(self.pieces[opened.out_index :]))
            if url is None:
                return  # Telegram silently drops links it cannot use
            entity.update(type="text_link", url=url)
        elif tag == "code":
            entity["type"] = "code"
            if arg:
                entity["language"] = arg  # kept only if an enclosing <pre> claims it
        elif tag == "pre":
            if last is not None and same_span and last["type"] == "code":
                # <pre><code class="language-x">…</code></pre> is one pre entity
                last["type"] = "pre"
                return
            entity["type"] = "pre"
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if arg else "blockquote"
        elif tag == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=arg)
        self.entities.append(entity)


def _finish(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Trim the text like Telegram does, drop what it drops, sort like the Bot API."""
    stripped_left = text.lstrip(_ZERO_WIDTH + _SPACES)
    left = utf16_len(text) - utf16_len(stripped_left)
    trimmed = stripped_left.rstrip(_ZERO_WIDTH + _SPACES)
    end = utf16_len(trimmed)
    code_spans = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] == "code"]
    code_spans += [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] == "pre"]
    result: list[JSON] = []
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
        start, stop = entity["offset"], entity["offset"] + entity["length"]
        inside_code = any(
            a <= start and stop <= b and (a, b) != (start, stop) for a, b in code_spans
        )
        if inside_code:
            continue  # Telegram keeps no formatting inside code and pre
        start, stop = max(start - left, 0), min(stop - left, end)
        if stop > start:
            result.append({**entity, "offset": start, "length": stop - start})
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return trimmed, result


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML into (plain text, entities); raise EntityParseError if invalid."""
    plain, entities = _Parser(text).run()
    return _finish(plain, entities)


def plain_text(text: str) -> tuple[str, list[JSON]]:
    """Text sent without parse_mode (or with MarkdownV2, which the emulator does not parse)."""
    return _finish(text, [])


_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{4,32}(?![A-Za-z0-9_])")


def user_entities(text: str) -> list[JSON]:
    """Entities a Telegram client attaches to a typed message: a leading bot command,
    URLs and @mentions (hashtags, e-mails and the rest are not produced)."""
    found: list[tuple[int, int, str]] = []
    m = _COMMAND_RE.match(text)
    if m:
        found.append((m.start(), m.end(), "bot_command"))
    for m in _URL_RE.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?)]}'\"":
            end -= 1
        found.append((m.start(), end, "url"))
    for m in _MENTION_RE.finditer(text):
        if not any(a <= m.start() < b for a, b, _ in found):
            found.append((m.start(), m.end(), "mention"))
    found.sort()
    return [
        {"type": kind, "offset": utf16_len(text[:a]), "length": utf16_len(text[a:b])}
        for a, b, kind in found
    ]
