"""Control API of the emulator (``/control/...``): act as users, inspect, inject faults.

The endpoints are documented in the ``server`` module docstring.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .state import DemoUser, EmulatorError, EmulatorState, Fault, StoredFile

__all__ = ["ControlApi", "Response", "file_response", "json_response"]


@dataclass
class Response:
    """An HTTP response produced by the router."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON response (UTF-8, non-ASCII kept readable)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, "application/json; charset=utf-8")


def file_response(stored: StoredFile | None) -> Response:
    """Serve a stored file with Content-Type and Content-Disposition."""
    if stored is None or stored.data is None:
        raise EmulatorError(404, "Not Found: file not found")
    mime = stored.mime_type or "application/octet-stream"
    name = stored.file_name or stored.file_id
    fallback = name.encode("ascii", "replace").decode("ascii").replace('"', "_").replace("?", "_")
    disposition = "inline" if mime.startswith("image/") else "attachment"
    quoted = urllib.parse.quote(name, safe="")
    headers = {"Content-Disposition": f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"}
    return Response(200, stored.data, mime, headers)


def _json_body(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        raise EmulatorError(400, "Bad Request: invalid JSON body") from None


def _object_body(body: bytes) -> dict[str, Any]:
    data = _json_body(body)
    if not isinstance(data, dict):
        raise EmulatorError(400, "Bad Request: JSON object expected")
    return data


def _optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


Handler = Callable[[re.Match[str], dict[str, str], bytes], Response]


class ControlApi:
    """Routes ``/control/...`` requests onto an :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/control/users"), self.list_users),
            ("POST", re.compile(r"/control/users"), self.add_user),
            ("POST", re.compile(r"/control/users/(\d+)/block"), self.block_user),
            ("GET", re.compile(r"/control/bot"), self.bot_info),
            ("POST", re.compile(r"/control/send"), self.send),
            ("POST", re.compile(r"/control/press"), self.press),
            ("GET", re.compile(r"/control/chats/(-?\d+)/messages"), self.chat_messages),
            ("DELETE", re.compile(r"/control/chats/(-?\d+)/messages"), self.clear_messages),
            ("GET", re.compile(r"/control/files/([^/]+)"), self.get_file),
            ("GET", re.compile(r"/control/faults"), self.list_faults),
            ("POST", re.compile(r"/control/faults"), self.add_faults),
            ("DELETE", re.compile(r"/control/faults"), self.clear_faults),
            ("GET", re.compile(r"/control/stats"), self.stats),
            ("POST", re.compile(r"/control/rate_limit"), self.rate_limit),
            ("GET", re.compile(r"/control/commands"), self.commands),
            ("GET", re.compile(r"/control/commands/all"), self.all_commands),
            ("POST", re.compile(r"/control/reset"), self.reset),
        ]

    def handle(self, verb: str, path: str, query: dict[str, str], body: bytes) -> Response:
        """Dispatch one request; raises :class:`EmulatorError` on failure."""
        path_matched = False
        for route_verb, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            path_matched = True
            if route_verb == verb:
                try:
                    return handler(match, query, body)
                except (TypeError, ValueError) as error:
                    raise EmulatorError(400, f"Bad Request: {error}") from None
        if path_matched:
            raise EmulatorError(405, "Method Not Allowed")
        raise EmulatorError(404, "Not Found")

    # ------------------------------------------------------------------ users

    def list_users(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """GET /control/users."""
        return json_response([user.to_public_dict() for user in self.state.users()])

    def add_user(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """POST /control/users."""
        user = self.state.add_user(DemoUser.from_dict(_object_body(body)))
        return json_response(user.to_public_dict())

    def block_user(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """The user blocks the bot ({"blocked": false} unblocks)."""
        data = _object_body(body) if body else {}
        self.state.set_blocked(int(match.group(1)), bool(data.get("blocked", True)))
        return json_response({"ok": True})

    def bot_info(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """GET /control/bot."""
        return json_response(dict(self.state.bot_user))

    # ------------------------------------------------------------------ acting as users

    def send(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """POST /control/send."""
        data = _object_body(body)
        if data.get("user_id") is None:
            raise EmulatorError(400, "Bad Request: user_id is required")
        result = self.state.inject_message(
            int(data["user_id"]),
            data.get("text"),
            chat_id=_optional_int(data.get("chat_id")),
            chat_title=data.get("chat_title"),
            reply_to_message_id=_optional_int(data.get("reply_to_message_id")),
        )
        return json_response(result)

    def press(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """POST /control/press."""
        data = _object_body(body)
        if data.get("user_id") is None or data.get("message_id") is None:
            raise EmulatorError(400, "Bad Request: user_id and message_id are required")
        if data.get("data") is None and data.get("text") is None:
            raise EmulatorError(400, "Bad Request: data or text is required")
        result = self.state.inject_callback(
            int(data["user_id"]),
            int(data["message_id"]),
            data=data.get("data"),
            text=data.get("text"),
            chat_id=_optional_int(data.get("chat_id")),
        )
        return json_response(result)

    # ------------------------------------------------------------------ transcripts and files

    def chat_messages(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """GET /control/chats/<chat_id>/messages?after=&wait=."""
        entries, last_seq = self.state.entries(
            int(match.group(1)),
            after=int(query.get("after") or 0),
            wait=float(query.get("wait") or 0),
        )
        return json_response({"messages": entries, "last_seq": last_seq})

    def clear_messages(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """DELETE /control/chats/<chat_id>/messages."""
        self.state.clear_transcript(int(match.group(1)))
        return json_response({"ok": True})

    def get_file(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """GET /control/files/<file_id>."""
        return file_response(self.state.file(urllib.parse.unquote(match.group(1))))

    # ------------------------------------------------------------------ faults, stats, misc

    def list_faults(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """GET /control/faults."""
        return json_response([vars(fault) for fault in self.state.faults()])

    def add_faults(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """POST /control/faults (one fault dict or a list)."""
        data = _json_body(body)
        faults = [Fault.from_dict(item) for item in (data if isinstance(data, list) else [data])]
        for fault in faults:
            self.state.add_fault(fault)
        return json_response({"ok": True, "queued": len(faults)})

    def clear_faults(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """DELETE /control/faults."""
        self.state.clear_faults()
        return json_response({"ok": True})

    def stats(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """GET /control/stats."""
        return json_response(self.state.stats())

    def rate_limit(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """POST /control/rate_limit {"per_second": n | null}."""
        data = _json_body(body)
        per_second = data.get("per_second") if isinstance(data, dict) else data
        self.state.set_rate_limit(float(per_second) if per_second else None)
        return json_response({"ok": True, "per_second": per_second or None})

    def commands(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """GET /control/commands?language_code=vi&chat_id= (the resolved menu)."""
        return json_response(
            self.state.resolve_commands(
                query.get("language_code", "vi"), _optional_int(query.get("chat_id"))
            )
        )

    def all_commands(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """GET /control/commands/all (every registration with scope and language)."""
        return json_response(self.state.all_commands())

    def reset(self, match: re.Match[str], query: dict[str, str], body: bytes) -> Response:
        """POST /control/reset."""
        self.state.reset()
        return json_response({"ok": True})
