"""Command line: `python -m bot [run|demo|ask|migrate|backup|import|export|invite|remind]`.

With no subcommand: run on Telegram when BOT_TOKEN is set, otherwise start the local demo.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from storage.people import ROLES


def configure_logging(level: str) -> None:
    """Log once, to stderr; keep httpx's per-request lines out of the way."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The subcommands and their options."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (Telegram with BOT_TOKEN, else the demo)")
    demo = sub.add_parser("demo", help="local demo: emulator + web chat + seeded database")
    demo.add_argument("--port", type=int, help="web chat port (default DEMO_PORT, 8080)")
    demo.add_argument("--reset", action="store_true", help="start from a fresh demo database")
    ask = sub.add_parser("ask", help="answer a question from the knowledge base, with score")
    ask.add_argument("question", nargs="+", help="the question, as a user would type it")
    sub.add_parser("migrate", help="bring the database schema to the newest version")
    backup = sub.add_parser("backup", help="copy the database safely, even while the bot runs")
    backup.add_argument("dest", nargs="?", default="backups", help="file or folder (backups/)")
    load = sub.add_parser("import", help="import units, people, quotas and candidates from "
                          "a workbook (.xlsx), a .csv file or a folder of .csv files")
    load.add_argument("file", type=Path)
    load.add_argument("--dry-run", action="store_true",
                      help="check every row and list the rejected ones; change nothing")
    dump = sub.add_parser("export", help="write units, people, quotas and candidates to a "
                          "workbook (.xlsx) or to a folder of .csv files")
    dump.add_argument("dest", nargs="?", type=Path,
                      help="file.xlsx or a folder (default export-YYYYMMDD.xlsx)")
    dump.add_argument("--unit", help="only this unit (code or #id) and the units below it")
    invite = sub.add_parser("invite", help="print a single-use invitation code: whoever "
                            "types it in a chat with the bot (Telegram or Zalo) gets the role")
    invite.add_argument("unit", help="unit code (as in exports) or #id")
    invite.add_argument("role", choices=ROLES)
    remind = sub.add_parser("remind", help="send this week's digests now to everyone owed "
                            "one and not yet served (each person at most once a week)")
    remind.add_argument("--dry-run", action="store_true",
                        help="print who is owed a digest and what it says; send nothing")
    return parser.parse_args(argv)


async def _run(settings: Settings) -> None:
    """Long polling against Telegram or BOT_API_BASE_URL."""
    from bot.app import create_application, run_until_stopped

    application = await create_application(settings)
    await run_until_stopped(application)


async def _ask(settings: Settings, question: str) -> None:
    """Print the answer, its source and score, or the closest topics when not sure."""
    from bot.app import open_knowledge
    from bot.i18n import I18n
    from bot.rules.book import load_rulebook
    from handlers.ask import entry_text
    from storage.db import open_database

    tr = I18n(settings.default_locale, settings.tz).translator()
    db = await open_database(":memory:")
    try:
        knowledge = await open_knowledge(db, load_rulebook())
        result = await knowledge.answer(question)
    finally:
        await db.close()
    if result.entry is not None:
        print(f"[{result.entry.id}] {result.entry.topic}")
        print(entry_text(tr, result.entry))
    else:
        print(tr.gettext("Not sure: no entry is close enough."))
    print(tr.gettext("Score: {score}", score=tr.number(result.score, digits=3)))
    for entry in result.alternatives:
        print(f"  ~ [{entry.id}] {entry.topic}")


async def _migrate(settings: Settings) -> int:
    """Apply pending migrations and return the schema version."""
    from storage.db import open_database
    from storage.migrations import current_version

    db = await open_database(settings.database_path)
    try:
        return await current_version(db)
    finally:
        await db.close()


async def _import(settings: Settings, path: Path, dry_run: bool) -> int:
    """Check (and unless dry_run apply) a file; print counts or every rejected row."""
    from bot.i18n import I18n
    from bot.rules.book import load_rulebook
    from bot.rules.calendar import WorkingCalendar
    from bot.rules.evaluate import stage_ranking
    from bot.transfer import describe, import_tables, read_file, table_defs
    from handlers.render import finding
    from storage.current import sync_stage_ranking
    from storage.db import open_database

    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    tr = I18n(settings.default_locale, settings.tz).translator()
    book = load_rulebook()
    tables, problems = read_file(path, book, tr)
    db = await open_database(settings.database_path)
    try:
        await sync_stage_ranking(db, stage_ranking(book))
        report = await import_tables(db, tables, book, WorkingCalendar(), tr,
                                     datetime.now(settings.tz).date(), dry_run, problems)
    finally:
        await db.close()
    titles = {d.key: d.title for d in table_defs(book)}
    for problem in report.problems:
        print(describe(tr, problem, titles, finding))
    counts = ", ".join(f"{table} +{n}" for table, n in report.added.items())
    counts += "".join(f", {table} ~{n}" for table, n in report.updated.items())
    if report.problems:
        print(tr.ngettext("{count} row rejected: nothing was imported.",
                          "{count} rows rejected: nothing was imported.",
                          len(report.problems)))
        return 1
    if dry_run:
        print(tr.gettext("Dry run: every row is fine; nothing was changed ({counts}).",
                         counts=counts or "0"))
    else:
        print(tr.gettext("Imported ({counts}).", counts=counts or "0"))
    return 0


