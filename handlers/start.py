"""/start, /help and /cancel: greeting the user and showing what the bot can do."""

from __future__ import annotations

from datetime import datetime, timezone

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import Application, CommandHandler

from bot.commands import MENU
from bot.membership import as_code
from handlers.context import BotContext
from handlers.membership import accept_code

FIRST_SEEN_KEY = "first_seen"


async def start(update: Update, context: BotContext) -> None:
    """The user opened the bot or typed /start: greet them and explain the bot; with an
    invitation code (a deep link), join the unit."""
    code = as_code(context.args[0]) if context.args else None
    if code:
        await accept_code(update, context, code)
        return
    tr = context.tr
    name = update.effective_user.first_name if update.effective_user else ""
    if FIRST_SEEN_KEY in context.user_data:
        greeting = tr.gettext("Welcome back, {name}!", name=name)
    else:
        context.user_data[FIRST_SEEN_KEY] = datetime.now(timezone.utc).isoformat()
        greeting = tr.gettext("Hello {name}!", name=name)
    intro = tr.gettext(
        "I am the Party Member Development Assistant. I help Party cells and Youth Union "
        "branches with finding, training and admitting new Party members:\n"
        "• answering questions on the admission procedure, citing the documents;\n"
        "• tracking each candidate through the steps and reminding you of deadlines;\n"
        "• reporting progress against the unit's quota."
    )
    await update.effective_message.reply_text(
        f"{greeting}\n\n{intro}\n\n{_command_list(context)}"
    )


async def help_command(update: Update, context: BotContext) -> None:
    """The user typed /help: list the commands."""
    await update.effective_message.reply_text(_command_list(context))


async def cancel(update: Update, context: BotContext) -> None:
    """The user typed /cancel outside any form: nothing to cancel."""
    await update.effective_message.reply_text(
        context.tr.gettext("There is nothing in progress to cancel."),
        reply_markup=ReplyKeyboardRemove(),
    )


def _command_list(context: BotContext) -> str:
    """The command menu as lines `/command — description`."""
    tr = context.tr
    lines = [tr.gettext("Commands:")]
    lines += [f"/{command} — {tr.gettext(description)}" for command, description in MENU]
    return "\n".join(lines)


def register(application: Application) -> None:
    """Add this module's handlers."""
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("cancel", cancel))
