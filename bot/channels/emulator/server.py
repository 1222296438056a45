"""Local Telegram Bot API emulator: HTTP server, control API and web chat page.

A real HTTP server on 127.0.0.1 speaking the subset of the Telegram Bot API used by
python-telegram-bot, a JSON control API to act as users, and a web chat page (`GET /`).
Standard library only; it serves from a background daemon thread. The Python API, the
Bot API methods, the control API and the transcript format are documented in the README,
section "Local Bot API emulator".
"""

from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading
import urllib.parse
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .bot_api import BotApi, decode_request
from .control import ControlApi, Response, file_response, json_response
from .state import DemoUser, EmulatorError, EmulatorState, Fault
from .zalo_api import ZaloApi

__all__ = ["Emulator"]

logger = logging.getLogger(__name__)

CHAT_PAGE = Path(__file__).parent / "static" / "chat.html"
DEFAULT_BOT_ID = 999000


class _Router:
    """Maps a request (verb, path, body) to a :class:`Response`."""

    def __init__(self, bot_api: BotApi, control: ControlApi) -> None:
        self.bot_api = bot_api
        self.control = control
        self.zalo_api = ZaloApi(bot_api.state)

    def route(self, verb: str, target: str, content_type: str | None, body: bytes) -> Response:
        split = urllib.parse.urlsplit(target)
        path = split.path
        try:
            if path.startswith("/bot"):
                return self._bot_method(path, split.query, content_type, body)
            if path.startswith("/zalo/bot"):
                return self._zalo_method(path, body)
            if path.startswith("/control/"):
                query = dict(urllib.parse.parse_qsl(split.query))
                return self.control.handle(verb, path, query, body)
            if path.startswith("/file/bot"):
                file_id = urllib.parse.unquote(path.split("/", 3)[-1])
                return file_response(self.bot_api.state.file(file_id))
            if path in ("/", "/index.html"):
                return Response(200, CHAT_PAGE.read_bytes(), "text/html; charset=utf-8")
            if path == "/healthz":
                return json_response({"ok": True})
            raise EmulatorError(404, "Not Found")
        except EmulatorError as error:
            return json_response(error.to_response(), error.status)

    def _bot_method(self, path: str, query: str, content_type: str | None, body: bytes) -> Response:
        parts = path.split("/")
        if len(parts) != 3 or not parts[2]:
            raise EmulatorError(404, "Not Found: method not found")
        params, files = decode_request(content_type, body, query)
        try:
            result = self.bot_api.call(parts[2], params, files)
        except (TypeError, ValueError) as error:
            raise EmulatorError(400, f"Bad Request: {error}") from None
        return json_response({"ok": True, "result": result})


    def _zalo_method(self, path: str, body: bytes) -> Response:
        parts = path.split("/")
        if len(parts) != 4 or not parts[3]:
            raise EmulatorError(404, "Not Found: method not found")
        try:  # JSON only, taken as is: a hex id such as "8000...03e9" stays a string
            params = json.loads(body) if body.strip() else {}
        except ValueError:
            raise EmulatorError(400, "Bad Request: invalid JSON body") from None
        if not isinstance(params, dict):
            raise EmulatorError(400, "Bad Request: JSON object expected")
        return json_response({"ok": True, "result": self.zalo_api.call(parts[3], params)})


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive request handler delegating to the server's router."""

    protocol_version = "HTTP/1.1"
    server_version = "TelegramBotApiEmulator/1.0"
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("%s - " + format, self.address_string(), *args)

    def _dispatch(self, verb: str) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._write(json_response({"ok": False, "error_code": 400, "description": "Bad Request"}, 400))
            return
        try:
            response = self.server.router.route(verb, self.path, self.headers.get("Content-Type"), body)
        except Exception:  # pragma: no cover - safety net, logged
            logger.exception("Emulator failed on %s %s", verb, self.path)
            error = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            response = json_response(error, 500)
        self._write(response)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    """Threading HTTP server that can drop its open connections on stop."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], router: _Router) -> None:
        self.router = router
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind: its socket.getfqdn() may do a slow DNS lookup.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """Shut down every connection still open (idle keep-alive, long polls)."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("Emulator connection error from %s", client_address, exc_info=True)


