"""The form engine: walks any `bot.forms.FormDef` as one PTB ConversationHandler.

The draft in SQLite (`form_drafts`) is the source of truth: every answer is written as it
is given, so a restart — even a kill -9 before PTB's persistence wrote the conversation
state — continues where the user was. Every question accepts typing (a number or the word)
as well as a button; `/back`, `/skip` and `/cancel` work at every step.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from telegram.warnings import PTBUserWarning

from bot.forms import (
    FORMS,
    ChoiceDef,
    FieldDef,
    FormDef,
    form_by_name,
    last_field,
    next_field,
    previous_field,
)
from bot.access import has_any_role
from bot.i18n import Translator
from bot.text import fold
from bot.parsing import (
    Option,
    control_word,
    match_option,
    parse_count,
    parse_date,
    parse_free_text,
    parse_full_name,
    parse_time,
)
from bot.pipeline import MIN_QUERY_LETTERS, AccessDenied, OptionView
from bot.rules.book import RuleBook
from bot.rules.evaluate import Finding
from bot import labels
from handlers import render
from handlers.context import BotContext
from storage.access import Scope
from storage.drafts import Draft, delete_draft, load_draft, save_draft

ANSWERING = 0  # the bot waits for the answer to the draft's current step
CALLBACK = "f"  # callback data: f|<step>|<option number>
CONFIRM_STEP = "_confirm"
RESUME_STEP = "_resume"
STALE_AFTER = timedelta(hours=24)
MAX_ANSWER = 1000
PRIVATE = filters.ChatType.PRIVATE


class DraftFilter(filters.MessageFilter):
    """Messages from a user with a saved draft in this chat (state lost in a crash)."""

    def __init__(self, keys: set[tuple[int, int]]) -> None:
        super().__init__(name="DraftFilter")
        self.keys = keys

    def filter(self, message: Any) -> bool:
        """True when (user, chat) has a draft."""
        return message.from_user is not None and \
            (message.from_user.id, message.chat.id) in self.keys


# ------------------------------------------------------------------ entry


async def open_form(update: Update, context: BotContext) -> int:
    """The user typed a form's command (/them, /capnhat, /sua, /tiendo)."""
    form, argument = form_for_command(update.effective_message.text)
    if await refused_outside_private(update, context) or \
            await refused_without_role(update, context, await scope_of(update, context)):
        return ConversationHandler.END
    draft = await current_draft(update, context)
    if draft is not None and draft.form != form.name:
        return await remind_open_form(update, context, draft)
    now = context.services.clock()
    draft = Draft(update.effective_user.id, update.effective_chat.id, form.name,
                  form.fields[0].name, {}, now, now)
    if argument:  # `/tiendo mai`: the argument answers the first question
        await store(context, draft)
        return await take_answer(update, context, draft, argument)
    return await advance(update, context, draft, None, await form_intro(update, context, form))


async def form_intro(update: Update, context: BotContext, form: FormDef) -> str:
    """The text a form shows above its first question (the current settings ...)."""
    if form.intro is None:
        return ""
    from handlers import reminders  # it builds on this module

    return await reminders.INTROS[form.intro](update, context)


def form_for_command(text: str) -> tuple[FormDef, str]:
    """The form a command opens (`/chitieu dat` opens SET_QUOTA) and what follows it."""
    command, _, rest = text.partition(" ")
    name = command[1:].split("@")[0].lower()
    first, _, after = rest.strip().partition(" ")
    for form in FORMS:
        if form.command == name and form.subcommand and fold(first) == form.subcommand:
            return form, after.strip()
    return next(f for f in FORMS if f.command == name and not f.subcommand), rest.strip()


async def on_text(update: Update, context: BotContext) -> int:
    """The user typed an answer (or back/skip/cancel)."""
    return await handle(update, context, update.effective_message.text)


async def on_button(update: Update, context: BotContext) -> int:
    """The user tapped an option button: the same as typing its number."""
    query = update.callback_query
    await query.answer()
    _prefix, step, number = (query.data.split("|") + ["", ""])[:3]
    draft = await current_draft(update, context)
    if draft is None or draft.step != step:
        await reply(update, context.tr.gettext("That question was already answered."))
        if draft is not None:
            await ask(update, context, draft)
        return ANSWERING if draft else ConversationHandler.END
    return await handle(update, context, number)


