"""In-memory world of the Telegram Bot API emulator.

Everything lives in one :class:`EmulatorState` guarded by a single
``threading.Condition``: HTTP handler threads (Bot API calls, control API,
long polls) and test code running in an asyncio loop all call into it
concurrently.  Blocking waits (``getUpdates`` long polling, transcript long
polling) wait on that condition and are woken by every change and by
:meth:`EmulatorState.close`.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .formatting import user_text_entities

__all__ = [
    "DemoUser",
    "EmulatorError",
    "EmulatorState",
    "Fault",
    "StoredFile",
    "MAX_TEXT_LENGTH",
]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_TRANSCRIPT_WAIT = 30.0
MAX_UPDATES_WAIT = 60.0
# Methods that are never matched by a "*" fault, so that a wildcard fault hits
# the bot's next real action instead of being eaten by its polling loop.
WILDCARD_EXCLUDED_METHODS = frozenset({"getupdates"})


@dataclass
class DemoUser:
    """A Telegram user the emulator can act as (listed on the web chat page)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str = "vi"
    description: str = ""
    channel: str | None = None  # "telegram" / "zalo": only that dialect gets their updates

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DemoUser:
        """Build from a JSON dict (unknown keys ignored)."""
        if "id" not in data or "first_name" not in data:
            raise EmulatorError(400, "Bad Request: user needs 'id' and 'first_name'")
        return cls(
            id=int(data["id"]),
            first_name=str(data["first_name"]),
            last_name=data.get("last_name"),
            username=data.get("username"),
            language_code=data.get("language_code") or "vi",
            description=data.get("description") or "",
            channel=data.get("channel") if data.get("channel") in ("telegram", "zalo")
            else None,
        )

    def to_public_dict(self) -> dict[str, Any]:
        """JSON form used by the control API."""
        return asdict(self)

    def to_telegram_user(self) -> dict[str, Any]:
        """Telegram ``User`` object."""
        return _without_none(
            {
                "id": self.id,
                "is_bot": False,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )

    def to_private_chat(self) -> dict[str, Any]:
        """Telegram ``Chat`` object of the private chat with this user."""
        return _without_none(
            {
                "id": self.id,
                "type": "private",
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
            }
        )


class EmulatorError(Exception):
    """A Bot API / control API error: HTTP status plus Telegram description."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def to_response(self) -> dict[str, Any]:
        """The Bot API error body."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.status == 429:
            body["parameters"] = {"retry_after": self.retry_after or 1}
        return body


@dataclass
class Fault:
    """A queued misbehaviour for the next call of ``method`` (or ``"*"``)."""

    method: str
    status: int | None = None
    retry_after: int | None = None
    delay: float | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build from a control API JSON dict."""
        if not isinstance(data, dict) or not data.get("method"):
            raise EmulatorError(400, "Bad Request: a fault needs a 'method'")
        return cls(
            method=str(data["method"]),
            status=int(data["status"]) if data.get("status") is not None else None,
            retry_after=int(data["retry_after"]) if data.get("retry_after") is not None else None,
            delay=float(data["delay"]) if data.get("delay") is not None else None,
        )

    def matches(self, method: str) -> bool:
        """Whether this fault applies to a call of ``method`` (case-insensitive)."""
        if self.method == "*":
            return method.lower() not in WILDCARD_EXCLUDED_METHODS
        return self.method.lower() == method.lower()

    def to_error(self) -> EmulatorError | None:
        """The error to answer with, or None for a pure delay."""
        if self.status is None:
            return None
        descriptions = {
            400: "Bad Request: injected fault",
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {self.retry_after or 1}",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }
        description = descriptions.get(self.status, f"Error {self.status}: injected fault")
        return EmulatorError(self.status, description, retry_after=self.retry_after or 1)


@dataclass
class StoredFile:
    """A file uploaded by the bot (or referenced by URL, then without bytes)."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    data: bytes | None = field(default=None, repr=False)
    width: int = 0
    height: int = 0

    @property
    def file_size(self) -> int:
        """Size in bytes (0 when the bytes are unknown)."""
        return len(self.data) if self.data is not None else 0

    def to_document(self) -> dict[str, Any]:
        """Telegram ``Document`` object."""
        return _without_none(
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_name": self.file_name,
                "mime_type": self.mime_type,
                "file_size": self.file_size,
            }
        )

    def to_photo_sizes(self) -> list[dict[str, Any]]:
        """Telegram ``PhotoSize`` list (a single size)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.file_size,
            }
        ]

    def to_file(self) -> dict[str, Any]:
        """Telegram ``File`` object (``file_path`` is the file id)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_id,
        }


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def _now() -> int:
    return int(time.time())


