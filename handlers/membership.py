"""Joining a unit: /moi creates a code, /start <code> or the typed code uses it, /toi lists
your roles."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from handlers.context import BotContext
from handlers.forms import refused_outside_private, reply, scope_of
from bot.labels import role_label
from storage.drafts import Draft
from storage.people import person_by_identity, roles_of


async def create_invite(update: Update, context: BotContext, draft: Draft) -> None:
    """The /moi form was confirmed: make the code and say how to pass it on."""
    tr = context.tr
    scope = await scope_of(update, context)
    try:
        code, expires = await context.services.membership.create_invite(
            scope, int(draft.answers["unit_id"]), draft.answers["role"])
    except PermissionError:
        await reply(update, tr.gettext("Your roles do not let you invite to this unit with "
                                       "this role. Nothing was created."))
        return
    if context.services.channel != "telegram":  # Zalo has no start links
        await reply(update, tr.gettext(
            "Invitation code: {code} (single use, valid until {date}).\nAsk the person to "
            "type the code in a chat with me, on Zalo or on Telegram.",
            code=code, date=tr.date(expires)))
        return
    link = f"https://t.me/{context.bot.username}?start={code}"
    await reply(update, tr.gettext(
        "Invitation code: {code} (single use, valid until {date}).\nSend the person this "
        "link: {link}\nor ask them to type the code in a private chat with me.",
        code=code, date=tr.date(expires), link=link))


async def accept_code(update: Update, context: BotContext, code: str) -> None:
    """Someone opened an invitation link or typed a code."""
    tr = context.tr
    user = update.effective_user
    name = " ".join(p for p in (user.last_name, user.first_name) if p) or str(user.id)
    result = await context.services.membership.accept(code, context.services.channel,
                                                      str(user.id), name)
    messages = {
        "unknown": tr.gettext("This invitation code does not exist. Please check it with "
                              "the person who sent it."),
        "used": tr.gettext("This invitation code has already been used. Please ask for a "
                           "new one."),
        "expired": tr.gettext("This invitation code has expired. Please ask for a new one."),
        "taken": tr.gettext("This chat already belongs to another person who has roles, so "
                            "it cannot be linked. Please ask an administrator."),
        "linked": tr.gettext("Linked: this chat now shares the roles of {name}. Type /toi "
                             "to see them.", name=result.person_name),
    }
    if result.outcome in messages:
        await reply(update, messages[result.outcome])
        return
    await reply(update, tr.gettext(
        "Welcome! You are now {role} of {unit}. Type /help to see what you can do.",
        role=role_label(tr, result.role).lower(), unit=result.unit_name))


async def my_roles(update: Update, context: BotContext) -> None:
    """/toi: the units and roles of the person writing."""
    tr = context.tr
    services = context.services
    person = await person_by_identity(services.db, services.channel,
                                      str(update.effective_user.id))
    roles = await roles_of(services.db, person["id"]) if person else []
    scope = await scope_of(update, context)
    if not roles and not scope.admin:
        await reply(update, tr.gettext("You have no role yet. Ask your cell secretary for an "
                                       "invitation code."))
        return
    lines = [tr.gettext("Your roles:")]
    lines += [f"• {role_label(tr, r['role'])} — {r['unit_name']}" for r in roles]
    if scope.admin:
        lines.append("• " + tr.gettext("Administrator of every unit (configured)"))
    await reply(update, "\n".join(lines))


async def remove_role(update: Update, context: BotContext, draft: Draft) -> None:
    """The /govaitro form was confirmed: the role is gone from now on."""
    tr = context.tr
    try:
        removed = await context.services.membership.remove_role(
            await scope_of(update, context), draft.answers["role_key"])
    except PermissionError:
        await reply(update, tr.gettext("Your roles do not let you remove this role. "
                                       "Nothing was changed."))
        return
    await reply(update, tr.gettext(
        "Removed: {name} is no longer {role} of {unit}. It takes effect at once.",
        name=removed["full_name"], role=role_label(tr, removed["role"]).lower(),
        unit=removed["unit_name"]))


async def link_code(update: Update, context: BotContext) -> None:
    """/lienket: a code to type on the other channel (Telegram ↔ Zalo) for the same roles."""
    tr = context.tr
    if await refused_outside_private(update, context):
        return
    services = context.services
    person = await person_by_identity(services.db, services.channel,
                                      str(update.effective_user.id))
    if person is None:
        await reply(update, tr.gettext("You have no role yet. Ask your cell secretary for an "
                                       "invitation code."))
        return
    code, expires = await services.membership.create_link(person["id"])
    await reply(update, tr.gettext(
        "Link code: {code} (single use, valid until {time} {date}).\nOpen the bot on the "
        "other app (Zalo or Telegram) and type this code there: that chat will share your "
        "roles.", code=code, time=tr.local(expires).strftime("%H:%M"),
        date=tr.date(expires)))


SUBMITTERS = {"create_invite": create_invite, "remove_role": remove_role}


def register(application: Application) -> None:
    """Add this module's handlers."""
    application.add_handler(CommandHandler("toi", my_roles))
    application.add_handler(CommandHandler("lienket", link_code))
