"""The Zalo dialect of the emulator: `POST /zalo/bot<token>/<method>` on the same state.

The same users, chats and transcripts as the Telegram dialect, seen the way the Zalo Bot
API shows them (../shared/channels/ZALO.md): hex string ids, dates in milliseconds, one
event per getUpdates and no offsets, no keyboards, callbacks or edits, text of 1–2 000
characters, a bare 429 when rate limited. Tests run the same scenarios on both dialects.
"""

from __future__ import annotations

import time
from typing import Any

from .state import EmulatorError, EmulatorState

ID_OFFSET = 2**79  # keeps negative (group) ids positive in 20 hex digits
MAX_TEXT = 2000
BOT_ID = "1459232241454765289"


def zalo_id(number: int) -> str:
    """An emulator integer id as a Zalo-looking hex string."""
    return format(int(number) + ID_OFFSET, "020x")


def local_id(text: Any) -> int:
    """Back from `zalo_id` (400 for anything else)."""
    try:
        return int(str(text), 16) - ID_OFFSET
    except ValueError:
        raise EmulatorError(400, "Bad Request: chat not found") from None


class ZaloApi:
    """Zalo Bot API methods over an `EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._methods = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "sendmessage": self.send_message,
            "sendphoto": self.send_photo,
            "sendchataction": self.send_chat_action,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.webhook_info,
            "setwebhook": self.set_webhook,
        }
        self.webhook: dict[str, str] = {}

    def call(self, method: str, params: dict[str, Any]) -> Any:
        """Run one method after serving any queued fault (Zalo's 429 has no retry_after)."""
        handler = self._methods.get(method.lower())
        if handler is None:
            raise EmulatorError(404, "Not Found: method not found")
        self.state.serve_fault(method, time.sleep, bare_429=True)
        return handler(params)

    def get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        """getMe, in Zalo's words."""
        return {"id": BOT_ID, "account_name": self.state.bot_user.get("username", "bot"),
                "account_type": "BASIC", "can_join_groups": False}

    def set_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        """setWebhook(url, secret_token): remembered (the emulator does not push)."""
        secret = str(params.get("secret_token") or "")
        if not str(params.get("url") or "").startswith("https://") or \
                not 8 <= len(secret) <= 256:
            raise EmulatorError(400, "Bad Request: url must be HTTPS, secret_token 8-256")
        self.webhook = {"url": params["url"], "secret_token": secret}
        return {"url": params["url"], "updated_at": int(time.time() * 1000)}

    def delete_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        """deleteWebhook."""
        self.webhook = {}
        return self.webhook_info(params)

    def webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """getWebhookInfo."""
        return {"url": self.webhook.get("url", ""), "updated_at": 0}

    def get_updates(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """One event (the oldest queued), consumed by being returned; None after timeout."""
        timeout = float(params.get("timeout") or 0)
        pending = self.state.get_updates(limit=1, timeout=timeout, channel="zalo")
        if not pending:
            return None
        update = pending[0]
        self.state.get_updates(offset=update["update_id"] + 1, limit=1, timeout=0,
                               channel="zalo")
        message = update.get("message")
        if message is None:  # a button press: Zalo has none; skip it
            return None
        chat, sender = message["chat"], message.get("from", {})
        text = message.get("text")
        return {
            "event_name": "message.text.received" if text else "message.unsupported.received",
            "message": {
                "chat": {"id": zalo_id(chat["id"]),
                         "chat_type": "PRIVATE" if chat.get("type") == "private" else "GROUP"},
                "text": text,
                "message_id": f"{zalo_id(chat['id'])}{message['message_id']:08x}",
                "date": int(message["date"]) * 1000,
                "from": {"id": zalo_id(sender.get("id", chat["id"])),
                         "first_name": sender.get("first_name", ""),
                         "display_name": sender.get("first_name", "")},
            },
        }

    def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        """sendMessage(chat_id, text): 1 to 2 000 characters, no keyboard."""
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            raise EmulatorError(400, "Bad Request: text must be 1 to 2000 characters")
        self.state.check_rate_limit()
        message = self.state.bot_send(local_id(params.get("chat_id")), {"text": text},
                                      extra={"channel": "zalo"})
        return {"message_id": f"{zalo_id(message['chat']['id'])}{message['message_id']:08x}",
                "date": int(message["date"]) * 1000}

    def send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        """sendPhoto(chat_id, photo URL, caption): recorded with its URL."""
        url, caption = params.get("photo"), params.get("caption") or ""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise EmulatorError(400, "Bad Request: photo must be a URL")
        if len(caption) > MAX_TEXT:
            raise EmulatorError(400, "Bad Request: caption is too long")
        self.state.check_rate_limit()
        message = self.state.bot_send(local_id(params.get("chat_id")),
                                      {"photo_url": url, "caption": caption},
                                      extra={"channel": "zalo"})
        return {"message_id": f"{zalo_id(message['chat']['id'])}{message['message_id']:08x}",
                "date": int(message["date"]) * 1000}

    def send_chat_action(self, params: dict[str, Any]) -> bool:
        """sendChatAction(chat_id, action): only `typing`."""
        self.state.chat_action(local_id(params.get("chat_id")), str(params.get("action")))
        return True
