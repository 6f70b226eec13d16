"""Bot API methods that put things into chats: send, edit, delete, documents, callbacks."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .htmltext import (
    MAX_CAPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    EntityParseError,
    parse_html,
    plain_text,
    utf16_len,
)
from .params import Params, check_reply_markup
from .records import JSON, ApiError, SentRecord, bad_request
from .state import EmulatorState


@dataclass
class RequestContext:
    """Per-request facts a method may need beyond its parameters."""

    closed: bool = False  # the client hung up (a cancelled long poll)


Handler = Callable[[EmulatorState, Params, RequestContext], Awaitable[Any]]
METHODS: dict[str, tuple[str, Handler]] = {}  # lower-case name -> (canonical name, handler)

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
MAX_UPLOAD = 50 * 1024 * 1024


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a Bot API method under its canonical (camelCase) name."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


# ---- shared checks -------------------------------------------------------------------------


def target_chat(emu: EmulatorState, p: Params) -> JSON:
    """The chat named by chat_id (an id or "@username"), or 400 "chat not found"."""
    raw = p.values.get("chat_id")
    if raw is None or raw == "":
        raise bad_request("chat_id is empty")
    chat: JSON | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        chat = emu.chats.get(raw)
    elif isinstance(raw, str) and raw.startswith("@"):
        wanted = raw[1:].lower()
        chat = next(
            (c for c in emu.chats.values() if str(c.get("username", "")).lower() == wanted), None
        )
    if chat is None:
        raise bad_request("chat not found")
    return chat


def writable_chat(emu: EmulatorState, p: Params) -> JSON:
    """Like target_chat, plus 403 when the user blocked the bot or the group kicked it."""
    chat = target_chat(emu, p)
    if chat["id"] in emu.blocked:
        if chat["type"] == "private":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        kind = "supergroup" if chat["type"] == "supergroup" else "group"
        raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
    return chat


def check_flood(emu: EmulatorState, chat: JSON) -> None:
    """Apply the flood limits (when enforced) to one more message in ``chat``."""
    if not emu.enforce_flood_limits:
        return
    wait = emu.flood.check(chat["id"], chat["type"] == "private")
    if wait is not None:
        emu.flood_violations += 1
        raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)


def formatted(p: Params, field: str, *, caption: bool) -> tuple[str, list[JSON]]:
    """Parse ``field`` per parse_mode and check its length; (plain text, entities)."""
    raw = p.str_opt(field) or ""
    mode = (p.str_opt("parse_mode") or "").lower()
    explicit = p.obj("caption_entities" if caption else "entities", "entities")
    if isinstance(explicit, list):
        # Entities given explicitly: Telegram ignores parse_mode and takes them as they are.
        text, entities = raw, [e for e in explicit if isinstance(e, dict)]
    elif mode == "html":
        try:
            text, entities = parse_html(raw)
        except EntityParseError as err:
            raise bad_request(f"can't parse entities: {err}") from None
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown and MarkdownV2 are not parsed: the text is kept as plain text. newsbot
        # formats with HTML, so only HTML gets Telegram's checks.
        text, entities = plain_text(raw)
    else:
        raise bad_request("unsupported parse_mode")
    limit = MAX_CAPTION_LENGTH if caption else MAX_MESSAGE_LENGTH
    if utf16_len(text) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    if not text and not caption:
        raise bad_request("message text is empty")
    return text, entities


def link_preview(p: Params) -> tuple[bool, JSON | None]:
    """(previews disabled?, the link_preview_options object to echo back)."""
    options = p.obj("link_preview_options", "link preview options")
    options = options if isinstance(options, dict) else None
    disabled = p.bool("disable_web_page_preview") or bool(options and options.get("is_disabled"))
    if disabled and options is None:
        options = {"is_disabled": True}
    return disabled, options


def bot_message(emu: EmulatorState, chat: JSON, p: Params) -> JSON:
    """A new Message from the bot in ``chat``, with the reply target checked."""
    reply = p.obj("reply_parameters", "reply parameters")
    reply = reply if isinstance(reply, dict) else {}
    reply_to = reply.get("message_id", p.int_opt("reply_to_message_id"))
    allow_missing = p.bool("allow_sending_without_reply") or bool(
        reply.get("allow_sending_without_reply")
    )
    target = None
    if reply_to is not None:
        target = emu.message(chat["id"], int(reply_to))
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
    msg: JSON = {"message_id": 0, "from": emu.bot_user, "chat": chat, "date": int(time.time())}
    if target is not None:
        msg["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
    return msg


def record(emu: EmulatorState, name: str, p: Params, msg: JSON, text_field: str) -> None:
    """Store the bot's message and add it to ``emu.sent``."""
    emu.store_message(msg)
    markup = msg.get("reply_markup") or check_reply_markup(p.obj("reply_markup", "reply markup"))
    preview = msg.get("link_preview_options") or {}
    emu.add_sent(
        SentRecord(
            method=name,
            chat_id=msg["chat"]["id"],
            message_id=msg["message_id"],
            text=msg.get(text_field),
            raw_text=p.str_opt(text_field),
            parse_mode=p.str_opt("parse_mode"),
            reply_markup=markup,
            link_preview_disabled=bool(preview.get("is_disabled")),
            entities=list(msg.get("entities" if text_field == "text" else "caption_entities", [])),
            timestamp=time.time(),
            params=dict(p.values),
            message=msg,
        )
    )


