"""Receiving Zalo events by webhook: a small asyncio HTTP endpoint in front of PTB.

Zalo POSTs one event per request with the secret given to setWebhook in the header
`X-Bot-Api-Secret-Token`. A request without the right secret is refused (403) before its
body is read. An accepted event is stored (and so deduplicated: Zalo may retry) before
it is acknowledged, then queued to the Application like a polled update.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from telegram import Update
from telegram.ext import Application

from bot.channels.zalo import ZaloRequest

logger = logging.getLogger(__name__)

SECRET_HEADER = "x-bot-api-secret-token"
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
        """Listen; returns the port (useful with port 0)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status = await self._handle(reader)
        except (asyncio.IncompleteReadError, ValueError, UnicodeDecodeError):
            status = 400
        except Exception:  # noqa: BLE001 - never leave Zalo without an answer
            logger.exception("Zalo webhook request failed")
            status = 500
        body = json.dumps({"ok": status == 200}).encode()
        reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                  413: "Payload Too Large"}.get(status, "Error")
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                     + body)
        try:
            await writer.drain()
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader) -> int:
        request_line = (await reader.readline()).decode("latin-1").split()
        headers: dict[str, str] = {}
        while True:
            line = (await reader.readline()).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if len(request_line) < 2 or request_line[0] != "POST" or \
                request_line[1].split("?")[0] != self.path:
            return 404
        given = headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            logger.warning("Zalo webhook call with a wrong secret refused")
            return 403
        length = int(headers.get("content-length", "0"))
        if length > MAX_BODY:
            return 413
        event = json.loads(await reader.readexactly(length))
        if not isinstance(event, dict):
            return 400
        update = await self.request.telegram_update(event.get("result", event))
        if update is not None:  # None: seen before (a retry), already handled
            await self.application.update_queue.put(
                Update.de_json(update, self.application.bot))
        return 200
