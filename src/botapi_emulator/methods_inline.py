"""Inline mode: answerInlineQuery, checked the way Telegram checks it."""

from __future__ import annotations

from typing import Any

from .htmltext import MAX_MESSAGE_LENGTH, EntityParseError, parse_html, plain_text, utf16_len
from .methods import RequestContext, method
from .params import Params, check_reply_markup
from .records import JSON, bad_request
from .state import EmulatorState

MAX_RESULTS = 50
_TYPES = frozenset({"article", "photo", "gif", "video", "audio", "voice", "document", "location"})


def _message_text(content: Any) -> JSON:
    """An InputTextMessageContent, parsed: its text and entities."""
    if not isinstance(content, dict) or not isinstance(content.get("message_text"), str):
        raise bad_request("MESSAGE_EMPTY")
    raw = content["message_text"]
    mode = str(content.get("parse_mode") or "").lower()
    try:
        text, entities = parse_html(raw) if mode == "html" else plain_text(raw)
    except EntityParseError as err:
        raise bad_request(f"can't parse entities: {err}") from None
    if not text.strip():
        raise bad_request("MESSAGE_EMPTY")
    if utf16_len(text) > MAX_MESSAGE_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    return {"text": text, "entities": entities}


def _result(raw: Any, seen: set[str]) -> JSON:
    if not isinstance(raw, dict) or raw.get("type") not in _TYPES:
        raise bad_request("RESULT_TYPE_INVALID")
    result_id = raw.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
        raise bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    if raw["type"] == "article":
        if not str(raw.get("title") or "").strip():
            raise bad_request("RESULT_TITLE_EMPTY")
        raw = {**raw, "message": _message_text(raw.get("input_message_content"))}
    if "reply_markup" in raw:
        check_reply_markup(raw["reply_markup"], inline_only=True)
    checked: JSON = raw
    return checked


@method("answerInlineQuery")
async def answer_inline_query(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Answer an inline query once, with at most 50 valid results."""
    query_id = p.str_req("inline_query_id", "QUERY_ID_INVALID")
    if not emu.query_open("inline", query_id):
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    results = p.obj("results", "results")
    if not isinstance(results, list):
        raise bad_request("RESULTS_INVALID")
    if len(results) > MAX_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    checked = [_result(raw, seen) for raw in results]
    emu.answer_query("inline", query_id)
    emu.inline_answers.append(
        {
            "inline_query_id": query_id,
            "results": checked,
            "cache_time": p.int_opt("cache_time"),
            "is_personal": p.bool("is_personal"),
            "next_offset": p.str_opt("next_offset") or "",
        }
    )
    emu.notify()
    return True
