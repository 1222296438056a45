"""Builds the PTB `Application`: storage, persistence, handlers, error handler, menu.

Nothing else knows how the bot is wired. Everything runs in one asyncio loop: open the
database (migrating it), build the Application, then `run_until_stopped`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from urllib.parse import urlsplit

import aiosqlite
from telegram.ext import Application, ApplicationBuilder, ContextTypes, PersistenceInput

from bot.channels.zalo import ZaloRequest
from bot.channels.zalo_webhook import FILES_PATH, ZaloWebhook
from bot.commands import menu_commands
from bot.config import Settings
from bot.delivery import ResilientRateLimiter
from bot.i18n import I18n
from bot.knowledge.base import load_entries
from bot.knowledge.index import KnowledgeIndex
from bot.membership import Membership
from bot.pipeline import Pipeline
from bot.rules.book import RuleBook, load_rulebook
from bot.rules.calendar import WorkingCalendar
from bot.rules.evaluate import stage_ranking
from bot.services import Services, utc_now
from handlers import (
    admin,
    ask,
    candidates,
    errors,
    fallback,
    forms,
    membership,
    reminders,
    reports,
    start,
    status,
)
from handlers.context import SERVICES_KEY, BotContext, install_services
from storage.current import sync_stage_ranking
from storage.db import open_database
from storage.drafts import draft_keys
from storage.persistence import SQLitePersistence
from storage.zalo import ZaloIds

logger = logging.getLogger(__name__)

# Feature modules in the order their handlers are tried (after the forms' conversation);
# the fallback always comes last.
FEATURES = (start, membership, candidates, status, reports, reminders, admin, ask)


async def create_application(settings: Settings, *, token: str | None = None,
                             base_url: str | None = None,
                             persistence_interval: float = 5,
                             rate_limited: bool = True,
                             clock: Callable[[], datetime] | None = None) -> Application:
    """Open (and migrate) the database, then build the Application around it.

    `rate_limited=False` drops the rate limiter; only benchmarks use it, to measure the
    handler path rather than Telegram's 30 messages/s cap.
    """
    db = await open_database(settings.database_path)
    book = load_rulebook()
    await sync_stage_ranking(db, stage_ranking(book))
    calendar = WorkingCalendar()
    services = Services(
        settings=settings, db=db, i18n=I18n(settings.default_locale, settings.tz),
        book=book, calendar=calendar, pipeline=Pipeline(db, book, calendar),
        knowledge=await open_knowledge(db, book),
        membership=Membership(db, clock or utc_now, settings.invite_days),
        draft_keys=await draft_keys(db), clock=clock or utc_now, channel=settings.channel,
    )
    persistence = SQLitePersistence(
        settings.database_path,
        store_data=PersistenceInput(bot_data=False),
        update_interval=persistence_interval,
    )
    builder = (
        ApplicationBuilder()
        .token(token or settings.bot_token or "")
        .base_url(base_url or settings.api_base_url)
        .context_types(ContextTypes(context=BotContext))
        .persistence(persistence)
    )
    if settings.channel == "zalo":  # the same handlers, through the Zalo translation
        ids = ZaloIds(db)
        public = urlsplit(settings.webhook_url) if settings.webhook_url else None
        request = ZaloRequest(
            ids, translate=services.i18n.translator().gettext,
            files_url=f"{public.scheme}://{public.netloc}{FILES_PATH}" if public else None)
        builder = builder.request(request).get_updates_request(ZaloRequest(ids))
    if rate_limited:
        builder = builder.rate_limiter(ResilientRateLimiter(max_retries=3))
    application = builder.build()
    install_services(application, services)
    forms.register(application, services.draft_keys)
    for feature in FEATURES:
        feature.register(application)
    fallback.register(application)
    application.add_error_handler(errors.on_error)
    if settings.reminders:
        await reminders.schedule_jobs(application)
    return application


def _services(application: Application) -> Services:
    """The services installed by `create_application`."""
    return application.bot_data[SERVICES_KEY]


async def open_knowledge(db: aiosqlite.Connection, book: RuleBook) -> KnowledgeIndex:
    """Load the knowledge-base files; opening the index re-indexes them when they changed."""
    return await KnowledgeIndex.open(db, load_entries(book))


async def _register_menu(application: Application) -> None:
    """Show the command menu in Telegram clients, in the default language."""
    translator = _services(application).i18n.translator()
    await application.bot.set_my_commands(menu_commands(translator))


async def start_polling(application: Application, *, poll_timeout: int = 10) -> None:
    """Initialise, register the menu, start and long-poll (undone by `stop_application`).

    PTB's post_init/post_shutdown hooks run only inside `run_polling`; we drive the
    lifecycle ourselves (one loop for the emulator, the bot and the database), so the
    steps are explicit here.
    """
    await application.initialize()
    await _register_menu(application)
    await application.start()
    await application.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, drop_pending_updates=False
    )


async def stop_application(application: Application) -> None:
    """Stop polling, stop handling, flush persistence and close the database."""
    if application.updater and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()  # flushes the persistence
    await _services(application).db.close()


async def start_zalo_webhook(application: Application) -> ZaloWebhook:
    """Register the webhook with Zalo (URL + secret) and serve it; no polling."""
    settings = _services(application).settings
    if not settings.webhook_secret:
        raise ValueError("WEBHOOK_SECRET (8 to 256 characters) is required with WEBHOOK_URL")
    await application.initialize()
    await application.start()
    path = urlsplit(settings.webhook_url).path or "/"
    webhook = ZaloWebhook(application, application.bot.request, settings.webhook_secret,
                          path, settings.webhook_listen, settings.webhook_port)
    await webhook.start()
    await application.bot.set_webhook(settings.webhook_url,
                                      secret_token=settings.webhook_secret)
    return webhook


async def run_until_stopped(*applications: Application) -> None:
    """Poll (or, on Zalo with WEBHOOK_URL, serve the webhook) until SIGINT/SIGTERM, then
    shut down cleanly. The demo runs a Telegram and a Zalo application side by side."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    webhooks = []
    try:
        for application in applications:
            settings = _services(application).settings
            if settings.channel == "zalo" and settings.webhook_url:
                webhooks.append(await start_zalo_webhook(application))
            else:
                await start_polling(application)
        logger.info("Bot is running; press Ctrl+C to stop")
        await stop.wait()
    finally:
        for webhook in webhooks:
            await webhook.stop()
        for application in applications:
            await stop_application(application)
