"""Replies for what no other handler took: unknown commands and media other than text."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from handlers.context import BotContext


async def unknown_command(update: Update, context: BotContext) -> None:
    """The user typed a command the bot does not know: point to /help."""
    command, _, addressee = update.effective_message.text.split()[0].partition("@")
    in_group = update.effective_chat.type != update.effective_chat.PRIVATE
    if in_group and addressee.lower() != (context.bot.username or "").lower():
        return  # a command for another bot, or for everyone: stay quiet in groups
    await update.effective_message.reply_text(
        context.tr.gettext(
            "I don't know the command {command}. Type /help to see the commands I understand.",
            command=command,
        )
    )


async def not_text(update: Update, context: BotContext) -> None:
    """The user sent a photo, sticker, file...: the bot reads text only."""
    await update.effective_message.reply_text(
        context.tr.gettext("I can only read text messages. Please type your question.")
    )


def register(application: Application) -> None:
    """Add the fallbacks; call this last so every feature handler is tried first.

    PTB runs one handler per group, so these share group 0 with the features and only
    match what nothing registered before them took.
    """
    private = filters.ChatType.PRIVATE
    application.add_handlers(
        [
            MessageHandler(filters.COMMAND, unknown_command),
            MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL & private, not_text),
        ]
    )
