"""Run the emulator standalone: ``python -m botapi_emulator --port 8081``.

Prints the base URLs to give the bot, then every bot message as plain text. With
``--stdin``, each input line is sent as a message from a local user, and a line like ``[2]``
presses button 2 of the latest bot message that has buttons.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys

from .records import inline_buttons
from .render import render_plain
from .server import BotAPIEmulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m botapi_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default="123456:EMULATOR")
    parser.add_argument("--bot-username", default="newsbot_emulator_bot")
    parser.add_argument("--enforce-flood-limits", action="store_true")
    parser.add_argument("--stdin", action="store_true", help="send input lines as a user")
    parser.add_argument("--user-id", type=int, default=1, help="the --stdin user's id")
    return parser.parse_args(argv)


async def _print_output(emu: BotAPIEmulator) -> None:
    seen = 0

    def more() -> bool | None:
        return True if len(emu.sent) > seen else None

    while True:
        await emu.wait_until(more, None)
        for record in emu.sent[seen:]:
            print(f"[bot -> {record.chat_id}] {render_plain(record)}", flush=True)
        seen = len(emu.sent)


def _handle_line(emu: BotAPIEmulator, line: str, user_id: int) -> None:
    press = re.fullmatch(r"\[(\d+)\]", line)
    if press is None:
        emu.user_sends(line, user_id=user_id)
        return
    message = emu.latest_with_buttons(user_id)
    buttons = inline_buttons(message) if message else []
    number = int(press.group(1))
    if message is None or not 1 <= number <= len(buttons):
        print(f"(no button {number})", flush=True)
    elif "callback_data" not in buttons[number - 1]:
        print(f"(button {number} is a link: {buttons[number - 1].get('url')})", flush=True)
    else:
        emu.user_presses(message, buttons[number - 1]["callback_data"], user_id=user_id)


async def _read_stdin(emu: BotAPIEmulator, user_id: int) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    emu.add_user(user_id, "You", "local_user")
    while line := (await reader.readline()).decode("utf-8", "replace"):
        if line.strip():
            _handle_line(emu, line.strip(), user_id)


async def _run(args: argparse.Namespace) -> None:
    emu = BotAPIEmulator(
        args.host,
        args.port,
        token=args.token,
        enforce_flood_limits=args.enforce_flood_limits,
        bot_username=args.bot_username,
    )
    async with emu:
        print(f"Telegram Bot API emulator on {emu.base_url}", flush=True)
        print(f"  token:         {emu.token}", flush=True)
        print(f"  base_url:      {emu.base_url}", flush=True)
        print(f"  base_file_url: {emu.base_file_url}", flush=True)
        tasks = [asyncio.create_task(_print_output(emu))]
        if args.stdin:
            tasks.append(asyncio.create_task(_read_stdin(emu, args.user_id)))
        try:
            await asyncio.Event().wait()  # until Ctrl+C
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(_parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
