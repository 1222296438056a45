"""The Zalo Bot API behind PTB's request interface: handlers never know it is Zalo.

PTB builds Telegram calls (`.../bot<token>/sendMessage` with Telegram parameters) and
expects Telegram answers. `ZaloRequest` translates both ways (see ../shared/channels/ZALO.md):

- ids: Zalo's hex strings become stable local integers (`storage.zalo.ZaloIds`); users
  and chats share one namespace, so a private chat's id is its user's id, as on Telegram;
- getUpdates: Zalo returns one event per call and has no update ids or offsets; each event
  gets an update id from the database (an event seen twice is dropped), times in ms become
  seconds, and a text starting with `/` gets the `bot_command` entity Telegram would add;
- sendMessage: text over 2 000 characters is split at paragraph or sentence ends;
  inline keyboards are dropped (every choice is also written as a numbered line and can be
  typed); editMessageText sends a new message;
- methods Zalo lacks (command menu, callback answers, deleting messages) succeed locally;
- files: Zalo takes photos only by URL and no documents. With a public address (the
  webhook's), the file is kept and served there: a photo is sent by URL, a document as a
  link under its caption. Without one, the caption comes with a sentence saying the file
  is available on Telegram.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.i18n import N_
from bot.text import split_message
from storage.db import utc_text
from storage.zalo import ZaloIds, mark_delivered, new_update_id, store_file, undelivered

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com/bot"
MAX_TEXT = 2000
# Telegram methods answered here without calling Zalo (Zalo has no such feature).
_LOCAL_OK = frozenset({
    "setmycommands", "deletemycommands", "answercallbackquery", "deletemessage",
    "setchatmenubutton", "editmessagereplymarkup",
})
_EVENT_TEXT = "message.text.received"
FILES_KEPT = timedelta(days=7)
NO_FILE = N_("Zalo cannot receive this file. Type /lienket to use Telegram as well, where "
             "reports arrive as files.")


_MENTION = re.compile(r"@[A-Za-z0-9_.]+")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram would add and Zalo does not send: a leading /command and
    @mentions (offsets in UTF-16 units, as Telegram counts)."""
    found = []
    if text.startswith("/") and text.split():
        found.append({"type": "bot_command", "offset": 0, "length": _utf16(text.split()[0])})
    for match in _MENTION.finditer(text):
        found.append({"type": "mention", "offset": _utf16(text[:match.start()]),
                      "length": _utf16(match.group(0))})
    return found


def _ok(result: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}).encode()


def _error(status: int, description: str, **parameters: Any) -> tuple[int, bytes]:
    """An error answer in Telegram's shape (PTB maps it to BadRequest, RetryAfter ...)."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, json.dumps(body).encode()


def _seconds(milliseconds: Any) -> int:
    """Zalo's dates are in milliseconds; Telegram's in seconds (now when missing)."""
    return int(milliseconds or time.time() * 1000) // 1000


def _event_name(event: dict[str, Any]) -> str:
    """The event's name (a text message when Zalo leaves it out, as in its samples)."""
    message = event.get("message") or {}
    return event.get("event_name") or (_EVENT_TEXT if "text" in message else "")


