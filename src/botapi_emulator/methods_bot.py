"""Bot API methods about the bot itself: identity, updates, webhook, commands, files, chats."""

from __future__ import annotations

import json
import re

from .methods import Handler, RequestContext, method, target_chat
from .params import Params
from .records import JSON, ApiError, WebhookConfig, bad_request
from .state import EmulatorState

MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses larger files, like Telegram
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@method("getMe")
async def get_me(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """The bot's User object with the bot-only fields."""
    return {
        **emu.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": not emu.group_privacy,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
async def log_out(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Accepted and ignored."""
    return True


@method("close")
async def close(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Accepted and ignored."""
    return True


# ---- updates and webhook -------------------------------------------------------------------


@method("getUpdates")
async def get_updates(emu: EmulatorState, p: Params, ctx: RequestContext) -> list[JSON]:
    """Long polling: confirm up to ``offset``, then wait up to ``timeout`` s for updates."""
    if emu.webhook is not None:
        raise ApiError(409, _WEBHOOK_CONFLICT)
    limit = min(max(p.int_opt("limit") or 100, 1), 100)
    timeout = max(p.float_opt("timeout") or 0.0, 0.0)  # PTB sends floats for fractions
    allowed = p.obj("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        emu.allowed_updates = [str(kind) for kind in allowed]
    emu.confirm_updates(p.int_opt("offset"))
    # A newer getUpdates ends an older one with 409, as Telegram does for two bot instances.
    generation = emu.start_poll()

    def check() -> list[JSON] | None:
        if ctx.closed or emu.closing:
            return []
        if emu.webhook is not None or emu.poll_superseded(generation):
            return []
        return emu.pending_updates(limit) or None

    batch = await emu.wait_until(check, timeout) or []
    if not batch and not ctx.closed and not emu.closing:
        if emu.webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        if emu.poll_superseded(generation):
            raise ApiError(409, _POLL_CONFLICT)
    return batch


@method("setWebhook")
async def set_webhook(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Deliver updates by POST to ``url`` (plain http allowed, unlike Telegram)."""
    url = p.str_opt("url") or ""
    if not url:
        return bool(await delete_webhook(emu, p, _ctx))
    if not re.match(r"https?://[^\s/]+", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.str_opt("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise bad_request("secret token contains unallowed characters")
    allowed = p.obj("allowed_updates", "allowed updates")
    if p.bool("drop_pending_updates"):
        emu.drop_pending_updates()
    emu.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=p.int_opt("max_connections") or 40,
        allowed_updates=[str(k) for k in allowed] if isinstance(allowed, list) else None,
    )
    emu.notify()
    return True


@method("deleteWebhook")
async def delete_webhook(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Back to getUpdates."""
    if p.bool("drop_pending_updates"):
        emu.drop_pending_updates()
    emu.webhook = None
    emu.notify()
    return True


@method("getWebhookInfo")
async def get_webhook_info(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """The WebhookInfo object."""
    info: JSON = {
        "url": emu.webhook.url if emu.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": emu.pending_update_count,
    }
    if emu.webhook is not None:
        info["max_connections"] = emu.webhook.max_connections
        if emu.webhook.allowed_updates:
            info["allowed_updates"] = emu.webhook.allowed_updates
        if emu.webhook.last_error_date is not None:
            info["last_error_date"] = emu.webhook.last_error_date
            info["last_error_message"] = emu.webhook.last_error_message
    return info


# ---- commands and descriptions -------------------------------------------------------------


def _commands_key(p: Params) -> str:
    scope = p.obj("scope", "scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (p.str_opt("language_code") or "")


@method("setMyCommands")
async def set_my_commands(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Store the command list for a scope and language, checked like Telegram."""
    commands = p.obj("commands", "commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand JSON object")
        if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    emu.commands[_commands_key(p)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


@method("getMyCommands")
async def get_my_commands(emu: EmulatorState, p: Params, _ctx: RequestContext) -> list[JSON]:
    """The stored command list (empty if none)."""
    return emu.commands.get(_commands_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Forget the command list of a scope and language."""
    emu.commands.pop(_commands_key(p), None)
    return True


def _bot_text(field: str, limit: int) -> tuple[Handler, Handler]:
    async def setter(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
        value = p.str_opt(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field.upper()}_INVALID")
        emu.bot_texts[f"{field}|{p.str_opt('language_code') or ''}"] = value
        return True

    async def getter(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
        return {field: emu.bot_texts.get(f"{field}|{p.str_opt('language_code') or ''}", "")}

    return setter, getter


for _field, _name, _limit in (
    ("description", "MyDescription", 512),
    ("short_description", "MyShortDescription", 120),
    ("name", "MyName", 64),
):
    _setter, _getter = _bot_text(_field, _limit)
    method("set" + _name)(_setter)
    method("get" + _name)(_getter)


@method("setChatMenuButton")
async def set_chat_menu_button(emu: EmulatorState, p: Params, _ctx: RequestContext) -> bool:
    """Accepted and ignored."""
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """Always the default commands menu."""
    return {"type": "commands"}


# ---- files and chats -----------------------------------------------------------------------


@method("getFile")
async def get_file(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """A File with a file_path served under base_file_url."""
    stored = emu.files.get(p.str_req("file_id", "file_id is empty"))
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.content) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


@method("getChat")
async def get_chat(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """A minimal ChatFullInfo."""
    chat = target_chat(emu, p)
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {**dict.fromkeys(gifts, False), "gifts_from_channels": False},
    }


def _member(user: JSON, status: str) -> JSON:
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status != "administrator":
        return {"status": status, "user": user}
    rights = [
        "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
        "can_restrict_members", "can_change_info", "can_invite_users",
    ]  # fmt: skip
    denied = [
        "can_be_edited", "can_promote_members", "can_post_stories", "can_edit_stories",
        "can_delete_stories", "is_anonymous",
    ]  # fmt: skip
    return {
        "status": "administrator",
        "user": user,
        **dict.fromkeys(rights, True),
        **dict.fromkeys(denied, False),
    }


@method("getChatMember")
async def get_chat_member(emu: EmulatorState, p: Params, _ctx: RequestContext) -> JSON:
    """creator/administrator as registered with group_chat(), otherwise member."""
    chat = target_chat(emu, p)
    user_id = p.int_req("user_id", "user_id is empty")
    user = emu.bot_user if user_id == emu.bot_id else emu.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return _member(user, emu.chat_admins.get(chat["id"], {}).get(user_id, "member"))


@method("getChatAdministrators")
async def get_chat_administrators(
    emu: EmulatorState, p: Params, _ctx: RequestContext
) -> list[JSON]:
    """The creator and administrators registered with group_chat()."""
    chat = target_chat(emu, p)
    roles = emu.chat_admins.get(chat["id"], {})
    return [
        _member(emu.bot_user if uid == emu.bot_id else emu.users[uid], status)
        for uid, status in roles.items()
    ]
