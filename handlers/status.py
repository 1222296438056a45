"""/donvi and /chitieu: how a unit is doing — funnel, stalled candidates, segments, quota."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import quotas, unit_status
from bot.i18n import Translator
from bot.text import fold
from handlers.ask import answer_quota, quota_text
from handlers.context import BotContext
from handlers.forms import (
    refused_outside_private,
    refused_without_role,
    reply,
    scope_of,
    today,
)
from bot.labels import SEGMENT_LABELS, stage_label
from storage.access import units_in_scope
from storage.drafts import Draft
from storage.units import UNIT_KINDS

MAX_UNITS = 3  # units reported in one /donvi reply


async def asked_units(update: Update, context: BotContext) -> list[int] | None:
    """The units a /donvi or /baocao asks about: the asker's own, or those of theirs whose
    name matches the words after the command. None when refused (already answered)."""
    tr = context.tr
    if await refused_outside_private(update, context):
        return None
    services = context.services
    scope = await scope_of(update, context)
    if await refused_without_role(update, context, scope):
        return None
    wanted = fold(" ".join(context.args or []))
    if not wanted:
        return list(dict.fromkeys(unit for unit, _role in scope.roles))
    units = [u["id"] for u in await units_in_scope(services.db, scope, UNIT_KINDS)
             if wanted in fold(u["name"])]
    if not units:
        await reply(update, tr.gettext("None of your units is called «{name}».",
                                       name=" ".join(context.args)[:60]))
        return None
    return units


async def unit_report(update: Update, context: BotContext) -> None:
    """/donvi [tên]: the asker's units, or the unit of theirs whose name matches."""
    units = await asked_units(update, context)
    if units is None:
        return
    services = context.services
    reports = [await unit_status.for_unit(services.db, unit, today(context), services.book,
                                          services.settings.stalled_weeks)
               for unit in units[:MAX_UNITS]]
    await reply(update, "\n\n".join(report_text(context.tr, r) for r in reports))


def report_text(tr: Translator, report: unit_status.UnitStatus) -> str:
    """One unit's report, short enough for a phone."""
    lines = [f"🏢 {report.unit_name}",
             tr.ngettext("{count} person in the pipeline", "{count} people in the pipeline",
                         report.in_pipeline)]
    if report.funnel:
        lines.append(tr.gettext("By step:"))
        lines += [f"• {stage_label(tr, stage)}: {tr.number(n, 0)}"
                  for stage, n in report.funnel.items()]
    if report.stalled:
        lines.append(tr.gettext("No new step for more than {weeks} weeks:",
                                weeks=report.stalled_weeks))
        lines += [f"• {row['full_name']} — {stage_label(tr, row['stage'])} "
                  f"({tr.date(date.fromisoformat(row['event_date']))})"
                  for row in report.stalled]
        if report.stalled_count > len(report.stalled):
            rest = report.stalled_count - len(report.stalled)
            lines.append(tr.ngettext("…and {count} more person", "…and {count} more people",
                                     rest))
    else:
        lines.append(tr.gettext("Nobody has waited more than {weeks} weeks for a step.",
                                weeks=report.stalled_weeks))
    if report.segments:
        lines.append(tr.gettext("By source:"))
        unknown = tr.gettext("not recorded")
        lines += [f"• {tr.gettext(SEGMENT_LABELS[s]) if s else unknown}: {tr.number(n, 0)}"
                  for s, n in report.segments.items()]
    lines += [quota_text(tr, item) for item in report.quotas]
    return "\n".join(lines)


async def set_quota(update: Update, context: BotContext, draft: Draft) -> None:
    """The /chitieu dat form was confirmed: save the target."""
    tr = context.tr
    services = context.services
    scope = await scope_of(update, context)
    answers = draft.answers
    allowed = {u["id"] for u in await services.membership.invitable_units(scope)}
    try:
        await quotas.save_target(services.db, allowed, scope.person_id, int(answers["unit_id"]),
                                 answers["period"], answers.get("segment"),
                                 int(answers["target"]))
    except PermissionError:
        await reply(update, tr.gettext("Your roles do not let you set a quota for this unit. "
                                       "Nothing was saved."))
        return
    await reply(update, tr.gettext("Saved. Type /chitieu to see the progress."))


SUBMITTERS = {"set_quota": set_quota}


def register(application: Application) -> None:
    """Add this module's handlers."""
    application.add_handler(CommandHandler("donvi", unit_report))
    application.add_handler(CommandHandler("chitieu", answer_quota))