class Emulator:
    """A local Telegram Bot API server with a control API and a web chat page.

    Start it with :meth:`start` (or use it as a context manager); the Bot API
    base URL for python-telegram-bot is ``f"{emu.url}/bot"``. The Python
    methods mirror the control API for tests running in the same process.
    A stopped emulator cannot be restarted.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "tro_ly_ptdv_bot",
        bot_first_name: str = "Trợ lý Phát triển Đảng viên",
        bot_id: int = DEFAULT_BOT_ID,
        users: Iterable[DemoUser] = (),
    ) -> None:
        self.host = host
        self._requested_port = port
        bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.state = EmulatorState(bot_user)
        self.bot_api = BotApi(self.state)
        self._router = _Router(self.bot_api, ControlApi(self.state))
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for user in users:
            self.add_user(user)

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Emulator:
        """Bind the socket and serve in a background daemon thread."""
        if self._server is not None:
            raise RuntimeError("Emulator already started")
        if self.state.closed:
            raise RuntimeError("A stopped Emulator cannot be restarted")
        self._server = _Server((self.host, self._requested_port), self._router)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"telegram-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("Telegram emulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Wake long polls, stop serving and close every connection."""
        self.state.close()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Emulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (only meaningful once started)."""
        if self._server is None:
            return self._requested_port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8081``."""
        return f"http://{self.host}:{self.port}"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's Telegram User dict (as returned by getMe)."""
        return dict(self.state.bot_user)

    # ------------------------------------------------------------------ users

    def add_user(self, user: DemoUser) -> DemoUser:
        """Add a user the web page can pick (and tests can act as)."""
        return self.state.add_user(user)

    def users(self) -> list[DemoUser]:
        """Known users."""
        return self.state.users()

    # ------------------------------------------------------------------ acting as users

    def inject_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        chat_title: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """Like ``POST /control/send``: returns ``{"update_id", "message", "seq"}``."""
        return self.state.inject_message(user_id, text, chat_id, chat_title, reply_to_message_id)

    def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        text: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Like ``POST /control/press``: returns ``{"update_id", "callback_query", "seq"}``."""
        return self.state.inject_callback(user_id, message_id, data=data, text=text, chat_id=chat_id)

    # ------------------------------------------------------------------ inspection

    def messages(self, chat_id: int, after: int = 0) -> list[dict[str, Any]]:
        """Transcript entries of a chat with ``seq > after`` (never blocks)."""
        return self.state.entries(chat_id, after=after)[0]

    def bot_messages(self, chat_id: int, after: int = 0) -> list[dict[str, Any]]:
        """The ``message`` of every ``bot`` entry of a chat with ``seq > after``."""
        return [e["message"] for e in self.messages(chat_id, after) if e["kind"] == "bot"]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Current state of a stored message (after edits), or None."""
        return self.state.message(chat_id, message_id)

    def file_bytes(self, file_id: str) -> bytes | None:
        """Bytes of a file the bot uploaded."""
        stored = self.state.file(file_id)
        return stored.data if stored is not None else None

    def commands(self, language_code: str | None = "vi", chat_id: int | None = None) -> list[dict]:
        """The command menu a user would see (like ``GET /control/commands``)."""
        return self.state.resolve_commands(language_code, chat_id)

    def all_commands(self) -> list[dict[str, Any]]:
        """Every setMyCommands registration with its scope and language."""
        return self.state.all_commands()

    def last_action(self, chat_id: int) -> str | None:
        """Last sendChatAction action of a chat."""
        return self.state.last_action(chat_id)

    # ------------------------------------------------------------------ faults and stats

    def add_fault(
        self,
        method: str,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
    ) -> None:
        """Queue a fault for the next call of ``method`` (``"*"``: any but getUpdates)."""
        self.state.add_fault(Fault(method, status, retry_after, delay))

    def clear_faults(self) -> None:
        """Drop queued faults."""
        self.state.clear_faults()

    def stats(self) -> dict[str, Any]:
        """Like ``GET /control/stats``."""
        return self.state.stats()

    def set_rate_limit(self, per_second: float | None) -> None:
        """Answer 429 to sendMessage calls above ``per_second`` (None disables)."""
        self.state.set_rate_limit(per_second)

    def reset(self) -> None:
        """Like ``POST /control/reset``."""
        self.state.reset()