class ZaloRequest(BaseRequest):
    """PTB's `BaseRequest` speaking the Zalo Bot API over httpx."""

    def __init__(self, ids: ZaloIds, *, read_timeout: float = 10.0,
                 connection_pool_size: int = 8, files_url: str | None = None,
                 translate: Callable[[str], str] = lambda text: text) -> None:
        self.ids = ids
        self.files_url = files_url.rstrip("/") if files_url else None  # public, or None
        self.translate = translate
        self._polls: set[asyncio.Future] = set()
        self._read_timeout = read_timeout
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(read_timeout, connect=5.0),
            limits=httpx.Limits(max_connections=connection_pool_size))

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (PTB adds the long-polling time for getUpdates)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: the client is ready."""

    async def shutdown(self) -> None:
        """Let a poll PTB cancelled store what it fetches, then close the HTTP client."""
        if self._polls:
            await asyncio.gather(*self._polls, return_exceptions=True)
        await self._client.aclose()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE,
                         write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        """Translate one Telegram call to Zalo and the answer back."""
        base, _, name = url.rpartition("/")
        params = dict(request_data.parameters) if request_data else {}
        timeout = read_timeout if isinstance(read_timeout, (int, float)) else None
        name = name.lower()
        if name in _LOCAL_OK:
            return _ok(True)
        if name == "getme":
            return await self._get_me(base)
        if name == "getupdates":
            return await self._get_updates(base, params, timeout)
        if name in ("sendmessage", "editmessagetext"):
            return await self._send_message(base, params)
        if name in ("senddocument", "sendphoto"):
            return await self._send_file(base, name, params, request_data)
        if name == "sendchataction":
            chat = await self.ids.zalo(params["chat_id"])
            return await self._call(base, "sendChatAction", {"chat_id": chat,
                                                            "action": "typing"})
        if name == "setwebhook":
            return await self._call(base, "setWebhook", {
                "url": params.get("url"), "secret_token": params.get("secret_token")})
        if name in ("deletewebhook", "getwebhookinfo"):
            status, body = await self._call(base, name, {})
            return (status, body) if status != 200 else _ok(
                True if name == "deletewebhook" else
                {"url": (json.loads(body).get("result") or {}).get("url", ""),
                 "has_custom_certificate": False, "pending_update_count": 0})
        return _error(400, f"Bad Request: {name} is not available on Zalo")

    async def _call(self, base: str, method: str, payload: dict[str, Any],
                    timeout: float | None = None) -> tuple[int, bytes]:
        """POST to Zalo; returns (status, body) with Telegram's error shape kept."""
        try:
            response = await self._client.post(f"{base}/{method}", json=payload,
                                               timeout=timeout or self._read_timeout)
        except httpx.TimeoutException as exc:
            raise TimedOut(f"Zalo {method} timed out") from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"Zalo {method}: {exc}") from exc
        if response.status_code == 429:  # Zalo says only "429": wait a second
            return _error(429, "Too Many Requests", retry_after=1)
        return response.status_code, response.content

    async def _get_me(self, base: str) -> tuple[int, bytes]:
        status, body = await self._call(base, "getMe", {})
        data = json.loads(body)
        if status != 200 or not data.get("ok"):
            return status, body
        me = data["result"]
        name = me.get("account_name") or me.get("display_name") or "zalo_bot"
        return _ok({"id": int(me["id"]) if str(me["id"]).isdigit() else 1, "is_bot": True,
                    "first_name": name, "username": name})

    async def _get_updates(self, base: str, params: dict[str, Any],
                           timeout: float | None) -> tuple[int, bytes]:
        """Events kept from a cancelled poll first; else one long poll. The poll runs as
        its own task: if PTB cancels it (the bot is stopping), the event Zalo hands out
        meanwhile is still stored, and `shutdown` waits for that."""
        kept = await undelivered(self.ids.db)
        if kept:
            updates = [await self._convert(json.loads(payload), update_id)
                       for update_id, payload in kept]
            await mark_delivered(self.ids.db, [update_id for update_id, _ in kept])
            return _ok(updates)
        poll = asyncio.ensure_future(self._poll(base, params, timeout))
        self._polls.add(poll)
        poll.add_done_callback(self._polls.discard)
        status, body, update = await asyncio.shield(poll)
        if update is None:
            return (status, body) if status != 200 else _ok([])
        await mark_delivered(self.ids.db, [update["update_id"]])
        return _ok([update])

    async def _poll(self, base: str, params: dict[str, Any], timeout: float | None
                    ) -> tuple[int, bytes, dict[str, Any] | None]:
        wait = int(params.get("timeout") or 0)
        status, body = await self._call(base, "getUpdates", {"timeout": str(wait)},
                                        timeout=(timeout or self._read_timeout) + wait)
        data = json.loads(body) if body else {}
        if status == 408 or (status == 200 and not data.get("result")):
            return 200, b"", None  # nothing arrived within the timeout
        if status != 200 or not data.get("ok"):
            return status, body, None
        return 200, b"", await self.telegram_update(data["result"], delivered=False)

    async def telegram_update(self, event: dict[str, Any], delivered: bool = True
                              ) -> dict[str, Any] | None:
        """A Zalo event as a Telegram update, stored first (None for an event seen before)."""
        message = event.get("message") or {}
        if not (message.get("chat") or {}).get("id"):
            logger.warning("Zalo event without a chat dropped: %s", _event_name(event))
            return None  # nobody to answer; stored, it would block every next poll
        update_id = await new_update_id(
            self.ids.db, f"{_event_name(event)}:{message.get('message_id')}",
            json.dumps(event), delivered)
        if update_id is None:
            return None
        return await self._convert(event, update_id)

    async def _convert(self, event: dict[str, Any], update_id: int) -> dict[str, Any]:
        message = event.get("message") or {}
        chat, sender = message.get("chat") or {}, message.get("from") or {}
        private = str(chat.get("chat_type", "PRIVATE")).upper() == "PRIVATE"
        first_name = sender.get("first_name") or sender.get("display_name") or "Zalo"
        converted: dict[str, Any] = {
            "message_id": await self.ids.local("message",
                                               message.get("message_id") or f"u{update_id}"),
            "date": _seconds(message.get("date")),
            "chat": {"id": await self.ids.local("peer", chat.get("id", "")),
                     "type": "private" if private else "group",
                     **({"first_name": first_name} if private else {"title": "Zalo"})},
            "from": {"id": await self.ids.local("peer", sender.get("id", chat.get("id", ""))),
                     "is_bot": False, "first_name": first_name},
        }
        text = message.get("text")
        if _event_name(event) == _EVENT_TEXT and isinstance(text, str):
            converted["text"] = text
            entities = _entities(text)
            if entities:
                converted["entities"] = entities
        return {"update_id": update_id, "message": converted}

    async def _send_message(self, base: str, params: dict[str, Any]) -> tuple[int, bytes]:
        local_chat = int(params["chat_id"])
        chat = await self.ids.zalo(local_chat)
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        body = b"{}"
        for part in split_message(str(params.get("text", "")), MAX_TEXT):
            status, body = await self._call(base, "sendMessage", {"chat_id": chat,
                                                                 "text": part})
            if status != 200 or not json.loads(body or b"{}").get("ok"):
                return status, body
        return await self._message_result(body, local_chat, str(params.get("text", "")))

    async def _send_file(self, base: str, name: str, params: dict[str, Any],
                         request_data: RequestData | None) -> tuple[int, bytes]:
        """A photo by URL, a document as a link, or the caption and a sentence."""
        caption = str(params.get("caption") or "")
        uploads = request_data.multipart_data if request_data else None
        url = params.get("photo") if isinstance(params.get("photo"), str) and \
            str(params.get("photo")).startswith("http") else None
        if uploads and self.files_url:
            filename, data, mime = next(iter(uploads.values()))
            token = secrets.token_urlsafe(18)
            now = datetime.now(timezone.utc)
            await store_file(self.ids.db, token, str(filename or "file"), str(mime), data,
                             utc_text(now), utc_text(now + FILES_KEPT))
            url = f"{self.files_url}/{token}/{quote(str(filename or 'file'))}"
        chat = await self.ids.zalo(params["chat_id"])
        if name == "sendphoto" and url and chat is not None:
            status, body = await self._call(base, "sendPhoto", {
                "chat_id": chat, "photo": url, "caption": caption[:MAX_TEXT]})
            if status != 200:
                return status, body
            return await self._message_result(body, int(params["chat_id"]), caption)
        text = "\n".join(part for part in (caption, url or self.translate(NO_FILE)) if part)
        return await self._send_message(base, {"chat_id": params["chat_id"], "text": text})

    async def _message_result(self, body: bytes, local_chat: int, text: str
                              ) -> tuple[int, bytes]:
        sent = json.loads(body).get("result") or {}
        return _ok({
            "message_id": await self.ids.local("message",
                                               sent.get("message_id") or secrets.token_hex(10)),
            "date": _seconds(sent.get("date")),
            "chat": {"id": local_chat, "type": "private"},
            "text": text,
        })
