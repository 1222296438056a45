"""Settings read from environment variables and an optional `.env` file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_ZALO_BASE_URL = "https://bot-api.zaloplatforms.com/bot"


class ConfigError(Exception):
    """Settings are missing or invalid; the message is one line meant for the operator."""


class Settings(BaseSettings):
    """Everything the bot needs to know about where it runs."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str | None = Field(default=None, description="Bot token; empty starts the demo")
    bot_api_base_url: str = Field(
        default=DEFAULT_TELEGRAM_BASE_URL,
        description="Bot API server, ending in /bot (official, self-hosted or the emulator)",
    )
    channel: Literal["telegram", "zalo"] = "telegram"
    database_path: Path = Path("data/bot.sqlite3")
    timezone: str = "Asia/Ho_Chi_Minh"
    default_locale: Literal["vi", "en"] = "vi"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    invite_days: int = Field(default=7, ge=1, le=90)
    stalled_weeks: int = Field(default=8, ge=1, le=104)
    webhook_url: str | None = Field(default=None, description="Public HTTPS URL of the "
                                    "Zalo webhook; empty: long polling")
    webhook_secret: str | None = Field(default=None, min_length=8, max_length=256)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=0, le=65535)
    reminders: bool = Field(default=True, description="Send the weekly digests")
    reminder_horizon_days: int = Field(default=14, ge=1, le=90)
    demo_host: str = "127.0.0.1"
    demo_port: int = Field(default=8080, ge=0, le=65535)
    demo_database_path: Path = Path("data/demo.sqlite3")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @property
    def api_base_url(self) -> str:
        """The Bot API server: BOT_API_BASE_URL, or Zalo's when CHANNEL=zalo left it unset."""
        if self.channel == "zalo" and self.bot_api_base_url == DEFAULT_TELEGRAM_BASE_URL:
            return DEFAULT_ZALO_BASE_URL
        return self.bot_api_base_url

    @field_validator("bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        """Treat an empty BOT_TOKEN like an absent one."""
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        """A Telegram token looks like `<digits>:<secret>`."""
        if value is not None and (":" not in value or not value.split(":", 1)[0].isdigit()):
            raise ValueError("expected the form 123456:ABC-DEF... given by @BotFather")
        return value

    @field_validator("bot_api_base_url")
    @classmethod
    def _base_url_shape(cls, value: str) -> str:
        """Only http(s) URLs make sense for a Bot API server."""
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        """The zone must exist in the IANA database."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """Accept `1,2,3` as well as a JSON list."""
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            return [part for part in parts if part]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone object."""
        return ZoneInfo(self.timezone)

    @property
    def is_demo(self) -> bool:
        """No token means: run the local demo."""
        return self.bot_token is None


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper() or "?"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("Invalid configuration — " + "; ".join(problems)) from None
