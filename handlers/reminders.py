"""/nhacnho and the weekly digest: its words and buttons, and the jobs that send it.

The schedule lives in SQLite; at start-up `schedule_jobs` creates one PTB daily job per
(day, time) anyone chose (plus the default), and a sweep every SWEEP_MINUTES that sends
whatever is owed and not settled (late start, retries). Each run goes through
`bot.fanout`, which keeps the delivery log exactly once per person and week.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ContextTypes

from bot import reminders
from bot.delivery import BeforeSend
from bot.fanout import Fanout, Recipient, RunResult
from bot.forms import WEEKDAYS
from bot.i18n import N_, Translator
from bot.labels import stage_label
from bot.reminders import Digest, Schedule
from bot.services import Services
from handlers import render
from handlers.ask import quota_period
from handlers.candidates import CARD
from handlers.context import SERVICES_KEY, BotContext
from handlers.forms import reply, scope_of, today
from storage import audit
from storage import reminders as stored
from storage.db import parse_utc
from storage.drafts import Draft

logger = logging.getLogger(__name__)

MAX_BUTTONS = 8
MAX_MESSAGE = 4096  # Telegram's limit for one message
SWEEP_MINUTES = 15
FIRST_SWEEP_SECONDS = 20
WEEKDAY_LABELS = {int(choice.value): choice.label for choice in WEEKDAYS}
STATE_LABELS = {
    "on": N_("on"),
    "paused": N_("paused"),
    "off": N_("off"),
}
ERROR_LABELS = {
    "blocked": N_("has blocked the bot"),
    "chat_not_found": N_("has never opened a chat with the bot"),
    "bad_request": N_("the message was refused"),
    "timed_out": N_("no answer from the server: may not have arrived"),
    "interrupted": N_("the bot stopped while sending: may not have arrived"),
    "rate_limited": N_("the server was busy; will try again"),
    "server_error": N_("server error; will try again"),
    "error": N_("error; will try again"),
    "gave_up": N_("failed several times; gave up for this week"),
}


# ------------------------------------------------------------------ words


def digest_text(tr: Translator, digest: Digest, buttons: bool = True) -> str:
    """The digest as one message; a single line when there is nothing to report. Without
    `buttons` (Zalo has none) the footer only says what to type."""
    units = ", ".join(digest.unit_names)
    if not digest.has_news:
        return tr.gettext("✅ Week {week}: nothing needs attention in {units}; everything is "
                          "on track.", week=reminders.week_number(digest.week), units=units)
    lines = [tr.gettext("📋 Weekly reminder, week {week} ({date})",
                        week=reminders.week_number(digest.week), date=tr.date(digest.today)),
             f"🏢 {units}"]

    def due(item: reminders.DueItem) -> str:
        return f"• {item.full_name} — {render.deadline(tr, item.deadline, cite=False)}"

    lines += _listed(tr, tr.gettext("⚠️ Overdue:"), digest.overdue, due)
    lines += _listed(tr, tr.gettext("⏰ In the next {days} days:", days=digest.horizon_days),
                     digest.due_soon, due)
    lines += _listed(tr, tr.gettext("🐢 No new step for more than {weeks} weeks:",
                                    weeks=digest.stalled_weeks), digest.stalled,
                     lambda i: f"• {i.full_name} — {stage_label(tr, i.stage)} "
                               f"({tr.date(i.since)})")
    lines += _listed(tr, tr.gettext("📚 On probation, still missing:"), digest.probation,
                     lambda i: "• " + tr.gettext(
                         "{name} — {steps} (admitted {date})", name=i.full_name,
                         steps=", ".join(stage_label(tr, s) for s in i.missing),
                         date=tr.date(i.ceremony_on)))
    if digest.quotas:
        lines.append("")
        lines += [quota_line(tr, q) for q in digest.quotas]
    footer = tr.gettext("Tap a name below for the details, or type /tiendo and the name. "
                        "/nhacnho changes the day and time.") if buttons else \
        tr.gettext("For the details type /tiendo and the name. /nhacnho changes the day and "
                   "time.")
    body = "\n".join(lines)
    room = MAX_MESSAGE - len(footer) - 4
    if len(body) > room:  # very long names or many quotas: cut at a line, never mid-word
        body = body[:body.rfind("\n", 0, room)] + "\n…"
    return f"{body}\n\n{footer}"


def _listed(tr: Translator, header: str, section: reminders.Section,
            line: Callable[[Any], str]) -> list[str]:
    """A section after a blank line: its header, a line per named person, and how many
    more there are (nothing at all when the section is empty)."""
    if not section.total:
        return []
    more = [tr.ngettext("…and {count} more person", "…and {count} more people",
                        section.more)] if section.more > 0 else []
    return ["", header, *(line(item) for item in section.items), *more]


def quota_line(tr: Translator, item: reminders.QuotaItem) -> str:
    """Progress against a quota and the pace the rest of the period needs."""
    progress, pace = item.progress, item.pace
    text = "🎯 " + tr.gettext(
        "{unit}, {period}: {admitted} of {target} admitted ({percent}); {elapsed} of the "
        "period gone.", unit=progress.unit_name, period=quota_period(tr, progress),
        admitted=tr.number(progress.admitted, 0), target=tr.number(progress.target, 0),
        percent=tr.percent(progress.achieved, 0), elapsed=tr.percent(progress.elapsed, 0))
    if not progress.missing:
        return text + " " + tr.gettext("Target reached.")
    text += " " + tr.ngettext(
        "{count} more by {date}: about {pace} a month.",
        "{count} more by {date}: about {pace} a month.", progress.missing,
        date=tr.date(progress.period_end), pace=tr.number(pace.per_month))
    if pace.behind:
        text += " " + tr.gettext("Behind an even pace ({expected} by now).",
                                 expected=tr.number(pace.expected, 0))
    return text


def digest_message(tr: Translator, digest: Digest, channel: str
                   ) -> tuple[str, InlineKeyboardMarkup | None]:
    """The digest's text and buttons for a channel (Zalo shows no buttons: the text then
    says what to type)."""
    buttons = channel == "telegram"
    return digest_text(tr, digest, buttons), digest_markup(digest) if buttons else None


def digest_markup(digest: Digest) -> InlineKeyboardMarkup | None:
    """A button per named candidate (the first MAX_BUTTONS) opening their status card."""
    named = list(digest.named().items())[:MAX_BUTTONS]
    if not named or not digest.has_news:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"👤 {name}"[:60],
                                                       callback_data=f"{CARD}|{cid}")]
                                 for cid, name in named])


def schedule_text(tr: Translator, schedule: Schedule, now: datetime, tz) -> str:
    """The current setting and the next digest, in one or two lines."""
    if schedule.state == "off":
        return tr.gettext("Weekly reminders: off.")
    text = tr.gettext("Weekly reminders: {state}, every {day} at {time}.",
                      state=tr.gettext(STATE_LABELS[schedule.state]),
                      day=tr.gettext(WEEKDAY_LABELS[schedule.weekday]),
                      time=schedule.local_time)
    if schedule.state == "paused" and schedule.paused_until:
        text += " " + tr.gettext("Paused until {date}.", date=tr.date(schedule.paused_until))
    upcoming = reminders.next_slot(schedule, now, tz)
    if upcoming is not None:
        text += "\n" + tr.gettext("Next one: {day} {date} at {time}.",
                                  day=tr.gettext(WEEKDAY_LABELS[upcoming.weekday()]),
                                  date=tr.date(upcoming.date()),
                                  time=upcoming.strftime("%H:%M"))
    return text


# ------------------------------------------------------------------ sending


async def send_due(application: Application, *, any_time: bool = False,
                   person_ids: list[int] | None = None) -> RunResult:
    """Send every digest owed now through the application's bot, exactly once."""
    services: Services = application.bot_data[SERVICES_KEY]
    bot = application.bot
    tr = services.i18n.translator()
    limited = bot.rate_limiter is not None

    async def send(recipient: Recipient, digest: Digest, claim) -> int:
        extra = {"rate_limit_args": BeforeSend(claim)} if limited else {}
        text, markup = digest_message(tr, digest, services.channel)
        message = await bot.send_message(recipient.chat_id, text, reply_markup=markup,
                                         **extra)
        return message.message_id

    async with services.digest_lock:
        result = await Fanout(services, send, claim_in_sender=limited).run(
            any_time=any_time, person_ids=person_ids)
    logger.info("Weekly digests: %s", result.summary())
    return result


