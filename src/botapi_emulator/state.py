"""What the fake Telegram knows: chats, messages, updates, files, faults and bot output."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import TypeVar

from .flood import FloodLimiter, FloodLimits
from .records import (
    JSON,
    CallRecord,
    Fault,
    RejectedCall,
    SentRecord,
    StoredFile,
    WebhookConfig,
    inline_buttons,
)

T = TypeVar("T")

# Update kinds Telegram leaves out unless a bot asks for them in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class EmulatorState:
    """Users, chats, messages, pending updates, files and everything the bot did."""

    def __init__(
        self,
        *,
        token: str,
        bot_username: str,
        enforce_flood_limits: bool,
        flood_limits: FloodLimits | None,
        group_privacy: bool,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Newsbot Emulator",
            "username": bot_username,
        }
        self.enforce_flood_limits = enforce_flood_limits
        self.flood = FloodLimiter(flood_limits)
        self.flood_violations = 0
        self.group_privacy = group_privacy
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, JSON] = {}
        self.chat_admins: dict[int, dict[int, str]] = {}  # chat -> user -> creator/administrator
        self.sent: list[SentRecord] = []
        self.call_log: list[CallRecord] = []
        self.rejected: list[RejectedCall] = []
        self.blocked: set[int] = set()
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[str, list[JSON]] = {}  # "<scope json>|<language>" -> commands
        self.bot_texts: dict[str, str] = {}  # "description|<lang>" etc.
        self.webhook: WebhookConfig | None = None
        self.allowed_updates: list[str] | None = None
        self.callback_answers: list[JSON] = []
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self.inline_answers: list[JSON] = []  # answerInlineQuery calls, oldest first
        self._inline_queries: dict[str, bool] = {}  # id -> answered
        self._messages: dict[int, dict[int, JSON]] = {}
        self._last_message_id: dict[int, int] = {}
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._faults: list[Fault] = []
        # Indexes so waiters stay cheap in long benchmark runs.
        self._sent_by_chat: dict[int, list[SentRecord]] = {}
        self._calls_by_method: dict[str, list[CallRecord]] = {}
        self._message_cursor: dict[int, int] = {}
        self._call_cursor: dict[str, int] = {}
        self._changed = asyncio.Event()
        self._poll_generation = 0
        self._closing = False

    # ---- change notification -------------------------------------------------------------

    @property
    def closing(self) -> bool:
        """Whether the server is shutting down (long polls answer at once)."""
        return self._closing

    def start_poll(self) -> int:
        """A new getUpdates call: its generation (an older call still waiting is superseded)."""
        self._poll_generation += 1
        self.notify()
        return self._poll_generation

    def poll_superseded(self, generation: int) -> bool:
        """Whether a newer getUpdates call came after the one of `generation`."""
        return generation != self._poll_generation

    def drop_pending_updates(self) -> None:
        """Forget the updates not delivered yet (drop_pending_updates=True)."""
        self._updates.clear()

    def query_open(self, kind: str, query_id: str) -> bool:
        """Whether a callback (`kind` "callback") or inline ("inline") query awaits its answer."""
        queries = self._callback_queries if kind == "callback" else self._inline_queries
        return not queries.get(query_id, True)

    def answer_query(self, kind: str, query_id: str) -> None:
        """Mark a callback or inline query as answered (it can be answered once)."""
        queries = self._callback_queries if kind == "callback" else self._inline_queries
        queries[query_id] = True

    def notify(self) -> None:
        # A fresh Event per change lets synchronous code (user_sends) wake every waiter.
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, check: Callable[[], T | None], within: float | None) -> T | None:
        """Re-run ``check`` after every change until it returns a value or time runs out."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while True:
            event = self._changed
            value = check()
            if value is not None:
                return value
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return check()

    # ---- messages ------------------------------------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def store_message(self, message: JSON) -> None:
        self._messages.setdefault(message["chat"]["id"], {})[message["message_id"]] = message

    def forget_message(self, chat_id: int, message_id: int) -> None:
        """A deleted message: gone from the chat."""
        del self._messages[chat_id][message_id]
        self.notify()

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The current state of a message (after edits), or None if unknown or deleted."""
        return self._messages.get(chat_id, {}).get(message_id)

    def history(self, chat_id: int) -> list[JSON]:
        """Every message in the chat, users' and bot's, oldest first, deleted ones left out."""
        return list(self._messages.get(chat_id, {}).values())

    def store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep an uploaded file so getFile and the file download URL can serve it."""
        n = next(self._ids)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"BQACAgEMU-{n:06d}-{self.bot_id}",
            file_unique_id=f"AgADEMU{n}",
            file_path=f"documents/file_{n}{suffix}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    # ---- updates -------------------------------------------------------------------------

    def _wants(self, kind: str) -> bool:
        allowed = self.webhook.allowed_updates if self.webhook else self.allowed_updates
        return kind not in _OPT_IN_UPDATES if not allowed else kind in allowed

    def _queue_update(self, kind: str, payload: JSON) -> None:
        if self._wants(kind):
            self._updates.append({"update_id": next(self._update_ids), kind: payload})
            self.notify()

    def confirm_updates(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:  # Telegram: a negative offset keeps only the last -offset updates
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def pending_updates(self, limit: int = 100) -> list[JSON]:
        # Drop updates of kinds the bot stopped asking for, as Telegram does.
        self._updates = [u for u in self._updates if self._wants(_update_kind(u))]
        return self._updates[:limit]

    @property
    def pending_update_count(self) -> int:
        """Updates not yet confirmed by the bot (via offset or a webhook 2xx)."""
        return len(self._updates)

    # ---- faults --------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id``) with an error."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        self._faults.append(
            Fault(method.lower(), chat_id, error_code, description, retry_after, times)
        )

    def delay_next(
        self, method: str, seconds: float, *, chat_id: int | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` only after ``seconds``."""
        self._faults.append(Fault(method.lower(), chat_id, None, None, None, times, seconds))

    def _take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self._faults:
            if fault.method == method.lower() and fault.chat_id in (None, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def block(self, chat_id: int) -> None:
        """The user blocks the bot (or a group kicks it): later sends answer 403."""
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo ``block``."""
        self.blocked.discard(chat_id)

    # ---- what the bot did ----------------------------------------------------------------

    def add_sent(self, record: SentRecord) -> None:
        self.sent.append(record)
        self._sent_by_chat.setdefault(record.chat_id, []).append(record)
        self.notify()

    def _add_call(self, record: CallRecord) -> None:
        self.call_log.append(record)
        self._calls_by_method.setdefault(record.method.lower(), []).append(record)
        self.notify()

    def messages_in(self, chat_id: int) -> list[SentRecord]:
        """Bot messages and edits in ``chat_id``, oldest first."""
        return list(self._sent_by_chat.get(chat_id, []))

    def latest_with_buttons(self, chat_id: int) -> JSON | None:
        """The newest bot message in the chat that still has inline buttons (as it is now)."""
        for record in reversed(self._sent_by_chat.get(chat_id, [])):
            current = self.message(chat_id, record.message_id)
            if current is not None and inline_buttons(current):
                return current
        return None

    def calls(self, method: str | None = None) -> list[CallRecord]:
        """Every request made (of one method, case-insensitive), oldest first."""
        if method is None:
            return list(self.call_log)
        return list(self._calls_by_method.get(method.lower(), []))

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SentRecord]:
        """The next ``count`` bot messages/edits in the chat not returned by an earlier call.

        Raises TimeoutError if fewer arrive within ``timeout`` seconds.
        """

        def check() -> list[SentRecord] | None:
            records = self._sent_by_chat.get(chat_id, [])
            start = self._message_cursor.get(chat_id, 0)
            return records[start : start + count] if len(records) - start >= count else None

        found = await self.wait_until(check, timeout)
        if found is None:
            got = [
                r.text for r in self.messages_in(chat_id)[self._message_cursor.get(chat_id, 0) :]
            ]
            raise TimeoutError(f"chat {chat_id}: wanted {count} new bot message(s), got {got!r}")
        self._message_cursor[chat_id] = self._message_cursor.get(chat_id, 0) + count
        return found

    async def wait_for_call(
        self,
        method: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallRecord:
        """The next call of ``method`` not returned by an earlier wait_for_call."""
        key = method.lower()

        def check() -> CallRecord | None:
            calls = self._calls_by_method.get(key, [])
            start = self._call_cursor.get(key, 0)
            return calls[start] if len(calls) > start else None

        found = await self.wait_until(check, timeout)
        if found is None:
            raise TimeoutError(f"no call of {method} within {timeout} s")
        self._call_cursor[key] = self._call_cursor.get(key, 0) + 1
        return found


def _update_kind(update: JSON) -> str:
    return next(k for k in update if k != "update_id")
