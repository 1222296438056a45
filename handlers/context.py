"""The callback context every handler receives: services and the user's translator."""

from __future__ import annotations

from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Translator
from bot.services import Services

SERVICES_KEY = "services"
LOCALE_KEY = "locale"


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """PTB's context plus the project's services, so handlers stay thin."""

    @property
    def services(self) -> Services:
        """The dependencies built in `bot.app` (kept in the unpersisted bot_data)."""
        return self.bot_data[SERVICES_KEY]

    @property
    def tr(self) -> Translator:
        """The translator for this user's locale (default: the configured one)."""
        locale = self.user_data.get(LOCALE_KEY) if self.user_data is not None else None
        return self.services.i18n.translator(locale)


def install_services(application: Application, services: Services) -> None:
    """Make `services` reachable from every callback context."""
    application.bot_data[SERVICES_KEY] = services