def _content(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if key != "edit_date"}


def _inline_keyboard(markup: Any) -> list[list[dict]] | None:
    if isinstance(markup, dict) and isinstance(markup.get("inline_keyboard"), list):
        return markup["inline_keyboard"]
    return None


class EmulatorState:
    """The emulated Telegram world. All public methods are thread-safe."""

    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self._cond = threading.Condition()
        self._closed = False
        self._users: dict[int, DemoUser] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._edit_counts: dict[tuple[int, int], int] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._update_channels: dict[int, str | None] = {}  # None: any dialect may take it
        self._update_ids = itertools.count(1)
        self._seq = 0
        self._transcripts: dict[int, list[dict[str, Any]]] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._callback_counter = itertools.count(1)
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._faults: list[Fault] = []
        self._calls: Counter[str] = Counter()
        self._faults_served: Counter[str] = Counter()
        self._rate_limited = 0
        self._rate_limit: float | None = None
        self._blocked: set[int] = set()  # users who blocked the bot: sends answer 403
        self._rate_window: deque[float] = deque()
        self._commands: dict[tuple[str, str], dict[str, Any]] = {}
        self._last_action: dict[int, str] = {}
        self._allowed_updates: list[str] | None = None

    # ------------------------------------------------------------------ life cycle

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Mark the world closed and wake every waiting long poll."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def reset(self) -> None:
        """Forget updates, transcripts, messages, files, faults, stats and rate limit.

        Users, registered commands, and the update/seq/message-id counters are
        kept so that running pollers and open web pages stay consistent.
        """
        with self._cond:
            self._updates.clear()
            self._transcripts.clear()
            self._messages.clear()
            self._edit_counts.clear()
            self._files.clear()
            self._callback_queries.clear()
            self._faults.clear()
            self._calls.clear()
            self._faults_served.clear()
            self._rate_limited = 0
            self._rate_limit = None
            self._rate_window.clear()
            self._blocked.clear()
            self._update_channels.clear()
            self._last_action.clear()
            self._cond.notify_all()

    # ------------------------------------------------------------------ users and chats

    def add_user(self, user: DemoUser) -> DemoUser:
        """Add (or replace) a user; also makes its private chat known."""
        with self._cond:
            self._users[user.id] = user
            self._chats.setdefault(user.id, user.to_private_chat())
            return user

    def users(self) -> list[DemoUser]:
        """All known users in insertion order."""
        with self._cond:
            return list(self._users.values())

    def _ensure_user(self, user_id: int) -> DemoUser:
        user = self._users.get(user_id)
        if user is None:
            user = DemoUser(id=user_id, first_name=f"User {user_id}")
            self._users[user_id] = user
            self._chats.setdefault(user_id, user.to_private_chat())
        return user

    def _ensure_chat(self, chat_id: int, user: DemoUser, title: str | None) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                if chat_id != user.id:
                    raise EmulatorError(400, "Bad Request: a private chat id must equal the user id")
                chat = user.to_private_chat()
            else:
                chat = {"id": chat_id, "type": "group", "title": title or f"Nhóm {-chat_id}"}
            self._chats[chat_id] = chat
        return chat

    def set_blocked(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: the bot's sends to them answer 403."""
        with self._cond:
            (self._blocked.add if blocked else self._blocked.discard)(int(user_id))

    def _chat_for_bot(self, chat_id: Any) -> dict[str, Any]:
        try:
            key = int(chat_id)
        except (TypeError, ValueError):
            raise EmulatorError(400, "Bad Request: chat not found") from None
        if key in self._blocked:
            raise EmulatorError(403, "Forbidden: bot was blocked by the user")
        chat = self._chats.get(key)
        if chat is None:
            raise EmulatorError(400, "Bad Request: chat not found")
        return chat

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    # ------------------------------------------------------------------ transcript

    def _record(self, chat_id: int, kind: str, **fields: Any) -> dict[str, Any]:
        self._seq += 1
        entry = {"seq": self._seq, "kind": kind, "chat_id": chat_id, "date": _now(), **fields}
        self._transcripts.setdefault(chat_id, []).append(entry)
        self._cond.notify_all()
        return entry

    def entries(
        self, chat_id: int, after: int = 0, wait: float = 0.0
    ) -> tuple[list[dict[str, Any]], int]:
        """Transcript entries of ``chat_id`` with ``seq > after`` and the current seq.

        Blocks up to ``wait`` seconds (capped at 30) while there is nothing new.
        """
        wait = max(0.0, min(float(wait), MAX_TRANSCRIPT_WAIT))
        with self._cond:
            self._cond.wait_for(
                lambda: self._closed or bool(self._entries_after(chat_id, after)), timeout=wait
            )
            return copy.deepcopy(self._entries_after(chat_id, after)), self._seq

    def _entries_after(self, chat_id: int, after: int) -> list[dict[str, Any]]:
        transcript = self._transcripts.get(chat_id, [])
        index = len(transcript)
        while index > 0 and transcript[index - 1]["seq"] > after:
            index -= 1
        return transcript[index:]

    def clear_transcript(self, chat_id: int) -> None:
        """Forget the transcript of one chat."""
        with self._cond:
            self._transcripts.pop(chat_id, None)

    @property
    def seq(self) -> int:
        """The last transcript sequence number handed out."""
        with self._cond:
            return self._seq

    # ------------------------------------------------------------------ updates

    def _push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        sender = self._users.get(payload.get("from", {}).get("id"))
        self._update_channels[update["update_id"]] = sender.channel if sender else None
        self._updates.append(update)
        self._cond.notify_all()
        return update

    def inject_message(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        chat_title: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a text Message update as if ``user_id`` typed ``text``.

        Returns ``{"update_id", "message", "seq"}``.
        """
        if not isinstance(text, str) or not text:
            raise EmulatorError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise EmulatorError(400, "Bad Request: message is too long")
        with self._cond:
            user = self._ensure_user(int(user_id))
            chat_key = user.id if chat_id is None else int(chat_id)
            chat = self._ensure_chat(chat_key, user, chat_title)
            message: dict[str, Any] = {
                "message_id": self._new_message_id(chat_key),
                "from": user.to_telegram_user(),
                "chat": dict(chat),
                "date": _now(),
                "text": text,
            }
            entities = user_text_entities(text)
            if entities:
                message["entities"] = entities
            self._attach_reply(message, chat_key, reply_to_message_id)
            self._messages[(chat_key, message["message_id"])] = message
            update = self._push_update("message", copy.deepcopy(message))
            entry = self._record(chat_key, "user", message=copy.deepcopy(message))
            return {"update_id": update["update_id"], "message": update["message"], "seq": entry["seq"]}

    def inject_callback(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        text: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a callback_query update as if ``user_id`` pressed an inline button.

        The button is found by ``data`` (callback_data) or by its label ``text``.
        Returns ``{"update_id", "callback_query", "seq"}``.
        """
        with self._cond:
            user = self._ensure_user(int(user_id))
            chat_key = user.id if chat_id is None else int(chat_id)
            message = self._messages.get((chat_key, int(message_id)))
            if message is None:
                raise EmulatorError(404, "Not Found: message not found")
            callback_data = self._find_button_data(message, data, text)
            query_id = str(next(self._callback_counter) + 4_000_000_000)
            query = {
                "id": query_id,
                "from": user.to_telegram_user(),
                "message": copy.deepcopy(message),
                "chat_instance": f"ci{chat_key}",
                "data": callback_data,
            }
            self._callback_queries[query_id] = {
                "chat_id": chat_key,
                "message_id": int(message_id),
                "user_id": user.id,
                "answered": False,
            }
            update = self._push_update("callback_query", query)
            return {"update_id": update["update_id"], "callback_query": query, "seq": self._seq}

    @staticmethod
    def _find_button_data(message: dict[str, Any], data: str | None, text: str | None) -> str:
        keyboard = _inline_keyboard(message.get("reply_markup"))
        if not keyboard:
            raise EmulatorError(400, "Bad Request: message has no inline keyboard")
        for row in keyboard:
            for button in row:
                if "callback_data" not in button:
                    continue
                if data is not None and button["callback_data"] == data:
                    return data
                if data is None and text is not None and button.get("text") == text:
                    return button["callback_data"]
        wanted = f"data {data!r}" if data is not None else f"label {text!r}"
        raise EmulatorError(400, f"Bad Request: no inline button with {wanted}")

    def get_updates(
        self,
        offset: int | None = None,
        limit: int = 100,
        timeout: float = 0.0,
        allowed_updates: list[str] | None = None,
        channel: str = "telegram",
    ) -> list[dict[str, Any]]:
        """Telegram ``getUpdates`` semantics, blocking up to ``timeout`` seconds, over the
        updates of users of ``channel`` (or of no channel in particular)."""
        limit = max(1, min(int(limit or 100), 100))
        timeout = max(0.0, min(float(timeout or 0), MAX_UPDATES_WAIT))
        with self._cond:
            if allowed_updates is not None:
                self._allowed_updates = list(allowed_updates) or None
            self._confirm_updates(offset, channel)
            self._cond.wait_for(lambda: self._closed or self._pending_updates(channel),
                                timeout=timeout)
            return copy.deepcopy(list(itertools.islice(self._pending_updates(channel), limit)))

    def _confirm_updates(self, offset: int | None, channel: str) -> None:
        if offset is None or offset == 0:
            return
        mine = [u for u in self._updates if self._update_channels.get(u["update_id"])
                in (None, channel)]
        if offset < 0:
            gone = {u["update_id"] for u in mine[:max(len(mine) + offset, 0)]}
        else:
            gone = {u["update_id"] for u in mine if u["update_id"] < offset}
        if gone:
            self._updates = deque(u for u in self._updates if u["update_id"] not in gone)
            for update_id in gone:
                self._update_channels.pop(update_id, None)

    def _pending_updates(self, channel: str = "telegram") -> list[dict[str, Any]]:
        if self._allowed_updates:
            allowed = set(self._allowed_updates)
            kept = [u for u in self._updates if allowed.intersection(u.keys())]
            if len(kept) != len(self._updates):
                self._updates = deque(kept)
        return [u for u in self._updates
                if self._update_channels.get(u["update_id"]) in (None, channel)]

    def drop_pending_updates(self) -> None:
        """Forget every queued update."""
        with self._cond:
            self._updates.clear()

    def pending_update_count(self) -> int:
        """Number of queued (unconfirmed) updates."""
        with self._cond:
            return len(self._updates)

    # ------------------------------------------------------------------ bot actions

    def _attach_reply(self, message: dict[str, Any], chat_id: int, reply_to: Any) -> None:
        if reply_to is None:
            return
        replied = self._messages.get((chat_id, int(reply_to)))
        if replied is not None:
            replied = dict(replied)
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied

    def bot_send(
        self,
        chat_id: Any,
        content: dict[str, Any],
        reply_markup: Any = None,
        reply_to_message_id: Any = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store and record a message sent by the bot; returns the Message dict.

        ``content`` holds the payload keys (``text``/``entities`` or ``document``,
        ``photo``, ``caption``...).  ``extra`` is copied into the transcript
        entry (e.g. ``raw_text``, ``parse_mode``).
        """
        with self._cond:
            chat = self._chat_for_bot(chat_id)
            message: dict[str, Any] = {
                "message_id": self._new_message_id(chat["id"]),
                "from": self._bot_from(),
                "chat": dict(chat),
                "date": _now(),
                **content,
            }
            self._attach_reply(message, chat["id"], reply_to_message_id)
            if _inline_keyboard(reply_markup) is not None:
                message["reply_markup"] = reply_markup
            self._messages[(chat["id"], message["message_id"])] = message
            self._record(
                chat["id"],
                "bot",
                message=copy.deepcopy(message),
                reply_markup=copy.deepcopy(reply_markup),
                **(extra or {}),
            )
            return copy.deepcopy(message)

    def _bot_from(self) -> dict[str, Any]:
        keys = ("id", "is_bot", "first_name", "username")
        return {key: self.bot_user[key] for key in keys if key in self.bot_user}

    def bot_edit(
        self,
        chat_id: Any,
        message_id: Any,
        changes: dict[str, Any],
        reply_markup: Any = None,
        extra: dict[str, Any] | None = None,
        drop_keys: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Edit a bot message in place (Telegram rules) and record an ``edit`` entry.

        Omitting ``reply_markup`` removes the inline keyboard, as on Telegram.
        """
        with self._cond:
            chat = self._chat_for_bot(chat_id)
            message = self._message_for_edit(chat["id"], message_id)
            before = copy.deepcopy(message)
            for key in drop_keys:
                message.pop(key, None)
            message.update(changes)
            if _inline_keyboard(reply_markup) is not None:
                message["reply_markup"] = reply_markup
            else:
                message.pop("reply_markup", None)
            if _content(message) == _content(before):
                message.clear()
                message.update(before)
                raise EmulatorError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            message["edit_date"] = _now()
            key = (chat["id"], message["message_id"])
            self._edit_counts[key] = self._edit_counts.get(key, 0) + 1
            self._record(
                chat["id"],
                "edit",
                message=copy.deepcopy(message),
                reply_markup=copy.deepcopy(reply_markup),
                edit_count=self._edit_counts[key],
                **(extra or {}),
            )
            return copy.deepcopy(message)

    def _message_for_edit(self, chat_id: int, message_id: Any) -> dict[str, Any]:
        try:
            key = (chat_id, int(message_id))
        except (TypeError, ValueError):
            raise EmulatorError(400, "Bad Request: message to edit not found") from None
        message = self._messages.get(key)
        if message is None:
            raise EmulatorError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise EmulatorError(400, "Bad Request: message can't be edited")
        return message

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """A copy of a stored message, or None."""
        with self._cond:
            found = self._messages.get((int(chat_id), int(message_id)))
            return copy.deepcopy(found) if found is not None else None

    def bot_delete(self, chat_id: Any, message_id: Any) -> None:
        """Delete a message and record a ``delete`` entry."""
        with self._cond:
            chat = self._chat_for_bot(chat_id)
            try:
                key = (chat["id"], int(message_id))
            except (TypeError, ValueError):
                raise EmulatorError(400, "Bad Request: message to delete not found") from None
            if self._messages.pop(key, None) is None:
                raise EmulatorError(400, "Bad Request: message to delete not found")
            self._record(chat["id"], "delete", message_id=key[1])

    def answer_callback(self, query_id: Any, text: str | None, show_alert: bool) -> None:
        """Record the bot's answer to a callback query (``callback_answer`` entry)."""
        with self._cond:
            query = self._callback_queries.get(str(query_id))
            if query is None or query["answered"]:
                raise EmulatorError(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID is invalid",
                )
            query["answered"] = True
            self._record(
                query["chat_id"],
                "callback_answer",
                callback_query_id=str(query_id),
                message_id=query["message_id"],
                user_id=query["user_id"],
                text=text,
                show_alert=bool(show_alert),
            )

    def chat_action(self, chat_id: Any, action: str) -> None:
        """Record a chat action (``action`` entry)."""
        with self._cond:
            chat = self._chat_for_bot(chat_id)
            self._last_action[chat["id"]] = action
            self._record(chat["id"], "action", action=action)

    def last_action(self, chat_id: int) -> str | None:
        """The last chat action sent to ``chat_id``."""
        with self._cond:
            return self._last_action.get(int(chat_id))

    # ------------------------------------------------------------------ files

    def store_file(
        self,
        data: bytes | None,
        file_name: str | None,
        mime_type: str | None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        """Store bytes under a fresh file id."""
        with self._cond:
            number = next(self._file_counter)
            stored = StoredFile(
                file_id=f"EMU{number:06d}{secrets.token_hex(6)}",
                file_unique_id=f"U{number:06d}",
                file_name=file_name,
                mime_type=mime_type,
                data=data,
                width=width,
                height=height,
            )
            self._files[stored.file_id] = stored
            return stored

    def file(self, file_id: str) -> StoredFile | None:
        """A stored file by id."""
        with self._cond:
            return self._files.get(file_id)

    # ------------------------------------------------------------------ commands

    def set_commands(self, commands: list[dict], scope: Any, language_code: str | None) -> None:
        """Store the command list of one scope + language."""
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        key = (_scope_key(scope), language_code or "")
        with self._cond:
            self._commands[key] = {
                "scope": scope,
                "language_code": language_code or "",
                "commands": list(commands or []),
            }

    def delete_commands(self, scope: Any, language_code: str | None) -> None:
        """Forget the command list of one scope + language."""
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        with self._cond:
            self._commands.pop((_scope_key(scope), language_code or ""), None)

    def get_commands(self, scope: Any = None, language_code: str | None = None) -> list[dict]:
        """The command list of one scope + language (default scope when omitted)."""
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        with self._cond:
            found = self._commands.get((_scope_key(scope), language_code or ""))
            return copy.deepcopy(found["commands"]) if found else []

    def resolve_commands(self, language_code: str | None = "vi", chat_id: int | None = None) -> list[dict]:
        """The command menu a user would see, resolved the way Telegram clients do.

        Scopes are tried from the most specific (``chat`` when ``chat_id`` is
        given, then ``all_private_chats`` / ``all_group_chats``) to ``default``;
        within a scope the ``language_code`` list wins over the language-less one.
        """
        scopes: list[dict[str, Any]] = []
        if chat_id is not None:
            scopes.append({"type": "chat", "chat_id": int(chat_id)})
        is_group = chat_id is not None and int(chat_id) < 0
        scopes.append({"type": "all_group_chats" if is_group else "all_private_chats"})
        scopes.append({"type": "default"})
        languages = [language_code, ""] if language_code else [""]
        with self._cond:
            for scope in scopes:
                for language in languages:
                    found = self._commands.get((_scope_key(scope), language))
                    if found and found["commands"]:
                        return copy.deepcopy(found["commands"])
            return []

    def all_commands(self) -> list[dict[str, Any]]:
        """Every registered command list with its scope and language."""
        with self._cond:
            return copy.deepcopy(list(self._commands.values()))

    # ------------------------------------------------------------------ faults, stats, rate limit

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault (FIFO across methods)."""
        with self._cond:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._cond:
            self._faults.clear()

    def faults(self) -> list[Fault]:
        """Queued faults, oldest first."""
        with self._cond:
            return list(self._faults)

    def begin_call(self, method: str) -> Fault | None:
        """Count a Bot API call and pop the first fault matching it."""
        with self._cond:
            self._calls[method] += 1
            for index, fault in enumerate(self._faults):
                if fault.matches(method):
                    del self._faults[index]
                    self._faults_served[method] += 1
                    return fault
            return None

    def serve_fault(self, method: str, sleep: Callable[[float], None],
                    bare_429: bool = False) -> None:
        """Count a call of `method` and act out the first fault queued for it: wait its
        delay, raise its error (`bare_429`: a 429 without retry_after, as Zalo says it)."""
        fault = self.begin_call(method)
        if fault is None:
            return
        if fault.delay:
            sleep(fault.delay)
        error = fault.to_error()
        if error is not None and bare_429 and error.status == 429:
            raise EmulatorError(429, "Too Many Requests")
        if error is not None:
            raise error

    def set_rate_limit(self, per_second: float | None) -> None:
        """Limit accepted sendMessage calls per sliding second (None disables)."""
        with self._cond:
            self._rate_limit = float(per_second) if per_second else None
            self._rate_window.clear()

    def check_rate_limit(self) -> None:
        """Raise 429 when the global sendMessage rate is exceeded."""
        with self._cond:
            if self._rate_limit is None:
                return
            now = time.monotonic()
            while self._rate_window and now - self._rate_window[0] >= 1.0:
                self._rate_window.popleft()
            if len(self._rate_window) >= self._rate_limit:
                self._rate_limited += 1
                raise EmulatorError(429, "Too Many Requests: retry after 1", retry_after=1)
            self._rate_window.append(now)

    def stats(self) -> dict[str, Any]:
        """Call counters (attempts per method, faults served, rate limited)."""
        with self._cond:
            return {
                "calls": dict(self._calls),
                "faults_served": dict(self._faults_served),
                "rate_limited": self._rate_limited,
                "pending_updates": len(self._updates),
                "queued_faults": len(self._faults),
            }


def _scope_key(scope: dict[str, Any]) -> str:
    return repr(sorted(scope.items()))