async def on_control(update: Update, context: BotContext) -> int:
    """/back, /skip or /cancel typed as a command."""
    return await handle(update, context, update.effective_message.text)


async def busy_elsewhere(update: Update, context: BotContext) -> int:
    """Another form's command while a form is open: keep the open one."""
    draft = await current_draft(update, context)
    if draft is None:
        return await open_form(update, context)
    return await remind_open_form(update, context, draft)


async def remind_open_form(update: Update, context: BotContext, draft: Draft) -> int:
    """Say which form is open and ask its question again (nothing is dropped silently)."""
    tr = context.tr
    await reply(update, tr.gettext(
        "You are filling in «{title}». Answer the question below, or type /cancel to drop "
        "it first.", title=tr.gettext(form_by_name(draft.form).title)))
    await ask(update, context, draft)
    return ANSWERING


# ------------------------------------------------------------------ one answer


async def handle(update: Update, context: BotContext, text: str) -> int:
    """Route one answer according to the saved draft."""
    draft = await current_draft(update, context)
    if draft is None:
        await reply(update, context.tr.gettext("There is no form in progress. Type /help."))
        return ConversationHandler.END
    if draft.step == RESUME_STEP:
        return await answer_resume(update, context, draft, text)
    if context.services.clock() - draft.updated_at > STALE_AFTER:
        return await offer_resume(update, context, draft)
    word = control_word(text)
    if word == "cancel":
        return await cancel(update, context)
    if word == "back":
        return await go_back(update, context, draft)
    if draft.step == CONFIRM_STEP:
        return await answer_confirm(update, context, draft, text)
    if word == "skip":
        return await skip(update, context, draft)
    return await take_answer(update, context, draft, text)


async def take_answer(update: Update, context: BotContext, draft: Draft, text: str) -> int:
    """Parse, check and store the answer to the current field, then move on."""
    form = form_by_name(draft.form)
    field = form.field(draft.step)
    tr = context.tr
    if len(text) > MAX_ANSWER:
        await reply(update, tr.gettext("That answer is too long ({length} characters). "
                                       "Please keep it short.",
                                       length=tr.number(len(text), 0)))
        await ask(update, context, draft, short=True)
        return ANSWERING
    outcome = await parse_answer(update, context, draft, field, text)
    if outcome is None:
        return ANSWERING
    value, shown = outcome
    answers = dict(draft.answers)
    if field.check:
        findings = await context.services.pipeline.check(field.check, value, answers,
                                                         today(context))
        refusals = [f for f in findings if f.severity == "refuse"]
        if refusals:
            await reply(update, "\n".join(render.finding(tr, f) for f in refusals))
            await ask(update, context, draft, short=True)
            return ANSWERING
        answers.setdefault("_warnings", {})[field.name] = [_finding_json(f) for f in findings]
    answers[field.name] = value.isoformat() if isinstance(value, date) else value
    answers.setdefault("_shown", {})[field.name] = shown
    answers.pop("_matches", None)
    if field.name == "stage":
        answers["stage_terminal"] = context.services.book.stage(value).terminal
    intro = f"👤 {shown}" if field.kind == "candidate" else ""
    return await advance(update, context, replace(draft, answers=answers), field.name, intro)


async def parse_answer(update: Update, context: BotContext, draft: Draft, field: FieldDef,
                       text: str) -> tuple[Any, str] | None:
    """The value and its display text, or None after telling the user what is wrong."""
    tr = context.tr
    if field.kind == "name":
        value = parse_full_name(text)
        error = tr.gettext("Please type a full name: at least two words, letters only.")
    elif field.kind == "date":
        value = parse_date(text, today(context))
        error = tr.gettext("I could not read that date. Please type it as dd/mm/yyyy, for "
                           "example 15/06/2008, or «hôm nay».")
        if value is not None:
            return value, tr.date(value)
    elif field.kind == "text":
        value = parse_free_text(text, field.max_length)
        error = tr.gettext("Please type a short text (at most {count} characters).",
                           count=field.max_length)
    elif field.kind == "number":
        value = parse_count(text, field.max_length)
        error = tr.gettext("Please type a whole number from 0 to {count}.",
                           count=tr.number(field.max_length, 0))
        if value is not None:
            return value, tr.number(value, 0)
    elif field.kind == "time":
        value = parse_time(text)
        error = tr.gettext("I could not read that time. Please type it like 7:30 or 19h.")
        if value is not None:
            return value.strftime("%H:%M"), value.strftime("%H:%M")
    elif field.kind == "candidate":
        return await pick_candidate(update, context, draft, text)
    else:
        return await pick_option(update, context, draft, field, text)
    if value is None:
        await reply(update, error)
        await ask(update, context, draft, short=True)
        return None
    return value, value


