"""The one table of commands: it makes the handlers' registration, /help and setMyCommands."""

from __future__ import annotations

import html
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from telegram import BotCommand, Update

from newsbot.bot import admin, feeds, language, readers, replies
from newsbot.bot.context import Context
from newsbot.bot.digests import commands as digest_commands
from newsbot.i18n import N_, _

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]
Audience = Literal["everyone", "admins"]


@dataclass(frozen=True)
class Command:
    """One slash command: what it's called, what it does, who may use it."""

    name: str
    description: str  # for /help and the Telegram menu (at most 256 characters), in English
    callback: Callback
    audience: Audience = "everyone"
    usage: str = ""  # arguments, shown in /help (marked N_ where they're words to translate)
    in_help: bool = True


COMMANDS: tuple[Command, ...] = (
    # -- readers ----------------------------------------------------------------------------
    Command("start", N_("what this bot does"), readers.start, in_help=False),
    Command("help", N_("every command"), readers.help_command),
    Command("ask", N_("answer a question (in groups)"), replies.ask, usage=N_("<question>")),
    Command("latest", N_("the newest articles"), readers.latest),
    # -- digest subscribers --------------------------------------------------------------
    Command(
        "subscribe",
        N_("a daily digest at your time"),
        digest_commands.subscribe,
        usage=N_("[HH:MM] [Area/City]"),
    ),
    Command("unsubscribe", N_("stop the daily digest"), digest_commands.unsubscribe),
    Command(
        "digest",
        N_("the digest now: what’s new since your last one"),
        digest_commands.digest_now,
        usage="[more]",
    ),
    Command("settings", N_("your digest time and zone"), digest_commands.settings_cmd),
    Command(
        "language",
        N_("the language I answer in here"),
        language.language,
        usage="[en|ru|auto]",
    ),
    # -- admins -----------------------------------------------------------------------------
    Command(
        "add",
        N_("add articles: URLs, pasted text after the first line, or a file with this caption"),
        admin.add,
        audience="admins",
        usage="<url> [<url> …]",
    ),
    Command("remove", N_("remove an article"), admin.remove, audience="admins", usage="<id>"),
    Command(
        "articles", N_("stored articles with their ids"), admin.articles, "admins", usage="[page]"
    ),
    Command("stats", N_("articles, passages, subscribers, questions"), admin.stats, "admins"),
    Command(
        "feed",
        N_("feeds polled by themselves: add (RSS, Atom or a page), list, remove, pause, resume"),
        feeds.feed,
        audience="admins",
        usage="add <url> | list | remove <id> | pause <id> | resume <id>",
    ),
    Command("feedback", N_("recent 👎 on answers, with their questions"), admin.feedback, "admins"),
)

INTRO = N_(
    "I answer questions about the news articles I know. Ask me anything in a private chat; "
    "in a group, use /ask or reply to one of my messages. I show the passages that answer, "
    "with a link to each source."
)


def commands_for(audience: Audience) -> list[Command]:
    """The commands of one audience, in table order."""
    return [command for command in COMMANDS if command.audience == audience]


def help_text(*, admin_view: bool, username: str | None = None) -> str:
    """/help (and /start), as Telegram HTML in the current language; admins also see their
    commands. With the bot's `username`, it shows how to share answers in any chat (inline
    mode)."""

    def entry(command: Command) -> str:
        usage = f" {_(command.usage)}" if command.usage else ""
        return f"/{command.name}{html.escape(usage)} — {html.escape(_(command.description))}"

    lines = [html.escape(_(INTRO)), ""]
    if username:
        share = _("In any chat, type @{username} and a question to share an answer there.")
        lines += [html.escape(share.format(username=username)), ""]
    lines += [entry(c) for c in commands_for("everyone") if c.in_help]
    if admin_view:
        heading = html.escape(_("For admins"))
        lines += ["", f"<b>{heading}</b>"]
        lines += [entry(c) for c in commands_for("admins") if c.in_help]
    return "\n".join(lines)


def bot_commands(*, admin_view: bool) -> list[BotCommand]:
    """The command menu for setMyCommands: everyone's, or everyone's and the admins' (in the
    current language)."""
    return [
        BotCommand(c.name, _(c.description))
        for c in COMMANDS
        if c.audience == "everyone" or admin_view
    ]
