"""Questions typed freely, with /hoi, or to the bot mentioned in a group.

Procedure questions are answered from the knowledge base with their source, or with an
honest "not sure" and the closest topics (tap or type their number). Questions about the
asker's own quota are answered from the database, in private chats only.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, \
    filters

from bot import quotas
from bot.i18n import Translator
from bot.membership import as_code
from bot.knowledge.base import Entry
from handlers.context import BotContext
from handlers.forms import refused_outside_private, reply, scope_of, today
from handlers.membership import accept_code
from bot.labels import SEGMENT_LABELS

TOPIC = "kb"  # callback data: kb|<entry id>
ALTERNATIVES_KEY = "kb_alternatives"  # the topics offered last, for a typed "1", "2", "3"
MAX_QUESTION = 1000
MAX_QUOTAS = 8  # targets listed in one reply (a phone screen or two)


async def on_text(update: Update, context: BotContext) -> None:
    """The user typed something outside any form, in a private chat."""
    sent = update.effective_message.text
    text = sent.strip()
    tr = context.tr
    if len(sent) > MAX_QUESTION:
        await reply(update, tr.gettext(
            "Your message is long ({length} characters), so I did not try to read it as a "
            "question. Please send a short question, or type /help.",
            length=tr.number(len(sent), digits=0)))
        return
    code = as_code(text)
    if code:
        await accept_code(update, context, code)
        return
    offered = context.user_data.get(ALTERNATIVES_KEY) or []
    if text.isdigit() and 1 <= int(text) <= len(offered):
        await send_entry(update, context, offered[int(text) - 1])
        return
    if quotas.is_quota_question(text):
        await answer_quota(update, context)
        return
    await answer_question(update, context, text)


async def on_hoi(update: Update, context: BotContext) -> None:
    """/hoi <question>, in a private chat or a group."""
    question = " ".join(context.args or [])
    if not question:
        await reply(update, context.tr.gettext(
            "Type your question after /hoi, for example: /hoi bao nhiêu tuổi được vào Đảng"))
        return
    if quotas.is_quota_question(question):
        await answer_quota(update, context)  # in a group: only a pointer to a private chat
        return
    await answer_question(update, context, question[:MAX_QUESTION])


async def on_group_mention(update: Update, context: BotContext) -> None:
    """In a group, someone mentioned the bot: answer the procedure question, nothing else."""
    message = update.effective_message
    username = f"@{context.bot.username}".lower()
    mentions = [text for text in message.parse_entities([MessageEntity.MENTION]).values()
                if text.lower() == username]
    if not mentions:
        return
    question = re.sub(re.escape(username), " ", message.text, flags=re.IGNORECASE).strip()
    if question:
        await answer_question(update, context, question[:MAX_QUESTION])


async def on_topic_button(update: Update, context: BotContext) -> None:
    """The user tapped one of the offered topics."""
    query = update.callback_query
    await query.answer()
    await send_entry(update, context, query.data.partition("|")[2])


async def answer_question(update: Update, context: BotContext, question: str) -> None:
    """Answer from the knowledge base, or say honestly that the bot is not sure."""
    tr = context.tr
    result = await context.services.knowledge.answer(question)
    if result.entry is None and not result.alternatives:
        await reply(update, tr.gettext("I don't have an answer to that yet. Try asking in "
                                       "other words, or type /help."))
        return
    if update.effective_chat.type == update.effective_chat.PRIVATE:
        context.user_data[ALTERNATIVES_KEY] = [e.id for e in result.alternatives]
    if result.entry is not None:  # related topics too: a short question may mean another
        text = entry_text(tr, result.entry)
        if result.alternatives:
            text += "\n\n" + tr.gettext("Related topics:")
    else:
        text = tr.gettext("I am not sure I understood. Did you mean one of these? "
                          "Tap it or type its number.")
    lines = [text] + [f"{i}. {e.topic}" for i, e in enumerate(result.alternatives, start=1)]
    buttons = [[InlineKeyboardButton(f"{i}. {e.topic}"[:60], callback_data=f"{TOPIC}|{e.id}")]
               for i, e in enumerate(result.alternatives, start=1)]
    await reply(update, "\n".join(lines),
                markup=InlineKeyboardMarkup(buttons) if buttons else None)


async def send_entry(update: Update, context: BotContext, entry_id: str) -> None:
    """Show one knowledge-base entry chosen from the offered topics."""
    context.user_data.pop(ALTERNATIVES_KEY, None)
    entry = context.services.knowledge.entry(entry_id)
    if entry is None:
        await reply(update, context.tr.gettext("That topic is no longer available."))
        return
    await reply(update, entry_text(context.tr, entry))


def entry_text(tr: Translator, entry: Entry) -> str:
    """The answer, then its source and the date it applies from."""
    source = tr.gettext("Source: {citation}; in force from {date}.",
                        citation=entry.source.citation(), date=tr.date(entry.effective))
    return f"{entry.answer}\n\n📖 {source}"


async def answer_quota(update: Update, context: BotContext) -> None:
    """Target, admitted, % of target, pace and the NQ 21 norm for the asker's units."""
    tr = context.tr
    if await refused_outside_private(update, context):
        return
    services = context.services
    scope = await scope_of(update, context)
    if not scope.roles:
        await reply(update, tr.gettext("Quotas are shown for the units you have a role in, "
                                       "and you have none yet. Please ask your cell "
                                       "secretary or an administrator."))
        return
    found = await quotas.for_scope(services.db, scope, today(context), services.book)
    if not found:
        await reply(update, tr.gettext("Your units have no quota for the current period yet."))
        return
    shown = [quota_text(tr, item) for item in found[:MAX_QUOTAS]]
    if len(found) > MAX_QUOTAS:
        shown.append(tr.ngettext("…and {count} more target.", "…and {count} more targets.",
                                 len(found) - MAX_QUOTAS))
    await reply(update, "\n\n".join(shown))