async def pick_option(update: Update, context: BotContext, draft: Draft, field: FieldDef,
                      text: str) -> tuple[str, str] | None:
    """Match a typed number or word against the field's options."""
    tr = context.tr
    options = await field_options(context, draft, field)
    result = match_option(text, [Option(value, (label, *aliases))
                                 for value, label, aliases in options])
    if result.value is not None:
        return result.value, next(label for value, label, _ in options if value == result.value)
    if result.ambiguous:
        names = ", ".join(label for value, label, _ in options if value in result.ambiguous)
        await reply(update, tr.gettext("Which one do you mean: {options}? Please answer with "
                                       "the number.", options=names))
    else:
        await reply(update, tr.gettext("Please answer with one of the numbers below."))
    await ask(update, context, draft)
    return None


async def pick_candidate(update: Update, context: BotContext, draft: Draft, text: str
                         ) -> tuple[int, str] | None:
    """Find the candidate by part of the name; several matches become numbered options."""
    tr = context.tr
    matches = draft.answers.get("_matches")
    if matches:
        result = match_option(text, [Option(str(m[0]), (m[1],)) for m in matches])
        if result.value is not None:
            chosen = next(m for m in matches if str(m[0]) == result.value)
            return int(chosen[0]), chosen[1]
    pipeline = context.services.pipeline
    if pipeline.too_short(text):
        await reply(update, tr.gettext("Type at least {count} letters of the name.",
                                       count=MIN_QUERY_LETTERS))
        return None
    found = await pipeline.find(await scope_of(update, context), text)
    if len(found) == 1:
        return found[0]["id"], found[0]["full_name"]
    if not found:
        await reply(update, tr.gettext("I found nobody called «{text}» in your units. Type "
                                       "another part of the name.", text=text[:60]))
        return None
    listed = [[c["id"], f"{c['full_name']} ({_born(tr, c)}, {c.get('cell_name', '')})"]
              for c in found]
    answers = {**draft.answers, "_matches": listed}
    draft = replace(draft, answers=answers)
    await store(context, draft)
    await ask(update, context, draft)
    return None


def _born(tr: Translator, candidate: dict[str, Any]) -> str:
    """'born dd/mm/yyyy' for telling namesakes apart."""
    birth = candidate.get("birth_date")
    return tr.gettext("born {date}", date=tr.date(date.fromisoformat(birth))) if birth else "?"


async def advance(update: Update, context: BotContext, draft: Draft, after: str | None,
                  intro: str = "") -> int:
    """Save the draft and ask the question after `after` (None: the first), or confirm, or
    submit. A choice with nothing to choose is skipped if optional, else ends the form."""
    form = form_by_name(draft.form)
    following = next_field(form, draft.answers, after)
    while following is not None and following.kind == "choice" \
            and not await field_options(context, draft, following):
        if following.required:
            return await nothing_to_choose(update, context, following, intro)
        following = next_field(form, draft.answers, following.name)
    if following is not None or form.confirm:
        draft = replace(draft, step=following.name if following else CONFIRM_STEP)
        await store(context, draft)
        await ask(update, context, draft, intro=intro)
        return ANSWERING
    return await submit(update, context, draft)


async def nothing_to_choose(update: Update, context: BotContext, field: FieldDef,
                            intro: str) -> int:
    """A required question has no possible answer: stop the form, saving nothing."""
    tr = context.tr
    if field.choices == "next_stages":
        text = tr.gettext("This record is closed (full member, or stopped): there is no "
                          "step left to record. Nothing was saved.")
    elif field.choices == "reminder_actions":
        text = tr.gettext("Weekly reminders are for secretaries, deputies and administrators "
                          "of a unit; your roles do not include one.")
    else:
        text = tr.gettext("There is nothing to choose for «{question}» within your units, "
                          "so the form stops here. Nothing was saved.",
                          question=tr.gettext(field.label))
    await forget(update, context)
    await reply(update, f"{intro}\n{text}" if intro else text)
    return ConversationHandler.END


