"""The one table of commands: it makes the handlers' registration, /help and setMyCommands."""

from __future__ import annotations

import html
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from telegram import BotCommand, Update

from newsbot.bot import admin, readers
from newsbot.bot.context import Context
from newsbot.bot.digests import commands as digest_commands

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]
Audience = Literal["everyone", "admins"]


@dataclass(frozen=True)
class Command:
    """One slash command: what it's called, what it does, who may use it."""

    name: str
    description: str  # for /help and the Telegram menu (at most 256 characters)
    callback: Callback
    audience: Audience = "everyone"
    usage: str = ""  # arguments, shown in /help
    in_help: bool = True


COMMANDS: tuple[Command, ...] = (
    # -- readers ----------------------------------------------------------------------------
    Command("start", "what this bot does", readers.start, in_help=False),
    Command("help", "every command", readers.help_command),
    Command("ask", "answer a question (in groups)", readers.ask, usage="<question>"),
    Command("latest", "the newest articles", readers.latest),
    # -- digest subscribers --------------------------------------------------------------
    Command(
        "subscribe",
        "a daily digest at your time",
        digest_commands.subscribe,
        usage="[HH:MM] [Area/City]",
    ),
    Command("unsubscribe", "stop the daily digest", digest_commands.unsubscribe),
    Command("digest", "the digest now: what's new since your last one", digest_commands.digest_now),
    Command("settings", "your digest time and zone", digest_commands.settings_cmd),
    # -- admins -----------------------------------------------------------------------------
    Command(
        "add",
        "add articles: URLs, pasted text after the first line, or a file with this caption",
        admin.add,
        audience="admins",
        usage="<url> [<url> …]",
    ),
    Command("remove", "remove an article", admin.remove, audience="admins", usage="<id>"),
    Command("articles", "stored articles with their ids", admin.articles, "admins", usage="[page]"),
    Command("stats", "articles, passages, subscribers, questions", admin.stats, "admins"),
)

INTRO = (
    "I answer questions about the news articles I know. Ask me anything in a private chat; "
    "in a group, use /ask or reply to one of my messages. I show the passages that answer, "
    "with a link to each source."
)


def commands_for(audience: Audience) -> list[Command]:
    """The commands of one audience, in table order."""
    return [command for command in COMMANDS if command.audience == audience]


def help_text(*, admin_view: bool) -> str:
    """/help (and /start), as Telegram HTML; admins also see their commands."""

    def entry(command: Command) -> str:
        usage = f" {command.usage}" if command.usage else ""
        return f"/{command.name}{html.escape(usage)} — {html.escape(command.description)}"

    lines = [html.escape(INTRO), ""]
    lines += [entry(c) for c in commands_for("everyone") if c.in_help]
    if admin_view:
        lines += ["", "<b>For admins</b>"]
        lines += [entry(c) for c in commands_for("admins") if c.in_help]
    return "\n".join(lines)


def bot_commands(*, admin_view: bool) -> list[BotCommand]:
    """The command menu for setMyCommands: everyone's, or everyone's and the admins'."""
    return [
        BotCommand(c.name, c.description)
        for c in COMMANDS
        if c.audience == "everyone" or admin_view
    ]