def quota_period(tr: Translator, item: quotas.QuotaProgress) -> str:
    """"năm 2026" / "nhiệm kỳ 2025–2030", with the source segment if the quota has one."""
    if item.period_kind == "year":
        period = tr.gettext("year {year}", year=item.period_start.year)
    else:
        period = tr.gettext("term {start}–{end}", start=item.period_start.year,
                            end=item.period_end.year)
    if item.segment:
        period += f" · {tr.gettext(SEGMENT_LABELS.get(item.segment, item.segment))}"
    return period


def quota_text(tr: Translator, item: quotas.QuotaProgress) -> str:
    """One unit's progress against one target."""
    lines = [f"📊 {item.unit_name} — {quota_period(tr, item)}",
             "• " + tr.gettext("Target {target}, admitted {admitted}: {percent} of the target",
                               target=tr.number(item.target, 0),
                               admitted=tr.number(item.admitted, 0),
                               percent=tr.percent(item.achieved)),
             "• " + tr.gettext("{elapsed} of the period has gone by", 
                               elapsed=tr.percent(item.elapsed))]
    if item.missing:
        lines.append("• " + tr.ngettext("{count} more admission reaches the target",
                                        "{count} more admissions reach the target",
                                        item.missing))
    else:
        lines.append("• " + tr.gettext("The target is reached."))
    if item.members:
        lines.append("• " + tr.gettext(
            "Yearly norm: {low}–{high} new members for {members} members ({source})",
            low=tr.number(item.norm_low), high=tr.number(item.norm_high),
            members=tr.number(item.members, 0), source=item.norm_source.citation()))
    return "\n".join(lines)


def register(application: Application) -> None:
    """Add this module's handlers (after the forms, before the fallback)."""
    private_text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    group_mention = filters.TEXT & ~filters.COMMAND & filters.ChatType.GROUPS & \
        filters.Entity(MessageEntity.MENTION)
    application.add_handlers([
        CommandHandler("hoi", on_hoi),
        MessageHandler(private_text, on_text),
        MessageHandler(group_mention, on_group_mention),
        CallbackQueryHandler(on_topic_button, pattern=rf"^{TOPIC}\|"),
    ])
