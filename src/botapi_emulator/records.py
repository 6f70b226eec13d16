"""Plain data the emulator records and exchanges: errors, faults, bot output, calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

# Methods whose successful calls show up in ``emu.sent``: what a chat member would see.
OUTPUT_METHODS = frozenset(
    {"sendMessage", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
)


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        """The JSON body Telegram would answer with."""
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str) -> ApiError:
    """A 400 answer; ``description`` is the part after "Bad Request: "."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Fault:
    """A failure (or delay) injected by a test for the next matching call(s)."""

    method: str  # lower-cased
    chat_id: int | None
    error_code: int | None  # None: no error, only the delay
    description: str | None
    retry_after: int | None
    times: int
    delay: float = 0.0


@dataclass
class SentRecord:
    """One visible bot action in a chat (a new message or an edit)."""

    method: str
    chat_id: int
    message_id: int
    text: str | None  # as the user sees it (after entity parsing); a caption for documents
    raw_text: str | None  # as the bot sent it (HTML source)
    parse_mode: str | None
    reply_markup: JSON | None
    link_preview_disabled: bool
    entities: list[JSON]
    timestamp: float
    params: JSON = field(repr=False)
    message: JSON = field(repr=False)  # the Message object the emulator answered with

    @property
    def is_edit(self) -> bool:
        """True for editMessageText / editMessageReplyMarkup records."""
        return self.method.startswith("edit")

    @property
    def document(self) -> JSON | None:
        """The Document object for sendDocument records."""
        doc = self.message.get("document")
        return doc if isinstance(doc, dict) else None


@dataclass
class CallRecord:
    """Any request the bot made, successful or not."""

    method: str  # canonical spelling, e.g. "sendMessage"
    params: JSON
    ok: bool
    result: Any
    error_code: int | None
    description: str | None
    timestamp: float
    injected: bool = False  # the answer came from fail_next()


@dataclass
class RejectedCall:
    """A request answered with 400: one Telegram would have rejected."""

    method: str
    params: JSON
    description: str


@dataclass
class StoredFile:
    """A file a user (or the bot) uploaded, reachable through getFile."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None
    mime_type: str | None

    def document(self) -> JSON:
        """The Document object describing this file."""
        doc: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc


@dataclass
class WebhookConfig:
    """What setWebhook stored."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


def inline_buttons(message: JSON | SentRecord) -> list[JSON]:
    """The inline keyboard buttons of a message (or record), row by row, flattened."""
    markup = (
        message.reply_markup if isinstance(message, SentRecord) else message.get("reply_markup")
    )
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard") or []
    return [button for row in rows for button in row if isinstance(button, dict)]
