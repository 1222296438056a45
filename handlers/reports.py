"""/baocao [tên]: a unit's Excel workbook and progress chart, sent as files."""

from __future__ import annotations

import re

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler

from bot import reports
from handlers.context import BotContext
from handlers.forms import reply, scope_of, today
from handlers.status import asked_units
from storage import audit
from storage.units import get_unit


async def unit_files(update: Update, context: BotContext) -> None:
    """Send the workbook (document) and the chart (photo) of the first unit asked about."""
    units = await asked_units(update, context)
    if units is None:
        return
    tr = context.tr
    services = context.services
    unit = await get_unit(services.db, units[0])
    await update.effective_chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    report = await reports.gather(services.db, unit["id"], today(context), services.book,
                                  services.settings.stalled_weeks)
    workbook, chart = await reports.render(tr, services.book, report)
    scope = await scope_of(update, context)
    await audit.record(services.db, scope.person_id, "report.export", "unit", unit["id"],
                       {"candidates": len(report.candidates)})
    label = re.sub(r"[^\w-]+", "_", unit["code"] or str(unit["id"]))[:40]
    name = f"baocao-{label}-{report.today:%Y%m%d}.xlsx"
    await update.effective_message.reply_document(
        InputFile(workbook, filename=name),
        caption=tr.gettext("{unit}: candidates, steps and quotas as of {date}.",
                           unit=unit["name"], date=tr.date(report.today)))
    if chart is not None:
        await update.effective_message.reply_photo(chart)
    else:
        await reply(update, tr.gettext("No quota is set for this unit, so there is no chart. "
                                       "A secretary can set one with /chitieu dat."))
    if len(units) > 1:
        await reply(update, tr.gettext("You have several units; for another one type "
                                       "/baocao and part of its name."))


def register(application: Application) -> None:
    """Add this module's handlers."""
    application.add_handler(CommandHandler("baocao", unit_files))
