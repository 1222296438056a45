"""Receiving Zalo events by webhook: a small asyncio HTTP endpoint in front of PTB.

Zalo POSTs one event per request with the secret given to setWebhook in the header
`X-Bot-Api-Secret-Token`. A request without the right secret is refused (403) before its
body is read. An accepted event is stored (and so deduplicated: Zalo may retry) before
it is acknowledged, then queued to the Application like a polled update. The same
server hands out the reports and charts Zalo cannot receive as files (`GET /files/...`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from datetime import datetime, timezone

from telegram import Update
from telegram.ext import Application

from bot.channels.zalo import ZaloRequest
from storage.db import utc_text
from storage.zalo import get_file

logger = logging.getLogger(__name__)

SECRET_HEADER = "x-bot-api-secret-token"
FILES_PATH = "/files"  # reports and charts Zalo fetches by link (see ZaloRequest)
JSON = "application/json"
MAX_BODY = 1_000_000
MIN_SECRET, MAX_SECRET = 8, 256


class ZaloWebhook:
    """Serve `path` on host:port and feed the events to `application`."""

    def __init__(self, application: Application, request: ZaloRequest, secret: str,
                 path: str = "/zalo", host: str = "0.0.0.0", port: int = 8443) -> None:
        if not MIN_SECRET <= len(secret) <= MAX_SECRET:
            raise ValueError("the webhook secret must be 8 to 256 characters")
        self.application = application
        self.request = request
        self.secret = secret.encode()
        self.path = path
        self.host, self.port = host, port
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        """Listen; returns the port (the one chosen when `port` was 0)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, mime, body = await self._handle(reader)
        except (asyncio.IncompleteReadError, ValueError, UnicodeDecodeError):
            status, mime, body = 400, JSON, b""
        except Exception:  # noqa: BLE001 - never leave Zalo without an answer
            logger.exception("Zalo webhook request failed")
            status, mime, body = 500, JSON, b""
        if mime == JSON:
            body = json.dumps({"ok": status == 200}).encode()
        reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                  413: "Payload Too Large"}.get(status, "Error")
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {mime}\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                     + body)
        try:
            await writer.drain()
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader) -> tuple[int, str, bytes]:
        request_line = (await reader.readline()).decode("latin-1").split()
        headers: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if len(request_line) < 2:
            return 400, JSON, b""
        verb, path = request_line[0], request_line[1].split("?")[0]
        if verb == "GET" and path.startswith(FILES_PATH + "/"):
            return await self._file(path)
        if verb != "POST" or path != self.path:
            return 404, JSON, b""
        given = headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            logger.warning("Zalo webhook call with a wrong secret refused")
            return 403, JSON, b""
        length = int(headers.get("content-length", "0"))
        if length > MAX_BODY:
            return 413, JSON, b""
        event = json.loads(await reader.readexactly(length))
        if not isinstance(event, dict):
            return 400, JSON, b""
        update = await self.request.telegram_update(event.get("result", event))
        if update is not None:  # None: seen before (a retry), already handled
            await self.application.update_queue.put(
                Update.de_json(update, self.application.bot))
        return 200, JSON, b""

    async def _file(self, path: str) -> tuple[int, str, bytes]:
        """A kept report or chart, by its unguessable token (`/files/<token>/<name>`)."""
        token = path[len(FILES_PATH) + 1:].split("/")[0]
        found = await get_file(self.request.ids.db, token,
                               utc_text(datetime.now(timezone.utc)))
        if found is None:
            return 404, JSON, b""
        _filename, mime, data = found
        return 200, mime, data
