"""Local Telegram Bot API emulator (server, control client, web chat page)."""

from .client import EmulatorClient
from .server import Emulator
from .state import DemoUser, EmulatorError

__all__ = ["DemoUser", "Emulator", "EmulatorClient", "EmulatorError"]
