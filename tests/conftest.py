"""Shared fixtures: a real SQLite file, the real emulator over HTTP, the real Application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.app import create_application, start_polling, stop_application
from bot.channels.emulator import DemoUser, Emulator, EmulatorClient
from bot.channels.emulator.zalo_api import zalo_id
from bot.config import Settings, load_settings
from storage import people
from storage.zalo import ZaloIds

TEST_TOKEN = "123456:TEST-TOKEN"
LAN = DemoUser(1001, "Lan", "Nguyễn Thị", "lan", "vi", "Bí thư chi bộ")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: its own database file, no .env from the developer's machine.
    The weekly digest jobs are off (they run on the wall clock); tests of the digests turn
    them on."""
    return load_settings(_env_file=None, bot_token=None, database_path=tmp_path / "bot.sqlite3",
                         reminders=False)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A Bot API emulator on a free loopback port."""
    emu = Emulator(host="127.0.0.1", port=0)
    emu.start()
    emu.add_user(LAN)
    yield emu
    emu.stop()


@pytest.fixture
def lan() -> DemoUser:
    """A cell secretary chatting in private with the bot."""
    return LAN


@pytest.fixture
def channel(request) -> str:
    """The chat app the bot runs on: Telegram, unless a test module parametrizes it
    (`pytest.mark.parametrize("channel", ["telegram", "zalo"], indirect=True)`)."""
    return getattr(request, "param", "telegram")


@pytest.fixture
def link_user(channel: str):
    """Link an emulator user to a person on this test's channel, as their first message
    would (on Zalo: through the stable number of the user's hex id)."""

    async def link(db, person_id: int, user_id: int) -> None:
        external = str(user_id)
        if channel == "zalo":
            external = str(await ZaloIds(db).local("peer", zalo_id(user_id)))
        await people.link_identity(db, person_id, channel, external)

    return link


@pytest.fixture
def launch(settings: Settings, emulator: Emulator, channel: str):
    """Build the real Application on this test's database, polling the emulator (in its
    Telegram or Zalo dialect, after `channel`)."""

    async def start(clock=None) -> Application:
        dialect = "zalo/bot" if channel == "zalo" else "bot"
        application = await create_application(
            settings.model_copy(update={"channel": channel}), token=TEST_TOKEN,
            base_url=f"{emulator.url}/{dialect}", persistence_interval=1, clock=clock,
        )
        await start_polling(application, poll_timeout=1)
        return application

    return start


@pytest.fixture
async def bot_app(launch) -> AsyncIterator[Application]:
    """The bot, running and polling the emulator."""
    application = await launch()
    yield application
    await stop_application(application)


@pytest.fixture
async def chat(emulator: Emulator) -> AsyncIterator[EmulatorClient]:
    """The control API client, acting as users over real HTTP."""
    async with EmulatorClient(emulator.url) as client:
        yield client