async def _export(settings: Settings, dest: Path | None, unit: str | None) -> Path:
    """Write the whole database, or one unit's subtree, to a workbook or CSV folder."""
    from bot.i18n import I18n
    from bot.rules.book import load_rulebook
    from bot.transfer import export_rows, unit_by_ref, write_csv, write_xlsx
    from storage import audit
    from storage.db import open_database
    from storage.units import subtree_ids

    tr = I18n(settings.default_locale, settings.tz).translator()
    book = load_rulebook()
    dest = dest or Path(f"export-{datetime.now(settings.tz):%Y%m%d}.xlsx")
    db = await open_database(settings.database_path)
    try:
        scope = None
        if unit:
            found = await unit_by_ref(db, unit)
            if found is None:
                raise LookupError(f"no unit has the code {unit!r}")
            scope = await subtree_ids(db, found["id"])
        tables = await export_rows(db, book, scope)
        await audit.record(db, None, "export", "unit", scope[0] if scope else None,
                           {"dest": str(dest)})
    finally:
        await db.close()
    if dest.suffix.lower() == ".xlsx":
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_xlsx(dest, tr, book, tables)
    else:
        write_csv(dest, tr, book, tables)
    return dest


async def _invite(settings: Settings, unit_ref: str, role: str) -> str:
    """A code for `role` on the unit, as an administrator would make it with /moi."""
    from bot.membership import Membership
    from bot.services import utc_now
    from bot.transfer import unit_by_ref
    from storage.access import Scope
    from storage.db import open_database

    db = await open_database(settings.database_path)
    try:
        unit = await unit_by_ref(db, unit_ref)
        if unit is None:
            raise LookupError(f"no unit has the code {unit_ref!r}")
        operator = Scope(person_id=None, roles=(), unit_ids=frozenset(), admin=True)
        code, expires = await Membership(db, utc_now, settings.invite_days).create_invite(
            operator, unit["id"], role)
    finally:
        await db.close()
    until = expires.astimezone(settings.tz)
    return f"{code} — {role} of {unit['name']}, valid until {until:%d/%m/%Y %H:%M}"


async def _remind(settings: Settings, dry_run: bool) -> int:
    """Send (or print) the digests owed this week, whatever the hour."""
    from bot.app import create_application, stop_application
    from bot.fanout import Fanout
    from handlers.context import SERVICES_KEY
    from handlers.reminders import digest_message, send_due

    if settings.bot_token is None and not dry_run:
        raise ValueError("BOT_TOKEN is not set: nowhere to send the digests")
    application = await create_application(settings.model_copy(update={"reminders": False}),
                                           token=settings.bot_token or "0:dry-run")
    services = application.bot_data[SERVICES_KEY]
    try:
        if dry_run:
            tr = services.i18n.translator()
            fanout = Fanout(services, send=None)  # type: ignore[arg-type]
            now = services.clock()
            week = fanout.owed_week(now)
            for recipient in await fanout.owed(week, now, True, None):
                digest = await fanout.compose(recipient)
                print(f"--- {recipient.full_name} ({services.channel} {recipient.chat_id})")
                print(digest_message(tr, digest, services.channel)[0])
            return 0
        await application.initialize()
        result = await send_due(application, any_time=True)
        print(result.summary())
        return 3 if result.busy else 0
    finally:
        await stop_application(application)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m bot` and of the `ptdv-bot` script."""
    args = parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    command = args.command or "run"
    if command == "run" and settings.is_demo:
        print("BOT_TOKEN is not set: starting the local demo instead.", file=sys.stderr)
        command = "demo"
    try:
        return _dispatch(command, args, settings)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # one clear line for the operator; details in the log
        logging.getLogger(__name__).debug("fatal", exc_info=True)
        print(f"Error: {exc}", file=sys.stderr)
        return 1


def _dispatch(command: str, args: argparse.Namespace, settings: Settings) -> int:
    """Run one subcommand."""
    if command == "demo":
        from bot.demo import run_demo

        asyncio.run(run_demo(settings, port=getattr(args, "port", None),
                             reset=getattr(args, "reset", False)))
    elif command == "run":
        asyncio.run(_run(settings))
    elif command == "ask":
        asyncio.run(_ask(settings, " ".join(args.question)))
    elif command == "migrate":
        version = asyncio.run(_migrate(settings))
        print(f"{settings.database_path}: schema version {version}")
    elif command == "backup":
        from storage.db import backup

        print(backup(settings.database_path, Path(args.dest)))
    elif command == "import":
        return asyncio.run(_import(settings, args.file, args.dry_run))
    elif command == "export":
        print(asyncio.run(_export(settings, args.dest, args.unit)))
    elif command == "invite":
        print(asyncio.run(_invite(settings, args.unit, args.role)))
    elif command == "remind":
        return asyncio.run(_remind(settings, args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
