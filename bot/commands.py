"""The command menu shown by Telegram clients, registered with setMyCommands."""

from __future__ import annotations

from telegram import BotCommand

from bot.i18n import N_, Translator

# (command, description) in menu order; descriptions are catalog msgids.
MENU: tuple[tuple[str, str], ...] = (
    ("hoi", N_("Ask about the admission procedure: /hoi question")),
    ("tiendo", N_("Where a candidate stands: /tiendo name")),
    ("donvi", N_("How your unit is doing: steps, stalled, sources, quota")),
    ("baocao", N_("Excel report and progress chart of your unit")),
    ("chitieu", N_("Quota progress of your units")),
    ("nhacnho", N_("Weekly reminders: day, time, pause, stop")),
    ("capnhat", N_("Record a completed step for a candidate")),
    ("them", N_("Add an outstanding candidate")),
    ("sua", N_("Correct a wrong entry")),
    ("lichsu", N_("History of a candidate")),
    ("moi", N_("Invite someone to your unit")),
    ("toi", N_("Your units and roles")),
    ("lienket", N_("Use the same roles on Telegram and Zalo")),
    ("govaitro", N_("Remove someone's role in your unit")),
    ("nhatky", N_("Who viewed or changed what (administrators)")),
    ("start", N_("Start and see what the bot can do")),
    ("help", N_("List of commands and how to use them")),
    ("cancel", N_("Cancel what you are doing")),
)


def menu_commands(tr: Translator) -> list[BotCommand]:
    """The menu in the translator's language."""
    return [BotCommand(command, tr.gettext(description)) for command, description in MENU]
