"""Candidates: what happens when a form is saved, the status card and the history."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.pipeline import AccessDenied
from bot import labels
from handlers import render
from handlers.context import BotContext
from handlers.forms import reply, scope_of, today
from storage.drafts import Draft

HISTORY = "hist"  # callback data: hist|<candidate id>, the history of a candidate
CARD = "card"  # callback data: card|<candidate id>, the status card (under a digest)


async def save_candidate(update: Update, context: BotContext, draft: Draft) -> None:
    """The add-candidate form was confirmed: save and say how to go on."""
    scope = await scope_of(update, context)
    await context.services.pipeline.add_candidate(scope, draft.answers)
    await reply(update, context.tr.gettext(
        "Saved {name}. To record the next step, type /capnhat {name}.",
        name=draft.answers["full_name"]))


async def save_stage(update: Update, context: BotContext, draft: Draft) -> None:
    """The record-a-step form was confirmed: save, then show where the candidate stands."""
    tr = context.tr
    scope = await scope_of(update, context)
    answers = draft.answers
    await context.services.pipeline.record_stage(scope, answers, today(context))
    await reply(update, tr.gettext(
        "Saved: «{stage}» on {date}.", stage=labels.stage_label(tr, answers["stage"]),
        date=tr.date(date.fromisoformat(answers["event_date"]))))
    await send_status(update, context, int(answers["candidate_id"]))


async def save_correction(update: Update, context: BotContext, draft: Draft) -> None:
    """The correction form was confirmed: the new entry supersedes the wrong one."""
    scope = await scope_of(update, context)
    await context.services.pipeline.correct_entry(scope, draft.answers)
    await reply(update, context.tr.gettext(
        "Corrected. The wrong entry stays in the history, marked as corrected."))
    await send_status(update, context, int(draft.answers["candidate_id"]))


async def show_status(update: Update, context: BotContext, draft: Draft) -> None:
    """/tiendo found the candidate: show the card."""
    await send_status(update, context, int(draft.answers["candidate_id"]))


async def show_history(update: Update, context: BotContext, draft: Draft) -> None:
    """/lichsu found the candidate: list every entry."""
    await send_history(update, context, int(draft.answers["candidate_id"]))


async def send_status(update: Update, context: BotContext, candidate_id: int) -> None:
    """The status card with a button (and a typed command) for the history."""
    tr = context.tr
    services = context.services
    view = await services.pipeline.status(await scope_of(update, context), candidate_id,
                                          today(context))
    card = render.status_card(tr, view)
    hint = tr.gettext("History: /lichsu {name}", name=view.candidate["full_name"])
    button = InlineKeyboardButton(tr.gettext("Show history"),
                                  callback_data=f"{HISTORY}|{candidate_id}")
    await reply(update, f"{card}\n\n{hint}", markup=InlineKeyboardMarkup([[button]]))


async def send_history(update: Update, context: BotContext, candidate_id: int) -> None:
    """Every recorded entry of one candidate, corrections included."""
    view = await context.services.pipeline.status(await scope_of(update, context),
                                                  candidate_id, today(context))
    await reply(update, render.history(context.tr, view))


async def on_candidate_button(update: Update, context: BotContext) -> None:
    """The user tapped «Show history» under a status card, or a name under a digest."""
    query = update.callback_query
    await query.answer()
    if update.effective_chat.type != update.effective_chat.PRIVATE:
        return
    kind, _, number = query.data.partition("|")
    show = send_history if kind == HISTORY else send_status
    try:
        await show(update, context, int(number))
    except (AccessDenied, ValueError):
        await reply(update, context.tr.gettext("Your roles do not cover this candidate."))


SUBMITTERS = {
    "add_candidate": save_candidate,
    "record_stage": save_stage,
    "correct_entry": save_correction,
    "show_status": show_status,
    "show_history": show_history,
}


def register(application: Application) -> None:
    """Add this module's handlers (the forms themselves are in handlers.forms)."""
    application.add_handler(CallbackQueryHandler(on_candidate_button,
                                                 pattern=rf"^({HISTORY}|{CARD})\|"))
