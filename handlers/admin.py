"""Administration: /nhatky, who viewed or changed what."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.i18n import N_
from handlers.context import BotContext
from handlers.forms import refused_outside_private, reply, scope_of
from storage.audit import recent_in_units

ACTION_LABELS = {
    "candidate.add": N_("added a candidate"),
    "candidate.view": N_("viewed"),
    "stage.add": N_("recorded a step"),
    "stage.correct": N_("corrected an entry"),
    "invite.create": N_("created an invitation"),
    "invite.accept": N_("joined"),
    "role.revoke": N_("removed a role"),
    "identity.link": N_("linked another chat app"),
    "reminders.set": N_("changed the weekly reminders"),
}
LOG_LINES = 20


async def audit_log(update: Update, context: BotContext) -> None:
    """/nhatky: the newest audit rows an administrator's role covers."""
    tr = context.tr
    if await refused_outside_private(update, context):
        return
    scope = await scope_of(update, context)
    if not scope.admin and not any(role == "admin" for _unit, role in scope.roles):
        await reply(update, tr.gettext("Only administrators can read the log."))
        return
    rows = await recent_in_units(context.services.db,
                                 None if scope.admin else scope.unit_ids, LOG_LINES)
    if not rows:
        await reply(update, tr.gettext("The log is empty."))
        return
    lines = [tr.gettext("Latest activity:")]
    for row in rows:
        when = tr.datetime(datetime.fromisoformat(row["at"].replace("Z", "+00:00")))
        action = tr.gettext(ACTION_LABELS.get(row["action"], row["action"]))
        lines.append(f"• {when} — {row['who'] or '?'} {action}: {row['subject'] or '?'}")
    await reply(update, "\n".join(lines))


def register(application: Application) -> None:
    """Add this module's handlers."""
    application.add_handler(CommandHandler("nhatky", audit_log))