async def on_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A daily slot job or the sweep fired: send what is owed now."""
    await send_due(context.application)


def job_name(weekday: int, local_time: str) -> str:
    """The JobQueue name of a slot's daily job."""
    return f"digest {weekday} {local_time}"


def ensure_slot_job(application: Application, weekday: int, local_time: str) -> None:
    """A daily job at this local day and time, unless one exists (JobQueue counts
    0 = Sunday; `reminders.ptb_day` converts)."""
    queue = application.job_queue
    name = job_name(weekday, local_time)
    services: Services = application.bot_data[SERVICES_KEY]
    if queue is None or not services.settings.reminders or queue.get_jobs_by_name(name):
        return
    hour, minute = (int(part) for part in local_time.split(":"))
    queue.run_daily(on_job, time(hour, minute, tzinfo=services.settings.tz),
                    days=(reminders.ptb_day(weekday),), name=name)


async def schedule_jobs(application: Application) -> None:
    """Create the jobs from the database: every chosen slot, the default one, the sweep."""
    services: Services = application.bot_data[SERVICES_KEY]
    slots = {(reminders.DEFAULT_WEEKDAY, reminders.DEFAULT_TIME.strftime("%H:%M")),
             *await stored.slots(services.db)}
    for weekday, local_time in sorted(slots):
        ensure_slot_job(application, weekday, local_time)
    application.job_queue.run_repeating(on_job, interval=timedelta(minutes=SWEEP_MINUTES),
                                        first=FIRST_SWEEP_SECONDS, name="digest sweep")


