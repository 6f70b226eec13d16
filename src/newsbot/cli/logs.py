"""How much the command line logs: quiet on a terminal unless asked (`-v`, `-vv`), the bot's
log at NEWSBOT_LOG_LEVEL.

- `newsbot run` (and `start` with a token) is a server: its log is its output, at
  NEWSBOT_LOG_LEVEL (INFO by default).
- Every other command prints its results and, in the log, only warnings and errors, unless
  NEWSBOT_LOG_LEVEL is set (then that level) or `-v` asks for INFO, `-vv` for DEBUG.
- `-v`/`-vv` only ever add: the more detailed of the flag and the setting wins. `-vv` also lets
  the libraries' own chatter through (httpx requests, Alembic steps, APScheduler).
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsbot.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LIBRARIES = ("httpx", "alembic", "apscheduler")
VERBOSE_HELP = "log more: -v INFO, -vv DEBUG (also after the command)"


def add_verbose(parser: argparse.ArgumentParser) -> None:
    """`-v`/`--verbose` on the main parser and on every (sub)command, so it goes before or
    after the command's name (argparse: a count after the name replaces the one before it)."""
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    _add_to_subcommands(parser)


def _add_to_subcommands(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:  # argparse has no public way to walk its subcommands
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                # SUPPRESS: a subcommand without the flag leaves the main parser's count alone.
                sub.add_argument(
                    "-v", "--verbose", action="count", default=argparse.SUPPRESS, help=VERBOSE_HELP
                )
                _add_to_subcommands(sub)


def log_level(settings: Settings, verbose: int, *, server: bool) -> int:
    """The root logger's level for this run (see the module docstring)."""
    if server or "log_level" in settings.model_fields_set:
        base = logging.getLevelNamesMapping()[settings.log_level]
    else:
        base = logging.WARNING
    asked = logging.DEBUG if verbose >= 2 else logging.INFO if verbose == 1 else base
    return min(base, asked)


def configure(settings: Settings, verbose: int, *, server: bool) -> None:
    """Log to stderr at the level for this run."""
    logging.basicConfig(format=FORMAT)  # a handler on stderr, unless one is set up already
    level = log_level(settings, verbose, server=server)
    logging.getLogger().setLevel(level)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(
            logging.NOTSET if verbose >= 2 else max(logging.WARNING, level)
        )