async def skip(update: Update, context: BotContext, draft: Draft) -> int:
    """/skip: allowed on optional questions only."""
    field = form_by_name(draft.form).field(draft.step)
    if field.required:
        await reply(update, context.tr.gettext("This question cannot be skipped."))
        await ask(update, context, draft, short=True)
        return ANSWERING
    answers = {k: v for k, v in draft.answers.items() if k != field.name}
    answers.get("_shown", {}).pop(field.name, None)
    return await advance(update, context, replace(draft, answers=answers), field.name)


async def go_back(update: Update, context: BotContext, draft: Draft) -> int:
    """/back: ask the previous question again (its old answer is kept until replaced)."""
    form = form_by_name(draft.form)
    previous = last_field(form, draft.answers) if draft.step == CONFIRM_STEP \
        else previous_field(form, draft.answers, draft.step)
    if previous is None:
        await reply(update, context.tr.gettext("This is the first question."))
        await ask(update, context, draft, short=True)
        return ANSWERING
    answers = {k: v for k, v in draft.answers.items() if k != "_matches"}
    draft = replace(draft, step=previous.name, answers=answers)
    await store(context, draft)
    await ask(update, context, draft)
    return ANSWERING


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel: drop the draft, save nothing."""
    await forget(update, context)
    await reply(update, context.tr.gettext("Cancelled. Nothing was saved."))
    return ConversationHandler.END


# ------------------------------------------------------------------ confirm, resume


async def answer_confirm(update: Update, context: BotContext, draft: Draft, text: str) -> int:
    """On the confirmation screen: 1 save, 2 go back, 3 cancel."""
    choice = match_option(text, _confirm_options(context.tr)).value
    if choice == "save":
        return await submit(update, context, draft)
    if choice == "back":
        return await go_back(update, context, draft)
    if choice == "cancel":
        return await cancel(update, context)
    await reply(update, context.tr.gettext("Please answer with one of the numbers below."))
    await ask(update, context, draft)
    return ANSWERING


async def offer_resume(update: Update, context: BotContext, draft: Draft) -> int:
    """The user comes back after a long pause: continue or start over?"""
    answers = {**draft.answers, "_resume_step": draft.step}
    draft = replace(draft, step=RESUME_STEP, answers=answers)
    await store(context, draft)
    await ask(update, context, draft)
    return ANSWERING


async def answer_resume(update: Update, context: BotContext, draft: Draft, text: str) -> int:
    """1 continue where they were, 2 start the form again, 3 cancel."""
    choice = match_option(text, _resume_options(context.tr)).value
    if choice == "cancel":
        return await cancel(update, context)
    if choice is None:
        await reply(update, context.tr.gettext("Please answer with one of the numbers below."))
        await ask(update, context, draft)
        return ANSWERING
    form = form_by_name(draft.form)
    if choice == "continue":
        answers = {k: v for k, v in draft.answers.items() if k != "_resume_step"}
        draft = replace(draft, step=draft.answers["_resume_step"], answers=answers)
    else:
        draft = replace(draft, step=form.fields[0].name, answers={})
    await store(context, draft)
    await ask(update, context, draft)
    return ANSWERING


async def submit(update: Update, context: BotContext, draft: Draft) -> int:
    """Save through the pipeline and tell the user what happened."""
    from handlers import candidates, membership, reminders, status  # they build on this

    submitters = {**candidates.SUBMITTERS, **membership.SUBMITTERS, **status.SUBMITTERS,
                  **reminders.SUBMITTERS}
    try:
        await submitters[form_by_name(draft.form).submit](update, context, draft)
    except AccessDenied:
        await reply(update, context.tr.gettext(
            "Your roles do not cover this candidate or unit, so nothing was saved."))
    await forget(update, context)
    return ConversationHandler.END


# ------------------------------------------------------------------ asking


async def ask(update: Update, context: BotContext, draft: Draft, short: bool = False,
              intro: str = "") -> None:
    """Send the current question (after `intro`) with numbered options and buttons."""
    tr = context.tr
    form = form_by_name(draft.form)
    if draft.step == RESUME_STEP:
        text = tr.gettext("You have an unfinished «{title}» from {date}. Continue where "
                          "you were, or start again?", title=tr.gettext(form.title),
                          date=tr.date(draft.updated_at))
        await send_options(update, draft, text, _resume_labels(tr))
        return
    if draft.step == CONFIRM_STEP:
        await send_options(update, draft, confirmation_text(tr, form, draft, context),
                           _confirm_labels(tr))
        return
    field = form.field(draft.step)
    prompt = tr.gettext(field.prompt)
    if not short and draft.step == form.fields[0].name:
        prompt = f"{tr.gettext(form.title)}\n{prompt}"
    if intro:
        prompt = f"{intro}\n{prompt}"
    matches = draft.answers.get("_matches") if field.kind == "candidate" else None
    if matches:
        await send_options(update, draft, tr.gettext("Several people match. Which one?"),
                           [m[1] for m in matches])
        return
    if field.kind == "choice":
        labels = [label for _v, label, _a in await field_options(context, draft, field)]
        await send_options(update, draft, prompt + _hint(tr, field), labels)
        return
    await reply(update, prompt + _hint(tr, field))


async def send_options(update: Update, draft: Draft, text: str, labels: list[str]) -> None:
    """A question with numbered options, answerable by typing or tapping."""
    numbered = "\n".join(f"{i}. {label}" for i, label in enumerate(labels, start=1))
    buttons = [[InlineKeyboardButton(f"{i}. {label}"[:60],
                                     callback_data=f"{CALLBACK}|{draft.step}|{i}")]
               for i, label in enumerate(labels, start=1)]
    await reply(update, f"{text}\n{numbered}", markup=InlineKeyboardMarkup(buttons))


def _hint(tr: Translator, field: FieldDef) -> str:
    """The reminder of the control commands under a question."""
    if field.required:
        return "\n" + tr.gettext("(/back previous question · /cancel stop)")
    return "\n" + tr.gettext("(/skip leave empty · /back previous question · /cancel stop)")


def confirmation_text(tr: Translator, form: FormDef, draft: Draft, context: BotContext) -> str:
    """Everything entered, with warnings, before saving."""
    shown = draft.answers.get("_shown", {})
    lines = [tr.gettext("Please check before saving:")]
    for field in form.fields:
        if field.name in shown:
            lines.append(f"• {tr.gettext(field.label)}: {shown[field.name]}")
    for items in draft.answers.get("_warnings", {}).values():
        for item in items:
            lines.append("⚠️ " + render.finding(tr, _finding_from_json(item,
                                                                     context.services.book)))
    return "\n".join(lines)


def _confirm_labels(tr: Translator) -> list[str]:
    return [tr.gettext("Save"), tr.gettext("Go back and change"), tr.gettext("Cancel")]


def _confirm_options(tr: Translator) -> list[Option]:
    save, back, cancel_ = _confirm_labels(tr)
    return [Option("save", (save, "luu", "ok", "co", "dong y")),
            Option("back", (back, "sua", "quay lai")),
            Option("cancel", (cancel_, "huy"))]


def _resume_labels(tr: Translator) -> list[str]:
    return [tr.gettext("Continue"), tr.gettext("Start again"), tr.gettext("Cancel")]


def _resume_options(tr: Translator) -> list[Option]:
    go_on, again, cancel_ = _resume_labels(tr)
    return [Option("continue", (go_on, "tiep")), Option("restart", (again, "lam lai")),
            Option("cancel", (cancel_, "huy"))]


async def field_options(context: BotContext, draft: Draft, field: FieldDef
                        ) -> list[tuple[str, str, tuple[str, ...]]]:
    """(value, label, aliases) for a choice field, static or from a provider."""
    tr = context.tr
    if isinstance(field.choices, tuple):
        return [(c.value, tr.gettext(c.label), c.aliases) for c in field.choices
                if isinstance(c, ChoiceDef)]
    scope = await scope_for_draft(context, draft)
    views = await context.services.options(field.choices, scope, draft.answers)
    return [(v.value, _option_label(tr, v), ()) for v in views]


def _option_label(tr: Translator, view: OptionView) -> str:
    label = labels.stage_label(tr, view.label) if view.is_stage else view.label
    label = labels.role_label(tr, view.label) if view.is_role else label
    label = labels.period_label(tr, view.value) if view.is_period else label
    label = tr.gettext(view.label) if view.is_msgid else label
    if view.role_suffix:
        label += f" ({labels.role_label(tr, view.role_suffix).lower()})"
    return f"{label} — {tr.date(view.on)}" if view.on else label


# ------------------------------------------------------------------ plumbing


async def reply(update: Update, text: str, markup: Any = None) -> None:
    """Send to the chat the update came from."""
    await update.get_bot().send_message(update.effective_chat.id, text, reply_markup=markup)


async def refused_outside_private(update: Update, context: BotContext) -> bool:
    """Personal data and unit figures only in private chats: say so in a group."""
    if update.effective_chat.type == update.effective_chat.PRIVATE:
        return False
    await reply(update, context.tr.gettext("For privacy, please message me in a private chat "
                                           "for this."))
    return True


async def refused_without_role(update: Update, context: BotContext, scope: Scope) -> bool:
    """Nothing to show someone whose roles cover no unit: say how to get one."""
    if has_any_role(scope):
        return False
    await reply(update, context.tr.gettext(
        "You have no role in any unit yet, so you cannot see or change candidates. "
        "Please ask your cell secretary or an administrator to give you a role."))
    return True


def today(context: BotContext) -> date:
    """Today in the configured time zone (from the services' clock)."""
    return context.services.clock().astimezone(context.services.settings.tz).date()


async def scope_of(update: Update, context: BotContext) -> Scope:
    """What the user's roles cover."""
    return await context.services.scope_for_user(update.effective_user.id)


async def scope_for_draft(context: BotContext, draft: Draft) -> Scope:
    """What the draft's owner's roles cover."""
    return await context.services.scope_for_user(draft.user_id)


async def current_draft(update: Update, context: BotContext) -> Draft | None:
    """The saved draft of this user in this chat."""
    return await load_draft(context.services.db, update.effective_user.id,
                            update.effective_chat.id)


async def store(context: BotContext, draft: Draft) -> None:
    """Write the draft now (not at PTB's next persistence flush)."""
    draft = replace(draft, updated_at=context.services.clock())
    await save_draft(context.services.db, draft)
    context.services.draft_keys.add((draft.user_id, draft.chat_id))


async def forget(update: Update, context: BotContext) -> None:
    """Delete the draft of this user in this chat."""
    key = (update.effective_user.id, update.effective_chat.id)
    await delete_draft(context.services.db, *key)
    context.services.draft_keys.discard(key)


def _finding_json(item: Finding) -> dict[str, Any]:
    """A finding as JSON for the draft (dates as ISO text)."""
    params = {k: v.isoformat() if isinstance(v, date) else v for k, v in item.params.items()}
    return {"code": item.code, "severity": item.severity, "params": params,
            "rule_id": item.rule_id}


def _finding_from_json(data: dict[str, Any], book: RuleBook) -> Finding:
    """Back from the draft: ISO texts become dates again, the source comes from the book."""
    params = {}
    for key, value in data["params"].items():
        try:
            params[key] = date.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            params[key] = value
    rule_id = data.get("rule_id")
    source = book.rule(rule_id).source if rule_id else None
    return Finding(data["code"], data["severity"], params, rule_id, source)


def register(application: Application, draft_keys: set[tuple[int, int]]) -> None:
    """One ConversationHandler for every form, persistent, private chats only."""
    commands = sorted({form.command for form in FORMS if not form.subcommand})
    with_subcommand = [
        CommandHandler(form.command, open_form, filters=filters.Regex(
            rf"(?i)^/{form.command}(@\S+)?\s+{form.subcommand}\b"))
        for form in FORMS if form.subcommand]
    answer = filters.TEXT & ~filters.COMMAND & PRIVATE
    controls = ["back", "skip", "cancel"]
    button = CallbackQueryHandler(on_button, pattern=rf"^{CALLBACK}\|")
    with warnings.catch_warnings():
        # Conversations are per user and chat on purpose (answers may be typed or tapped),
        # so PTB's advice to track callback queries per message does not apply.
        warnings.filterwarnings("ignore", message=".*per_message=False", category=PTBUserWarning)
        conversation = ConversationHandler(
            entry_points=[
                *with_subcommand,
                CommandHandler(commands, open_form),
                MessageHandler(answer & DraftFilter(draft_keys), on_text),
                button,
            ],
            states={ANSWERING: [MessageHandler(answer, on_text),
                                CommandHandler(controls, on_control, filters=PRIVATE),
                                button]},
            fallbacks=[*with_subcommand, CommandHandler(commands, busy_elsewhere)],
            name="forms",
            persistent=True,
            allow_reentry=False,
        )
    application.add_handler(conversation)