def _set(msg: JSON, key: str, value: Any) -> None:
    # Telegram omits empty optional fields rather than sending null or [].
    if value:
        msg[key] = value
    else:
        msg.pop(key, None)


# ---- methods -------------------------------------------------------------------------------


@method("sendMessage")
async def send_message(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """Send a text message."""
    chat = writable_chat(emu, p)
    text, entities = formatted(p, "text", caption=False)
    markup = check_reply_markup(p.obj("reply_markup", "reply markup"))
    _, preview = link_preview(p)
    msg = bot_message(emu, chat, p)
    check_flood(emu, chat)
    msg["message_id"] = emu.next_message_id(chat["id"])
    msg["text"] = text
    _set(msg, "entities", entities)
    _set(msg, "link_preview_options", preview)
    if markup and "inline_keyboard" in markup:
        msg["reply_markup"] = markup  # Telegram echoes inline keyboards only
    record(emu, "sendMessage", p, msg, "text")
    return msg


def _editable(emu: EmulatorState, p: Params) -> tuple[JSON, JSON]:
    if p.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    chat = writable_chat(emu, p)
    message_id = p.int_req("message_id", "message identifier is not specified")
    current = emu.message(chat["id"], message_id)
    if current is None:
        raise bad_request("message to edit not found")
    if current["from"]["id"] != emu.bot_id:
        raise bad_request("message can't be edited")
    return chat, current


@method("editMessageText")
async def edit_message_text(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """Replace a bot message's text (and inline keyboard: omitted means removed)."""
    chat, current = _editable(emu, p)
    if "text" not in current:
        raise bad_request("there is no text in the message to edit")
    text, entities = formatted(p, "text", caption=False)
    markup = check_reply_markup(p.obj("reply_markup", "reply markup"), inline_only=True)
    _, preview = link_preview(p)
    unchanged = (text, entities, markup) == (
        current["text"],
        current.get("entities", []),
        current.get("reply_markup"),
    )
    if unchanged:
        raise bad_request(NOT_MODIFIED)
    check_flood(emu, chat)
    msg = {**current, "text": text, "edit_date": int(time.time())}
    _set(msg, "entities", entities)
    _set(msg, "reply_markup", markup)
    _set(msg, "link_preview_options", preview)
    record(emu, "editMessageText", p, msg, "text")
    return msg


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """Replace (or remove) a bot message's inline keyboard."""
    chat, current = _editable(emu, p)
    markup = check_reply_markup(p.obj("reply_markup", "reply markup"), inline_only=True)
    if markup == current.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    check_flood(emu, chat)
    msg = {**current, "edit_date": int(time.time())}
    _set(msg, "reply_markup", markup)
    record(emu, "editMessageReplyMarkup", p, msg, "text" if "text" in msg else "caption")
    return msg


@method("deleteMessage")
async def delete_message(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Delete a message: any in private chats, others' in groups only as an admin."""
    chat = writable_chat(emu, p)
    message_id = p.int_req("message_id", "message identifier is not specified")
    current = emu.message(chat["id"], message_id)
    if current is None:
        raise bad_request("message to delete not found")
    is_admin = emu.bot_id in emu.chat_admins.get(chat["id"], {})
    if chat["type"] != "private" and current["from"]["id"] != emu.bot_id and not is_admin:
        raise bad_request("message can't be deleted")
    emu.forget_message(chat["id"], message_id)
    return True


@method("sendDocument")
async def send_document(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """Send a file (uploaded, by file_id, or by URL, which is not fetched)."""
    chat = writable_chat(emu, p)
    value = p.values.get("document")
    upload = p.files.get("document")
    if isinstance(value, str) and value.startswith("attach://"):
        upload = p.files.get(value.removeprefix("attach://"))
    if upload is not None:
        if not upload.content:
            raise bad_request("file must be non-empty")
        if len(upload.content) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        stored = emu.store_file(upload.content, upload.filename, upload.content_type)
    elif isinstance(value, str) and value in emu.files:
        stored = emu.files[value]
    elif isinstance(value, str) and value.startswith(("http://", "https://")):
        name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
        stored = emu.store_file(b"", name, None)
    elif value is None:
        raise bad_request("there is no document in the request")
    else:
        raise bad_request("wrong file identifier/HTTP URL specified")
    caption, entities = formatted(p, "caption", caption=True)
    markup = check_reply_markup(p.obj("reply_markup", "reply markup"))
    msg = bot_message(emu, chat, p)
    check_flood(emu, chat)
    msg["message_id"] = emu.next_message_id(chat["id"])
    msg["document"] = stored.document()
    _set(msg, "caption", caption)
    _set(msg, "caption_entities", entities)
    if markup and "inline_keyboard" in markup:
        msg["reply_markup"] = markup
    record(emu, "sendDocument", p, msg, "caption")
    return msg


_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip


@method("sendChatAction")
async def send_chat_action(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Show "typing…" and friends; only checked and recorded."""
    writable_chat(emu, p)
    if p.str_opt("action") not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@method("answerCallbackQuery")
async def answer_callback_query(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Answer a button press; each query can be answered once."""
    query_id = p.str_req("callback_query_id", "query_id is empty")
    if not emu.query_open("callback", query_id):
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.str_opt("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    emu.answer_query("callback", query_id)
    emu.callback_answers.append(
        {"callback_query_id": query_id, "text": text, "show_alert": p.bool("show_alert")}
    )
    emu.notify()
    return True
