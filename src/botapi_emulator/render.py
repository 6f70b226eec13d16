"""Plain-text rendering of bot output for the terminal playground."""

from __future__ import annotations

from .htmltext import utf16_to_index
from .records import JSON, SentRecord, inline_buttons


def _with_link_targets(text: str, entities: list[JSON]) -> str:
    """Show each text link as ``title (url)``; a link whose title is its URL stays as is."""
    links = [e for e in entities if e.get("type") == "text_link"]
    # Insert from the end so earlier offsets stay valid.
    for entity in sorted(links, key=lambda e: e["offset"] + e["length"], reverse=True):
        start = utf16_to_index(text, entity["offset"])
        end = utf16_to_index(text, entity["offset"] + entity["length"])
        url = str(entity.get("url", ""))
        if text[start:end].strip() != url:
            text = f"{text[:end]} ({url}){text[end:]}"
    return text


def render_plain(record: SentRecord | JSON) -> str:
    """A bot message (record or Message object) as readable terminal text.

    Links become ``title (url)``, a document shows as ``[file: name]``, an edit is marked
    ``(edited)``, and inline buttons are listed as ``[1] More  [2] Sources`` — numbered in
    the order of ``inline_buttons()``, so a number maps back to its callback_data.
    """
    msg = record.message if isinstance(record, SentRecord) else record
    if "text" in msg:
        body = _with_link_targets(str(msg["text"]), list(msg.get("entities", [])))
    else:
        body = _with_link_targets(
            str(msg.get("caption", "")), list(msg.get("caption_entities", []))
        )
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
