"""The command menu shown by Telegram clients, registered with setMyCommands."""

from __future__ import annotations

from telegram import BotCommand

from bot.i18n import N_, Translator

# (command, description) in menu order; descriptions are catalog msgids.
MENU: tuple[tuple[str, str], ...] = (
    ("start", N_("Start and see what the bot can do")),
    ("help", N_("List of commands and how to use them")),
    ("cancel", N_("Cancel what you are doing")),
)


def menu_commands(tr: Translator) -> list[BotCommand]:
    """The menu in the translator's language."""
    return [BotCommand(command, tr.gettext(description)) for command, description in MENU]


def known_commands() -> frozenset[str]:
    """Every command the bot answers, for telling unknown ones apart."""
    return frozenset(command for command, _ in MENU)
