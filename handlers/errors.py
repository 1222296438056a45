"""The one place unexpected errors end up: log them, reassure the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from handlers.context import BotContext

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Something failed while handling an update: log it with the update id, tell the user."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("Error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            context.tr.gettext(
                "Sorry, something went wrong on my side while handling your message. "
                "Nothing you entered was lost; please try again in a few minutes."
            ),
        )
    except TelegramError:
        logger.warning("Could not tell chat %s about the error", update.effective_chat.id)
