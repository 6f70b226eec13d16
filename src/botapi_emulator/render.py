"""Plain-text rendering of bot output for the terminal playground."""

from __future__ import annotations

from .htmltext import utf16_to_index
from .records import JSON, SentRecord, inline_buttons

BOLD, RESET = "\033[1m", "\033[0m"


def _decorate(text: str, entities: list[JSON], *, ansi: bool) -> str:
    """Show each text link as ``title (url)`` (a link whose title is its URL stays as is) and,
    with ``ansi``, bold as terminal bold."""
    inserts: list[tuple[int, int, str]] = []  # (position, order at that position, piece)
    for entity in entities:
        start = utf16_to_index(text, entity["offset"])
        end = utf16_to_index(text, entity["offset"] + entity["length"])
        if entity.get("type") == "text_link":
            url = str(entity.get("url", ""))
            if text[start:end].strip() != url:
                inserts.append((end, 1, f" ({url})"))
        elif ansi and entity.get("type") == "bold":
            inserts += [(start, 2, BOLD), (end, 0, RESET)]
    # From the end, so earlier positions stay valid; at one position: reset, link, bold.
    for position, _, piece in sorted(inserts, reverse=True):
        text = text[:position] + piece + text[position:]
    return text


def render_plain(record: SentRecord | JSON, *, ansi: bool = False) -> str:
    """A bot message (record or Message object) as readable terminal text.

    Links become ``title (url)``, bold is terminal bold with ``ansi``, a document shows as
    ``[file: name]``, an edit is marked ``(edited)``, and inline buttons are listed as
    ``[1] More  [2] Sources`` — numbered in the order of ``inline_buttons()``, so a number
    maps back to its callback_data.
    """
    msg = record.message if isinstance(record, SentRecord) else record
    key = "text" if "text" in msg else "caption"
    entities = list(msg.get("entities" if key == "text" else "caption_entities", []))
    body = _decorate(str(msg.get(key, "")), entities, ansi=ansi)
    document = msg.get("document")
    if isinstance(document, dict):
        name = document.get("file_name") or document.get("file_id")
        body = f"[file: {name}]" + (f"\n{body}" if body else "")
    if isinstance(record, SentRecord) and record.is_edit:
        body = f"(edited) {body}"
    lines = [body]
    choices = []
    for number, button in enumerate(inline_buttons(msg), start=1):
        label = f"[{number}] {button.get('text', '')}"
        if "url" in button:
            label += f" ({button['url']})"
        choices.append(label)
    if choices:
        lines.append("  ".join(choices))
    markup = record.reply_markup if isinstance(record, SentRecord) else msg.get("reply_markup")
    if isinstance(markup, dict) and isinstance(markup.get("keyboard"), list):
        keys = [
            key if isinstance(key, str) else str(key.get("text", ""))
            for row in markup["keyboard"]
            for key in row
        ]
        lines.append("Keyboard: " + " | ".join(keys))
    return "\n".join(lines)
