"""Request parameters: decoding PTB's form encoding, typed access, reply markup checks.

PTB's HTTPXRequest posts ``application/x-www-form-urlencoded`` (``multipart/form-data`` when
a file is attached) where strings are sent as is and every other value — ints, bools, lists,
objects — is JSON-encoded. The real Bot API knows each parameter's type, and so must we: the
text "123" stays a string while chat_id "123" becomes an int.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

from .records import JSON, ApiError, bad_request

_INT_PARAMS = frozenset(
    {
        "chat_id", "message_id", "offset", "limit", "timeout", "user_id", "message_thread_id",
        "cache_time", "max_connections", "reply_to_message_id", "from_chat_id",
    }
)  # fmt: skip
_BOOL_PARAMS = frozenset(
    {
        "disable_web_page_preview", "disable_notification", "protect_content", "show_alert",
        "drop_pending_updates", "allow_sending_without_reply", "allow_paid_broadcast",
        "disable_content_type_detection",
    }
)  # fmt: skip
_JSON_PARAMS = frozenset(
    {
        "reply_markup", "link_preview_options", "allowed_updates", "commands", "scope",
        "entities", "caption_entities", "reply_parameters", "menu_button",
    }
)  # fmt: skip


def coerce(raw: dict[str, Any]) -> JSON:
    """Give form-encoded values the types the Bot API assigns to these parameters."""
    out: JSON = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if name in _INT_PARAMS and re.fullmatch(r"-?\d+", value.strip()):
                value = int(value)
            elif name in _BOOL_PARAMS and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
            elif name in _JSON_PARAMS:
                # Undecodable JSON stays a string; the method reports it like Telegram would.
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
        out[name] = value
    return out


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content: bytes
    content_type: str | None


class Params:
    """Typed, validating access to one request's parameters."""

    def __init__(self, values: JSON, files: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.files = files or {}

    def has(self, name: str) -> bool:
        """True if the parameter was sent."""
        return self.values.get(name) is not None

    def str_opt(self, name: str) -> str | None:
        """A string parameter, or None if absent."""
        value = self.values.get(name)
        return None if value is None else str(value)

    def str_req(self, name: str, empty: str | None = None) -> str:
        """A required string parameter; ``empty`` is the Telegram wording when missing."""
        value = self.str_opt(name)
        if value is None or value == "":
            raise bad_request(empty or f"parameter {name} is required")
        return value

    def int_opt(self, name: str) -> int | None:
        """An integer parameter, or None if absent."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise bad_request(f"wrong parameter {name} type")
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"wrong parameter {name} type") from None

    def int_req(self, name: str, empty: str | None = None) -> int:
        """A required integer parameter."""
        value = self.int_opt(name)
        if value is None:
            raise bad_request(empty or f"parameter {name} is required")
        return value

    def float_opt(self, name: str) -> float | None:
        """A number parameter (int or float), or None if absent."""
        value = self.values.get(name)
        if value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"wrong parameter {name} type") from None

    def bool(self, name: str) -> bool:
        """A boolean parameter (False when absent)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def obj(self, name: str, what: str) -> Any:
        """A JSON parameter (object or array), already decoded; ``what`` names it in errors."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what} JSON object") from None
        return value


# ---- reply markup --------------------------------------------------------------------------

_INLINE_ACTIONS = (
    "callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay", "web_app",
    "login_url",
)  # fmt: skip
MAX_BUTTONS = 100


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [a for a in _INLINE_ACTIONS if a in button]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"(https?|tg)://\S+$", url, re.IGNORECASE):
            raise bad_request("BUTTON_URL_INVALID")


def check_reply_markup(markup: Any, *, inline_only: bool = False) -> JSON | None:
    """Validate a reply_markup value; return it as an object (None if absent)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        buttons = [b for row in rows for b in row]
        if len(buttons) > MAX_BUTTONS:
            raise bad_request("reply markup is too long")
        for button in buttons:
            _check_inline_button(button)
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        for button in (b for row in rows for b in row):
            text = button if isinstance(button, str) else (button or {}).get("text")
            if not isinstance(text, str) or not text:
                raise bad_request("can't parse keyboard button: Text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def api_error_for_code(code: int, description: str | None, retry_after: int | None) -> ApiError:
    """An injected fault's answer, with Telegram's usual wording for the code."""
    defaults = {
        400: "Bad Request: injected failure",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
        429: f"Too Many Requests: retry after {retry_after}",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }
    text = description or defaults.get(code, f"Error {code}")
    return ApiError(code, text, retry_after if code == 429 else None)
