"""Bot API side of the emulator: request decoding and method implementations.

Only the subset of the Telegram Bot API that python-telegram-bot and this
project use is implemented; see the ``server`` module docstring for the list.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
import struct
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

from .formatting import EntityParseError, parse_html
from .state import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, EmulatorError, EmulatorState, StoredFile

__all__ = ["BotApi", "UploadedFile", "decode_request"]

# Parameters that are always kept as raw strings (never JSON-decoded).
RAW_STRING_KEYS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "parse_mode",
        "action",
        "url",
        "title",
        "description",
        "question",
        "explanation",
        "emoji",
        "custom_emoji_id",
        "language_code",
    }
)


@dataclass
class UploadedFile:
    """A file part of a multipart/form-data request."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False, default=b"")


def _coerce(key: str, value: Any) -> Any:
    if key in RAW_STRING_KEYS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise EmulatorError(400, "Bad Request: malformed multipart body")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = UploadedFile(name, filename, part.get_content_type(), payload)
        else:
            charset = part.get_content_charset() or "utf-8"
            fields[name] = payload.decode(charset, errors="replace")
    return fields, files


def decode_request(
    content_type: str | None, body: bytes, query: str = ""
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Decode query string + body (form, multipart or JSON) into (params, files).

    String values are JSON-decoded when possible (``chat_id=1001`` -> 1001,
    ``reply_markup={...}`` -> dict) except for :data:`RAW_STRING_KEYS`.
    """
    raw: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    files: dict[str, UploadedFile] = {}
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if body:
        if mime == "multipart/form-data":
            fields, files = _parse_multipart(content_type or "", body)
            raw.update(fields)
        elif mime == "application/json":
            try:
                decoded = json.loads(body)
            except ValueError:
                raise EmulatorError(400, "Bad Request: invalid JSON body") from None
            if not isinstance(decoded, dict):
                raise EmulatorError(400, "Bad Request: JSON body must be an object")
            raw.update(decoded)
        else:
            text = body.decode("utf-8", errors="replace")
            raw.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
    return {key: _coerce(key, value) for key, value in raw.items()}, files


def image_size(data: bytes | None) -> tuple[int, int]:
    """(width, height) of a PNG, GIF or JPEG image; (0, 0) when unknown."""
    if not data:
        return 0, 0
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            index += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[index + 2 : index + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return 0, 0


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _reply_to(params: dict[str, Any]) -> Any:
    reply_parameters = params.get("reply_parameters")
    if isinstance(reply_parameters, dict) and reply_parameters.get("message_id") is not None:
        return reply_parameters["message_id"]
    return params.get("reply_to_message_id")


def _text_content(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A message text parsed like Telegram: `{"text", "entities"?}` and the extras."""
    text, entities, extras = _format(
        params.get("text"),
        params.get("parse_mode"),
        params.get("entities"),
        limit=MAX_TEXT_LENGTH,
        too_long="message is too long",
        empty="message text is empty",
    )
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    return content, extras


def _caption_content(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A caption parsed like Telegram: `{"caption"?, "caption_entities"?}` and the extras."""
    caption, entities, extras = _format(
        params.get("caption"),
        params.get("parse_mode"),
        params.get("caption_entities"),
        limit=MAX_CAPTION_LENGTH,
        too_long="message caption is too long",
        empty=None,
    )
    content: dict[str, Any] = {}
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return content, extras


def _format(
    text: Any,
    parse_mode: Any,
    entities: Any,
    *,
    limit: int,
    too_long: str,
    empty: str | None,
) -> tuple[str, list[dict], dict[str, Any]]:
    """Apply ``parse_mode`` and limits; returns (plain text, entities, transcript extras)."""
    if text is None or text == "":
        if empty is not None:
            raise EmulatorError(400, f"Bad Request: {empty}")
        return "", [], {}
    raw_text = str(text)
    plain, found = raw_text, entities if isinstance(entities, list) else []
    mode = str(parse_mode or "")
    if mode.lower() == "html":
        try:
            plain, found = parse_html(raw_text)
        except EntityParseError as error:
            raise EmulatorError(400, f"Bad Request: {error}") from None
    if empty is not None and not plain.strip():
        raise EmulatorError(400, f"Bad Request: {empty}")
    if len(plain) > limit:
        raise EmulatorError(400, f"Bad Request: {too_long}")
    extras = {"raw_text": raw_text, "parse_mode": mode or None}
    return plain, found, extras


class BotApi:
    """Dispatches Bot API method calls onto an :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState, sleep: Callable[[float], None] = time.sleep) -> None:
        self.state = state
        self._sleep = sleep
        self._methods: dict[str, Callable[[dict[str, Any], dict[str, UploadedFile]], Any]] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self.get_me,
                "logOut": self.ok,
                "close": self.ok,
                "setWebhook": self.ok,
                "deleteWebhook": self.delete_webhook,
                "getWebhookInfo": self.get_webhook_info,
                "setMyCommands": self.set_my_commands,
                "getMyCommands": self.get_my_commands,
                "deleteMyCommands": self.delete_my_commands,
                "getUpdates": self.get_updates,
                "sendMessage": self.send_message,
                "editMessageText": self.edit_message_text,
                "editMessageCaption": self.edit_message_caption,
                "editMessageReplyMarkup": self.edit_message_reply_markup,
                "deleteMessage": self.delete_message,
                "answerCallbackQuery": self.answer_callback_query,
                "sendChatAction": self.send_chat_action,
                "sendDocument": self.send_document,
                "sendPhoto": self.send_photo,
                "getFile": self.get_file,
            }.items()
        }

    def call(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """Run one Bot API method (after serving any queued fault); returns the result."""
        handler = self._methods.get(method.lower())
        if handler is None:
            raise EmulatorError(404, "Not Found: method not found")
        self.state.serve_fault(method, self._sleep)
        return handler(params, files)

    # ------------------------------------------------------------------ service methods

    def ok(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        """Methods that only need to succeed."""
        return True

    def get_me(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        """getMe."""
        return dict(self.state.bot_user)

    def delete_webhook(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        """deleteWebhook(drop_pending_updates)."""
        if _flag(params.get("drop_pending_updates")):
            self.state.drop_pending_updates()
        return True

    def get_webhook_info(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict:
        """getWebhookInfo."""
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": self.state.pending_update_count(),
        }

    def set_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        """setMyCommands(commands, scope, language_code)."""
        commands = params.get("commands")
        if not isinstance(commands, list) or not all(
            isinstance(c, dict) and c.get("command") and c.get("description") for c in commands
        ):
            raise EmulatorError(400, "Bad Request: can't parse commands JSON object")
        self.state.set_commands(commands, params.get("scope"), params.get("language_code"))
        return True

    def get_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> list:
        """getMyCommands(scope, language_code)."""
        return self.state.get_commands(params.get("scope"), params.get("language_code"))

    def delete_my_commands(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        """deleteMyCommands(scope, language_code)."""
        self.state.delete_commands(params.get("scope"), params.get("language_code"))
        return True

    def get_updates(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> list:
        """getUpdates(offset, limit, timeout, allowed_updates) with long polling."""
        allowed = params.get("allowed_updates")
        return self.state.get_updates(
            offset=int(params.get("offset") or 0),
            limit=int(params.get("limit") or 100),
            timeout=float(params.get("timeout") or 0),
            allowed_updates=allowed if isinstance(allowed, list) else None,
        )

    # ------------------------------------------------------------------ messages

    def send_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict:
        """sendMessage(chat_id, text, parse_mode, entities, reply_markup, reply_parameters...)."""
        content, extras = _text_content(params)
        self.state.check_rate_limit()
        return self.state.bot_send(
            params.get("chat_id"),
            content,
            reply_markup=params.get("reply_markup"),
            reply_to_message_id=_reply_to(params),
            extra=extras,
        )

    def edit_message_text(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict:
        """editMessageText(chat_id, message_id, text, parse_mode, entities, reply_markup)."""
        self._reject_inline(params)
        changes, extras = _text_content(params)
        self._require_content(params, ("text",), "there is no text in the message to edit")
        return self.state.bot_edit(
            params.get("chat_id"),
            params.get("message_id"),
            changes,
            reply_markup=params.get("reply_markup"),
            extra=extras,
            drop_keys=("entities",),
        )

    def edit_message_caption(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict:
        """editMessageCaption(chat_id, message_id, caption, parse_mode, reply_markup)."""
        self._reject_inline(params)
        changes, extras = _caption_content(params)
        self._require_content(
            params, ("document", "photo"), "there is no caption in the message to edit"
        )
        return self.state.bot_edit(
            params.get("chat_id"),
            params.get("message_id"),
            changes,
            reply_markup=params.get("reply_markup"),
            extra=extras,
            drop_keys=("caption", "caption_entities"),
        )

    def edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict:
        """editMessageReplyMarkup(chat_id, message_id, reply_markup)."""
        self._reject_inline(params)
        return self.state.bot_edit(
            params.get("chat_id"),
            params.get("message_id"),
            {},
            reply_markup=params.get("reply_markup"),
        )

    def delete_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        """deleteMessage(chat_id, message_id)."""
        self.state.bot_delete(params.get("chat_id"), params.get("message_id"))
        return True

    def answer_callback_query(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        """answerCallbackQuery(callback_query_id, text, show_alert)."""
        text = params.get("text")
        self.state.answer_callback(
            params.get("callback_query_id"),
            str(text) if text else None,
            _flag(params.get("show_alert")),
        )
        return True

    def send_chat_action(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> bool:
        """sendChatAction(chat_id, action)."""
        self.state.chat_action(params.get("chat_id"), str(params.get("action") or "typing"))
        return True

    @staticmethod
    def _reject_inline(params: dict[str, Any]) -> None:
        if params.get("inline_message_id") and params.get("chat_id") is None:
            raise EmulatorError(400, "Bad Request: inline messages are not supported by the emulator")

    def _require_content(self, params: dict[str, Any], keys: tuple[str, ...], error: str) -> None:
        try:
            message = self.state.message(int(params.get("chat_id")), int(params.get("message_id")))
        except (TypeError, ValueError):
            return  # bot_edit reports the proper error
        if message is not None and not any(key in message for key in keys):
            raise EmulatorError(400, f"Bad Request: {error}")

    # ------------------------------------------------------------------ files

    def send_document(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict:
        """sendDocument(chat_id, document, caption, parse_mode, reply_markup)."""
        stored = self._resolve_file("document", params, files)
        return self._send_media(params, {"document": stored.to_document()})

    def send_photo(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict:
        """sendPhoto(chat_id, photo, caption, parse_mode, reply_markup)."""
        stored = self._resolve_file("photo", params, files)
        return self._send_media(params, {"photo": stored.to_photo_sizes()})

    def get_file(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict:
        """getFile(file_id)."""
        stored = self.state.file(str(params.get("file_id") or ""))
        if stored is None:
            raise EmulatorError(400, "Bad Request: invalid file_id")
        return stored.to_file()

    def _send_media(self, params: dict[str, Any], content: dict[str, Any]) -> dict:
        caption, extras = _caption_content(params)
        content.update(caption)
        return self.state.bot_send(
            params.get("chat_id"),
            content,
            reply_markup=params.get("reply_markup"),
            reply_to_message_id=_reply_to(params),
            extra=extras,
        )

    def _resolve_file(
        self, name: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> StoredFile:
        value = params.get(name)
        upload = files.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://"):])
        if upload is not None:
            return self._store_upload(name, upload)
        if value is None or value == "":
            raise EmulatorError(400, f"Bad Request: there is no {name} in the request")
        existing = self.state.file(str(value))
        if existing is not None:
            return existing
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            path = urllib.parse.urlsplit(value).path
            file_name = posixpath.basename(path) or None
            return self.state.store_file(None, file_name, mimetypes.guess_type(path)[0])
        raise EmulatorError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _store_upload(self, name: str, upload: UploadedFile) -> StoredFile:
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename or "")[0] or mime
        if name == "photo":
            width, height = image_size(upload.data)
            return self.state.store_file(upload.data, upload.filename, mime, width, height)
        return self.state.store_file(upload.data, upload.filename, mime)
