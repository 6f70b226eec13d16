"""Scripted users: the Python API tests and the playground use to act as people."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Iterable
from typing import Literal

from .htmltext import user_entities
from .records import JSON, SentRecord, inline_buttons
from .state import EmulatorState

ChatType = Literal["private", "group", "supergroup"]


class ScriptedUsers(EmulatorState):
    """Users and chats, and what users do: write, upload, press buttons."""

    def add_user(
        self,
        user_id: int,
        first_name: str = "User",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        """Create (or rename) a human user; returns the User object."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def _user(self, user_id: int) -> JSON:
        return self.users.get(user_id) or self.add_user(user_id, f"User{user_id}")

    def private_chat(self, user: int | JSON) -> JSON:
        """Register the private chat with ``user`` (so the bot may write there); the Chat."""
        info = self._user(user if isinstance(user, int) else int(user["id"]))
        chat: JSON = {"id": info["id"], "type": "private", "first_name": info["first_name"]}
        for key in ("last_name", "username"):
            if key in info:
                chat[key] = info[key]
        self.chats[chat["id"]] = chat
        return chat

    def group_chat(
        self,
        chat_id: int,
        title: str = "Group",
        *,
        supergroup: bool = False,
        username: str | None = None,
        admins: Iterable[int] = (),
        creator: int | None = None,
    ) -> JSON:
        """Register a group (negative id); ``admins``/``creator`` show in getChatMember."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative in Telegram")
        chat: JSON = {"id": chat_id, "type": "supergroup" if supergroup else "group"}
        chat["title"] = title
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        roles = self.chat_admins.setdefault(chat_id, {})
        for user_id in admins:
            self._user(user_id)
            roles[user_id] = "administrator"
        if creator is not None:
            self._user(creator)
            roles[creator] = "creator"
        return chat

    def _chat_for(self, user: JSON, chat_id: int | None, chat_type: ChatType) -> JSON:
        if chat_id is None or chat_id == user["id"]:
            return self.private_chat(user)
        if chat_id in self.chats:
            return self.chats[chat_id]
        if chat_type == "private":
            raise ValueError(f"chat {chat_id}: a private chat's id is the user's id")
        return self.group_chat(chat_id, f"Group {chat_id}", supergroup=chat_type == "supergroup")

    def _new_user_message(self, user: JSON, chat: JSON, reply_to: int | None) -> JSON:
        msg: JSON = {
            "message_id": self.next_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
        }
        if reply_to is not None:
            target = self.message(chat["id"], reply_to)
            if target is None:
                raise ValueError(f"no message {reply_to} in chat {chat['id']} to reply to")
            msg["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
        return msg

    def _bot_sees(self, message: JSON) -> bool:
        """Group privacy mode: only commands, mentions and replies to the bot get through."""
        if not self.group_privacy or message["chat"]["type"] == "private":
            return True
        text = message.get("text") or message.get("caption") or ""
        replied = message.get("reply_to_message", {}).get("from", {}).get("id")
        mention = "@" + str(self.bot_user["username"])
        return text.startswith("/") or mention.lower() in text.lower() or replied == self.bot_id

    def user_sends(
        self,
        text: str,
        *,
        user_id: int,
        chat_id: int | None = None,
        chat_type: ChatType = "private",
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A user types ``text``; queues the update and returns the Message object."""
        if not text.strip():
            raise ValueError("Telegram clients do not send empty messages")
        user = self._user(user_id)
        chat = self._chat_for(user, chat_id, chat_type)
        msg = self._new_user_message(user, chat, reply_to_message_id)
        msg["text"] = text
        entities = user_entities(text)
        if entities:
            msg["entities"] = entities
        self.store_message(msg)
        if self._bot_sees(msg):
            self._queue_update("message", msg)
        return msg

    def user_sends_document(
        self,
        filename: str,
        content: bytes,
        *,
        user_id: int,
        caption: str | None = None,
        chat_id: int | None = None,
        chat_type: ChatType = "private",
        mime_type: str | None = None,
        declare_size: bool = True,
    ) -> JSON:
        """A user uploads a file; the Message carries a Document the bot can getFile.

        `declare_size=False`: the Document has no file_size (Telegram may leave it out)."""
        user = self._user(user_id)
        msg = self._new_user_message(user, self._chat_for(user, chat_id, chat_type), None)
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        msg["document"] = self.store_file(content, filename, mime).document()
        if not declare_size:
            del msg["document"]["file_size"]
        if caption:
            msg["caption"] = caption
            entities = [e for e in user_entities(caption) if e["type"] != "bot_command"]
            if entities:
                msg["caption_entities"] = entities
        self.store_message(msg)
        if self._bot_sees(msg):
            self._queue_update("message", msg)
        return msg

    def user_presses(
        self,
        message: JSON | SentRecord | int,
        callback_data: str,
        *,
        user_id: int,
        chat_id: int | None = None,
        forged: bool = False,
    ) -> JSON:
        """A user presses the inline button carrying ``callback_data``; the CallbackQuery.

        ``message`` is a Message object, a record from ``sent``, or a message id (in
        ``chat_id``, by default the user's private chat). The button must currently exist,
        unless ``forged`` (a modified client, or a double tap on a keyboard already replaced).
        """
        user = self._user(user_id)
        if isinstance(message, SentRecord):
            chat_id, message_id = message.chat_id, message.message_id
        elif isinstance(message, dict):
            chat_id, message_id = int(message["chat"]["id"]), int(message["message_id"])
        else:
            chat_id, message_id = (user_id if chat_id is None else chat_id), message
        current = self.message(chat_id, message_id)
        if current is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        buttons = inline_buttons(current)
        if not forged and not any(b.get("callback_data") == callback_data for b in buttons):
            raise ValueError(f"message {message_id} has no button with data {callback_data!r}")
        query_id = str(4_000_000_000_000 + next(self._ids))
        query: JSON = {
            "id": query_id,
            "from": user,
            "message": current,
            "chat_instance": str(abs(chat_id) * 7919 + self.bot_id),
            "data": callback_data,
        }
        self._callback_queries[query_id] = False
        self._queue_update("callback_query", query)
        return query

    def user_inline_query(
        self, query: str, *, user_id: int, chat_type: str = "private", offset: str = ""
    ) -> JSON:
        """A user types ``@bot query`` in a chat of ``chat_type``; the InlineQuery."""
        if len(query) > 256:
            raise ValueError("Telegram clients send inline queries of at most 256 characters")
        query_id = str(5_000_000_000_000 + next(self._ids))
        inline: JSON = {
            "id": query_id,
            "from": self._user(user_id),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        self._inline_queries[query_id] = False
        self._queue_update("inline_query", inline)
        return inline

    def queue_raw_update(self, kind: str, payload: JSON) -> None:
        """An update of `kind` carrying `payload` exactly as given (a newer or broken Bot API)."""
        self._queue_update(kind, payload)

    @property
    def unanswered_callback_queries(self) -> list[str]:
        """Ids of callback queries the bot never answered (the user sees a spinner)."""
        return [qid for qid, answered in self._callback_queries.items() if not answered]
