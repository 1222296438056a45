"""Async client for the emulator's control API (real HTTP through httpx).

Typical end-to-end test::

    async with EmulatorClient(emu.url) as user:
        await user.send(1001, "/start")
        [reply] = await user.wait_for_bot_messages(1001)
        assert "Xin chào" in reply["message"]["text"]
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import httpx

from .state import DemoUser, EmulatorError

__all__ = ["EmulatorClient"]

LONG_POLL_SLICE = 25.0


class EmulatorClient:
    """Acts as Telegram users against a running :class:`Emulator`.

    ``last_seq`` maps chat id -> the last transcript seq this client has
    consumed (moved forward by :meth:`send`, :meth:`press` and the ``wait_for``
    helpers), so ``wait_for_bot_messages(chat_id)`` only returns new replies.
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.last_seq: dict[int, int] = {}
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self._http.aclose()

    # ------------------------------------------------------------------ plumbing

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, **kwargs)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400:
            description = payload.get("description") if isinstance(payload, dict) else None
            raise EmulatorError(response.status_code, description or response.text)
        return payload

    def _advance(self, chat_id: int, seq: int) -> None:
        if seq > self.last_seq.get(chat_id, 0):
            self.last_seq[chat_id] = seq

    # ------------------------------------------------------------------ acting as users

    async def send(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        chat_title: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """Send ``text`` as ``user_id``; returns ``{"update_id", "message", "seq"}``."""
        body: dict[str, Any] = {"user_id": user_id, "text": text}
        if chat_id is not None:
            body["chat_id"] = chat_id
        if chat_title is not None:
            body["chat_title"] = chat_title
        if reply_to_message_id is not None:
            body["reply_to_message_id"] = reply_to_message_id
        result = await self._request("POST", "/control/send", json=body)
        self._advance(result["message"]["chat"]["id"], result["seq"])
        return result

    async def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        text: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Press an inline button (by ``data`` or label ``text``) as ``user_id``."""
        body: dict[str, Any] = {"user_id": user_id, "message_id": message_id}
        if data is not None:
            body["data"] = data
        if text is not None:
            body["text"] = text
        if chat_id is not None:
            body["chat_id"] = chat_id
        result = await self._request("POST", "/control/press", json=body)
        self._advance(user_id if chat_id is None else chat_id, result["seq"])
        return result

    # ------------------------------------------------------------------ reading transcripts

    async def messages(self, chat_id: int, after: int = 0, wait: float = 0) -> list[dict[str, Any]]:
        """Transcript entries with ``seq > after``; long-polls up to ``wait`` seconds."""
        payload = await self._request(
            "GET",
            f"/control/chats/{chat_id}/messages",
            params={"after": after, "wait": wait},
            timeout=httpx.Timeout(wait + 10.0),
        )
        return payload["messages"]

    async def wait_for(
        self,
        chat_id: int,
        kinds: Iterable[str] = ("bot",),
        count: int = 1,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Wait for ``count`` transcript entries of the given kinds after ``after``.

        ``after`` defaults to ``last_seq[chat_id]``. Returns exactly ``count``
        entries (oldest first) and moves ``last_seq`` to the last one. Raises
        ``AssertionError`` with the chat transcript when ``timeout`` expires.
        """
        wanted = set(kinds)
        cursor = self.last_seq.get(chat_id, 0) if after is None else after
        start_after = cursor
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await self._fail_wait(chat_id, wanted, count, start_after, found, timeout)
            entries = await self.messages(chat_id, after=cursor, wait=min(remaining, LONG_POLL_SLICE))
            for entry in entries:
                cursor = max(cursor, entry["seq"])
                if entry["kind"] in wanted:
                    found.append(entry)
        result = found[:count]
        self._advance(chat_id, result[-1]["seq"])
        return result

    async def wait_for_bot_messages(
        self,
        chat_id: int,
        count: int = 1,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Wait for ``count`` new messages from the bot (entries of kind ``bot``)."""
        return await self.wait_for(chat_id, ("bot",), count=count, after=after, timeout=timeout)

    async def say(self, user_id: int, text: str, replies: int = 1) -> str:
        """Send ``text`` privately as ``user_id``; the texts of the next ``replies`` bot
        messages, one per line."""
        await self.send(user_id, text)
        entries = await self.wait_for_bot_messages(user_id, count=replies)
        return "\n".join(entry["message"]["text"] for entry in entries)

    async def messages_from_bot(self, chat_id: int, after: int | None = None) -> list[dict[str, Any]]:
        """Bot message entries already there after ``after`` (default ``last_seq``), no waiting.

        Moves ``last_seq`` past them; handy to assert that no extra reply came.
        """
        cursor = self.last_seq.get(chat_id, 0) if after is None else after
        found = [entry for entry in await self.messages(chat_id, after=cursor) if entry["kind"] == "bot"]
        if found:
            self._advance(chat_id, found[-1]["seq"])
        return found

    async def _fail_wait(
        self,
        chat_id: int,
        wanted: set[str],
        count: int,
        after: int,
        found: list[dict[str, Any]],
        timeout: float,
    ) -> None:
        transcript = await self.messages(chat_id)
        lines = [_describe(entry) for entry in transcript[-30:]]
        raise AssertionError(
            f"Timed out after {timeout}s waiting for {count} {sorted(wanted)} entries in chat "
            f"{chat_id} after seq {after} (got {len(found)}). Transcript:\n" + "\n".join(lines)
        )

    # ------------------------------------------------------------------ users, faults, stats

    async def users(self) -> list[dict[str, Any]]:
        """GET /control/users."""
        return await self._request("GET", "/control/users")

    async def add_user(self, user: DemoUser | dict[str, Any]) -> dict[str, Any]:
        """POST /control/users."""
        body = user.to_public_dict() if isinstance(user, DemoUser) else user
        return await self._request("POST", "/control/users", json=body)

    async def block(self, user_id: int, blocked: bool = True) -> None:
        """POST /control/users/{id}/block: the user blocks (or unblocks) the bot."""
        await self._request("POST", f"/control/users/{user_id}/block",
                            json={"blocked": blocked})

    async def add_fault(
        self,
        method: str,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
    ) -> None:
        """POST /control/faults."""
        fault = {"method": method, "status": status, "retry_after": retry_after, "delay": delay}
        await self._request("POST", "/control/faults", json=fault)

    async def clear_faults(self) -> None:
        """DELETE /control/faults."""
        await self._request("DELETE", "/control/faults")

    async def stats(self) -> dict[str, Any]:
        """GET /control/stats."""
        return await self._request("GET", "/control/stats")

    async def reset(self) -> None:
        """POST /control/reset."""
        await self._request("POST", "/control/reset")

    async def set_rate_limit(self, per_second: float | None) -> None:
        """POST /control/rate_limit."""
        await self._request("POST", "/control/rate_limit", json={"per_second": per_second})

    async def commands(
        self, language_code: str | None = "vi", chat_id: int | None = None
    ) -> list[dict[str, Any]]:
        """GET /control/commands: the command menu a user would see."""
        params: dict[str, Any] = {"language_code": language_code or ""}
        if chat_id is not None:
            params["chat_id"] = chat_id
        return await self._request("GET", "/control/commands", params=params)

    async def all_commands(self) -> list[dict[str, Any]]:
        """GET /control/commands/all: every registration with scope and language."""
        return await self._request("GET", "/control/commands/all")

    async def file(self, file_id: str) -> bytes:
        """GET /control/files/<file_id> (raw bytes)."""
        response = await self._http.get(f"/control/files/{file_id}")
        if response.status_code >= 400:
            raise EmulatorError(response.status_code, response.text)
        return response.content


def _describe(entry: dict[str, Any]) -> str:
    message = entry.get("message") or {}
    text = message.get("text") or message.get("caption") or entry.get("text") or entry.get("action")
    if text is None and "document" in message:
        text = f"[document {message['document'].get('file_name')}]"
    if text is None and "photo" in message:
        text = "[photo]"
    if text is None and entry["kind"] == "delete":
        text = f"[deleted message {entry.get('message_id')}]"
    return f"  #{entry['seq']} {entry['kind']}: {text!r}"