# ------------------------------------------------------------------ /nhacnho


async def intro(update: Update, context: BotContext) -> str:
    """Above the /nhacnho question: the current setting."""
    scope = await scope_of(update, context)
    if scope.person_id is None:
        return ""
    schedule, held = await reminders.load_schedule(context.services.db, scope.person_id)
    if not held:
        return ""
    services = context.services
    return schedule_text(context.tr, schedule, services.clock(), services.settings.tz)


async def save(update: Update, context: BotContext, draft: Draft) -> None:
    """The /nhacnho form was answered: change the schedule, or show something."""
    action = draft.answers["action"]
    if action == "preview":
        await preview(update, context)
        return
    if action == "problems":
        await problems(update, context)
        return
    services = context.services
    scope = await scope_of(update, context)
    current, held = await reminders.load_schedule(services.db, scope.person_id)
    if not held:
        await reply(update, context.tr.gettext(
            "Weekly reminders are for secretaries, deputies and administrators of a unit; "
            "your roles do not include one."))
        return
    now = services.clock()
    changed = reminders.apply_action(current, action, draft.answers, now, today(context))
    await reminders.save_schedule(services.db, scope.person_id, changed, now)
    await audit.record(services.db, scope.person_id, "reminders.set", "person",
                       scope.person_id, {"action": action})
    if changed.state != "off":
        ensure_slot_job(context.application, changed.weekday, changed.local_time)
    await reply(update, context.tr.gettext("Saved.") + "\n" +
                schedule_text(context.tr, changed, now, services.settings.tz))


async def preview(update: Update, context: BotContext) -> None:
    """This week's digest, now, in this chat (not counted as the week's delivery)."""
    services = context.services
    scope = await scope_of(update, context)
    _schedule, held = await reminders.load_schedule(services.db, scope.person_id)
    digest = await reminders.digest_for(services.db, services.book, services.calendar,
                                        services.settings, held, today(context))
    text, markup = digest_message(context.tr, digest, services.channel)
    await reply(update, text, markup=markup)


async def problems(update: Update, context: BotContext) -> None:
    """For administrators: this week's delivery figures and who did not get the digest."""
    tr = context.tr
    services = context.services
    scope = await scope_of(update, context)
    week = reminders.week_key(today(context))
    counts, rows = await stored.week_problems(services.db, week,
                                              None if scope.admin else scope.unit_ids)
    lines = [tr.gettext("Week {week}: {sent} sent, {empty} with nothing to send, {failed} "
                        "not delivered.", week=reminders.week_number(week),
                        sent=counts.get("sent", 0), empty=counts.get("empty", 0),
                        failed=len(rows))]
    for row in rows:
        reason = tr.gettext(ERROR_LABELS.get(row["error"] or "error", ERROR_LABELS["error"]))
        when = row["finished_at"] or row["claimed_at"]
        shown = f" ({tr.datetime(parse_utc(when))})" if when else ""
        lines.append(f"• {row['full_name']} — {reason}{shown}")
    await reply(update, "\n".join(lines))


SUBMITTERS = {"save_reminders": save}
INTROS = {"reminder_settings": intro}


def register(application: Application) -> None:
    """Nothing to add: the /nhacnho form is in handlers.forms, the buttons under a digest
    (status cards) in handlers.candidates, the jobs come from `schedule_jobs`."""
