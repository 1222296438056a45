"""Import and export of units, people, quotas and candidates: CSV files or one workbook.

A file (an `.xlsx` workbook with one sheet per table, a `.csv` named after its table, or
a folder of such CSV files) is read into tables; `import_tables` applies every row inside
one transaction, each row in a savepoint, so that a bad row is reported (sheet, row
number, why) and skipped while the others are still checked. The transaction is
committed only when no row was rejected and this is not a dry run: an import is
all-or-nothing, and a dry run lists exactly what a real run would reject.

Headers and code values (unit kinds, roles, sources, gender) are accepted as the code or
as their name in the catalog (any case, with or without diacritics); exports write the
names, so an exported file imports back unchanged. Units are referred to by their code,
or `#id` for a unit without one; candidates by `#id` in the first column (empty for a new
candidate). Stage columns hold the date of each step; steps are checked against the rule
book as the chat form checks them, and recorded history is never changed by an import.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.forms import GENDERS, SEGMENTS, YES_NO
from bot.i18n import N_, Translator
from bot.labels import KIND_LABELS, ROLE_LABELS, SEGMENT_LABELS, STAGE_LABELS
from bot.parsing import NAME_MAX_LENGTH, parse_date
from bot.pipeline import check_birth_date
from bot.quotas import FIRST_TERM_START, TERM_YEARS
from bot.rules.book import RuleBook
from bot.rules.calendar import WorkingCalendar
from bot.rules.evaluate import CandidateFacts, StageRecord, check_stage_event
from bot.text import clean, fold
from storage import audit, candidates, people, quotas, reports, units

GENDER_LABELS = {"male": N_("Male"), "female": N_("Female"), "other": N_("Other")}
YES_NO_LABELS = {"yes": N_("Yes"), "no": N_("No")}
CHANNEL_COLUMNS = {"telegram": "telegram_id", "zalo": "zalo_id"}
# Short words people type instead of the full names (the chat forms accept the same).
ALIASES = {c.value: c.aliases for c in (*SEGMENTS, *GENDERS, *YES_NO)}
MAX_TEXT = 500  # a note or helper name longer than this is refused, not cut


@dataclass(frozen=True)
class Column:
    """One column of a table: its code, its header in the catalog, whether required."""

    key: str
    label: str
    required: bool = False


@dataclass(frozen=True)
class TableDef:
    key: str
    title: str
    columns: tuple[Column, ...]


def table_defs(book: RuleBook) -> tuple[TableDef, ...]:
    """The four tables in the order they are imported (later ones refer to earlier)."""
    stages = tuple(Column(f"stage:{code}", STAGE_LABELS[code])
                   for code in [*book.pipeline_codes(), *book.terminal_codes()])
    return (
        TableDef("units", N_("Units"), (
            Column("code", N_("Code"), True), Column("name", N_("Name"), True),
            Column("kind", N_("Kind"), True), Column("parent", N_("Parent unit")))),
        TableDef("people", N_("People"), (
            Column("full_name", N_("Full name"), True), Column("phone", N_("Phone")),
            Column("telegram_id", N_("Telegram ID")), Column("zalo_id", N_("Zalo ID")),
            Column("unit", N_("Unit")), Column("role", N_("Role")))),
        TableDef("quotas", N_("Quotas"), (
            Column("unit", N_("Unit"), True), Column("period", N_("Period"), True),
            Column("segment", N_("Source")), Column("target", N_("Target"), True))),
        TableDef("candidates", N_("Candidates"), (
            Column("ref", N_("No.")), Column("full_name", N_("Full name"), True),
            Column("birth_date", N_("Date of birth")), Column("gender", N_("Gender")),
            Column("cell", N_("Party cell"), True), Column("youth_branch", N_("Youth branch")),
            Column("doan_vien", N_("Youth Union member")), Column("segment", N_("Source")),
            Column("helper_name", N_("Helping member")), Column("note", N_("Note")),
            *stages)),
    )


# ------------------------------------------------------------------------ problems

PROBLEM_MESSAGES = {
    "unknown_table": N_("unknown sheet or file «{name}»: expected one of {expected}"),
    "unknown_column": N_("unknown column «{name}»"),
    "missing_column": N_("the column «{name}» is missing"),
    "required": N_("«{column}» is empty"),
    "bad_value": N_("«{column}»: «{value}» is not one of the allowed values"),
    "bad_date": N_("«{column}»: «{value}» is not a date (dd/mm/yyyy)"),
    "bad_number": N_("«{column}»: «{value}» is not a whole number"),
    "bad_period": N_("«{column}»: «{value}» is not a year (2026) or a term (nhiệm kỳ 2025)"),
    "too_long": N_("«{column}» is longer than {limit} characters"),
    "unknown_unit": N_("«{column}»: no unit has the code «{value}»"),
    "wrong_kind": N_("«{column}»: «{value}» is not a {kind}"),
    "kind_not_allowed": N_("a unit of this kind cannot be placed under «{value}»"),
    "unit_and_role": N_("give both the unit and the role, or neither"),
    "no_identity": N_("give a Telegram ID, a Zalo ID or a phone number"),
    "identity_taken": N_("{channel} ID {value} already belongs to someone else"),
    "unknown_candidate": N_("no candidate has the number «{value}»"),
    "duplicate_candidate": N_("this candidate is already recorded (number #{id})"),
    "no_stage": N_("give at least the date the candidate was identified"),
    "stage_date_differs": N_("«{column}» is recorded as {recorded}; correct recorded steps "
                             "in the chat with /sua"),
    "stage_refused": N_("«{column}»: {reason}"),
    "refused_by_database": N_("refused by the database: {detail}"),
}


@dataclass(frozen=True)
class Problem:
    """Why a row (or a whole sheet, row 0) is rejected."""

    table: str
    row: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class RowError(Exception):
    """The row cannot be imported."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def describe(tr: Translator, problem: Problem, titles: dict[str, str],
             finding_text) -> str:
    """`Sheet «Units», row 4: «Kind»: «xyz» is not one of the allowed values`."""
    params = dict(problem.params)
    if "finding" in params:
        params["reason"] = finding_text(tr, params.pop("finding"))
    for key, value in params.items():
        if isinstance(value, date):
            params[key] = tr.date(value)
    text = tr.gettext(PROBLEM_MESSAGES[problem.code], **params)
    title = tr.gettext(titles.get(problem.table, problem.table))
    if problem.row:
        return tr.gettext("Sheet «{sheet}», row {row}: {problem}", sheet=title,
                          row=problem.row, problem=text)
    return tr.gettext("Sheet «{sheet}»: {problem}", sheet=title, problem=text)


# ------------------------------------------------------------------------ reading


@dataclass
class Table:
    """A sheet as read: its table code, then each row as {column code: cell value}."""

    key: str
    rows: list[tuple[int, dict[str, Any]]]


def _matches(text: str, tr: Translator, key: str, label: str) -> bool:
    folded = fold(str(text))
    return folded in (fold(key), fold(tr.gettext(label)), fold(label))


def _sheet_key(name: str, defs: Sequence[TableDef], tr: Translator) -> str | None:
    return next((d.key for d in defs if _matches(name, tr, d.key, d.title)), None)


def read_file(path: Path, book: RuleBook, tr: Translator
              ) -> tuple[list[Table], list[Problem]]:
    """Read a workbook, a CSV file or a folder of CSV files into tables (in import order)."""
    defs = table_defs(book)
    sheets: list[tuple[str, list[list[Any]]]] = []
    if path.is_dir():
        sheets = [(p.stem, _read_csv(p)) for p in sorted(path.glob("*.csv"))]
    elif path.suffix.lower() == ".csv":
        sheets = [(path.stem, _read_csv(path))]
    else:
        sheets = _read_xlsx(path)
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    expected = ", ".join(tr.gettext(d.title) for d in defs)
    for name, grid in sheets:
        key = _sheet_key(name, defs, tr)
        if key is None:
            problems.append(Problem(name, 0, "unknown_table", {"name": name,
                                                              "expected": expected}))
            continue
        table_def = next(d for d in defs if d.key == key)
        table, sheet_problems = _table(table_def, grid, tr)
        tables[key] = table
        problems += sheet_problems
    return [tables[d.key] for d in defs if d.key in tables], problems


def _read_csv(path: Path) -> list[list[Any]]:
    """UTF-8 (with or without the BOM Excel writes), comma, semicolon or tab separated."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _read_xlsx(path: Path) -> list[tuple[str, list[list[Any]]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return [(sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
                for sheet in workbook.worksheets]
    finally:
        workbook.close()


def _table(table_def: TableDef, grid: list[list[Any]], tr: Translator
           ) -> tuple[Table, list[Problem]]:
    """Map headers to column codes; rows keep their spreadsheet row numbers (header = 1)."""
    problems: list[Problem] = []
    if not grid:
        return Table(table_def.key, []), problems
    positions: dict[str, int] = {}
    for index, header in enumerate(grid[0]):
        if header is None or not str(header).strip():
            continue
        column = next((c for c in table_def.columns
                       if _matches(header, tr, c.key, c.label)), None)
        if column is None:
            problems.append(Problem(table_def.key, 1, "unknown_column", {"name": header}))
        else:
            positions[column.key] = index
    for column in table_def.columns:
        if column.required and column.key not in positions:
            problems.append(Problem(table_def.key, 1, "missing_column",
                                    {"name": tr.gettext(column.label)}))
    rows = []
    for number, cells in enumerate(grid[1:], start=2):
        values = {key: _cell(cells[i]) if i < len(cells) else None
                  for key, i in positions.items()}
        if any(v not in (None, "") for v in values.values()):
            rows.append((number, values))
    return Table(table_def.key, rows), problems


def _cell(value: Any) -> Any:
    """Strings trimmed, whole floats as ints, datetimes as dates, blanks as None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = clean(value)
        return value or None
    return value


# ------------------------------------------------------------------------ importing


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or a rejected file, would have done)."""

    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False


@dataclass
class _Importer:
    db: aiosqlite.Connection
    book: RuleBook
    calendar: WorkingCalendar
    tr: Translator
    today: date
    report: ImportReport

    def label(self, table: str, key: str) -> str:
        table_def = next(d for d in table_defs(self.book) if d.key == table)
        return self.tr.gettext(next(c.label for c in table_def.columns if c.key == key))

    def count(self, table: str, added: bool) -> None:
        counts = self.report.added if added else self.report.updated
        counts[table] = counts.get(table, 0) + 1

    # -------------------------------------------------------------- values

    def text(self, table: str, row: dict[str, Any], key: str, required: bool = False,
             limit: int = MAX_TEXT) -> str | None:
        value = row.get(key)
        if value is None or str(value).strip() == "":
            if required:
                raise RowError("required", column=self.label(table, key))
            return None
        text = clean(str(value))
        if len(text) > limit:
            raise RowError("too_long", column=self.label(table, key), limit=limit)
        return text

    def choice(self, table: str, row: dict[str, Any], key: str, labels: dict[str, str],
               required: bool = False) -> str | None:
        value = self.text(table, row, key, required)
        if value is None:
            return None
        code = next((c for c, label in labels.items()
                     if _matches(value, self.tr, c, label)
                     or fold(value) in ALIASES.get(c, ())), None)
        if code is None:
            raise RowError("bad_value", column=self.label(table, key), value=value)
        return code

    def date_value(self, table: str, row: dict[str, Any], key: str) -> date | None:
        value = row.get(key)
        if value is None or isinstance(value, date):
            return value
        parsed = parse_date(str(value), self.today)
        if parsed is None:
            raise RowError("bad_date", column=self.label(table, key), value=value)
        return parsed

    async def unit(self, table: str, row: dict[str, Any], key: str, required: bool = False,
                   kind: str | None = None) -> int | None:
        ref = self.text(table, row, key, required)
        if ref is None:
            return None
        found = await unit_by_ref(self.db, ref)
        if found is None:
            raise RowError("unknown_unit", column=self.label(table, key), value=ref)
        if kind and found["kind"] != kind:
            raise RowError("wrong_kind", column=self.label(table, key), value=ref,
                           kind=self.tr.gettext(KIND_LABELS[kind]).lower())
        return found["id"]

    # -------------------------------------------------------------- tables

    async def units_row(self, row: dict[str, Any]) -> None:
        code = self.text("units", row, "code", required=True, limit=40)
        name = self.text("units", row, "name", required=True, limit=200)
        kind = self.choice("units", row, "kind", KIND_LABELS, required=True)
        parent = await self.unit("units", row, "parent")
        existing = await unit_by_ref(self.db, code)
        try:
            if existing is None and code.startswith("#"):
                raise RowError("unknown_unit", column=self.label("units", "code"), value=code)
            if existing is None:
                await units.add_unit(self.db, kind, name, parent, code=code)
                self.count("units", True)
            elif (existing["name"], existing["kind"], existing["parent_id"]) != (
                    name, kind, parent):
                await self.db.execute("UPDATE units SET name = ?, kind = ?, parent_id = ? "
                                      "WHERE id = ?", (name, kind, parent, existing["id"]))
                self.count("units", False)
        except sqlite3.IntegrityError as exc:
            if "kind not allowed" in str(exc):
                raise RowError("kind_not_allowed", value=row.get("parent")) from exc
            raise

    async def people_row(self, row: dict[str, Any]) -> None:
        name = self.text("people", row, "full_name", required=True, limit=NAME_MAX_LENGTH)
        phone = self.text("people", row, "phone", limit=20)
        ids = {channel: self.text("people", row, column, limit=40)
               for channel, column in CHANNEL_COLUMNS.items()}
        role = self.choice("people", row, "role", ROLE_LABELS)
        unit = await self.unit("people", row, "unit")
        if (role is None) != (unit is None):
            raise RowError("unit_and_role")
        if not phone and not any(ids.values()):
            raise RowError("no_identity")
        person = await _find_person(self.db, ids, phone)
        if person is None:
            person_id = await people.add_person(self.db, name, phone)
            self.count("people", True)
        else:
            person_id = person["id"]
            if (person["full_name"], person["phone"]) != (name, phone or person["phone"]):
                await self.db.execute("UPDATE people SET full_name = ?, phone = ? WHERE id = ?",
                                      (name, phone or person["phone"], person_id))
                self.count("people", False)
        for channel, external_id in ids.items():
            if external_id:
                try:
                    await people.link_identity(self.db, person_id, channel, external_id)
                except people.IdentityTakenError as exc:
                    raise RowError("identity_taken", channel=channel.capitalize(),
                                   value=external_id) from exc
        if unit is not None and await people.grant_role(self.db, person_id, unit, role):
            self.count("roles", True)

    async def quotas_row(self, row: dict[str, Any]) -> None:
        unit = await self.unit("quotas", row, "unit", required=True)
        period = self.text("quotas", row, "period", required=True)
        bounds = parse_period(period)
        if bounds is None:
            raise RowError("bad_period", column=self.label("quotas", "period"), value=period)
        segment = self.choice("quotas", row, "segment", SEGMENT_LABELS)
        target = row.get("target")
        if not isinstance(target, int) or isinstance(target, bool):
            text = str(target or "").replace(".", "").replace(",", "").strip()
            if not text.isdigit():
                raise RowError("bad_number", column=self.label("quotas", "target"),
                               value=target)
            target = int(text)
        if target < 0:
            raise RowError("bad_number", column=self.label("quotas", "target"), value=target)
        kind, start, end = bounds
        before = await self.db.execute_fetchall(
            "SELECT target FROM quotas WHERE unit_id = ? AND period_kind = ? AND "
            "period_start = ? AND ifnull(segment, '') = ifnull(?, '')",
            (unit, kind, start.isoformat(), segment))
        if before and before[0][0] == target:
            return
        await quotas.set_quota(self.db, unit, kind, start, end, target, segment)
        self.count("quotas", not before)

    async def candidates_row(self, row: dict[str, Any]) -> None:
        t = "candidates"
        name = self.text(t, row, "full_name", required=True, limit=NAME_MAX_LENGTH)
        birth = self.date_value(t, row, "birth_date")
        if birth is not None:
            refusals = [f for f in check_birth_date(birth, self.today) if f.severity == "refuse"]
            if refusals:
                raise RowError("stage_refused", column=self.label(t, "birth_date"),
                               finding=refusals[0])
        fields = {
            "full_name": name, "birth_date": birth.isoformat() if birth else None,
            "gender": self.choice(t, row, "gender", GENDER_LABELS),
            "cell_id": await self.unit(t, row, "cell", required=True, kind="cell"),
            "youth_branch_id": await self.unit(t, row, "youth_branch", kind="youth_branch"),
            "is_doan_vien": int(self.choice(t, row, "doan_vien", YES_NO_LABELS) == "yes"),
            "segment": self.choice(t, row, "segment", SEGMENT_LABELS),
            "helper_name": self.text(t, row, "helper_name"),
            "note": self.text(t, row, "note"),
        }
        steps = sorted(((code, when) for code in self.book.pipeline_codes()
                        + self.book.terminal_codes()
                        if (when := self.date_value(t, row, f"stage:{code}")) is not None),
                       key=lambda s: (s[1], self.book.stage(s[0]).order))
        ref = self.text(t, row, "ref")
        if ref:
            candidate_id = await self._update_candidate(ref, fields)
        else:
            candidate_id = await self._new_candidate(fields, steps)
        recorded = {e["stage"]: date.fromisoformat(e["event_date"])
                    for e in await candidates.effective_events(self.db, candidate_id)}
        history = [StageRecord(s, d) for s, d in recorded.items()]
        facts = CandidateFacts(birth_date=birth, is_doan_vien=bool(fields["is_doan_vien"]),
                               segment=fields["segment"])
        added = []
        for code, when in steps:
            column = self.tr.gettext(STAGE_LABELS[code])
            if code in recorded:
                if recorded[code] != when:
                    raise RowError("stage_date_differs", column=column,
                                   recorded=recorded[code])
                continue
            refusals = [f for f in check_stage_event(self.book, facts, history, code, when,
                                                     self.today, self.calendar)
                        if f.severity == "refuse"]
            if refusals:
                raise RowError("stage_refused", column=column, finding=refusals[0])
            await candidates.add_stage_event(self.db, candidate_id, code, when,
                                             note=self.tr.gettext("imported from a file"))
            history.append(StageRecord(code, when))
            added.append(code)
        if ref and added:
            self.count("stages", True)
        if added or not ref:
            await audit.record(self.db, None, "candidate.import", "candidate", candidate_id,
                               {"stages": added})

    async def _new_candidate(self, fields: dict[str, Any], steps: list) -> int:
        if not steps or steps[0][0] != "identified":
            raise RowError("no_stage")
        same = await self.db.execute_fetchall(
            "SELECT id FROM candidates WHERE name_folded = ? AND cell_id = ? "
            "AND birth_date IS ?", (fold(fields["full_name"]), fields["cell_id"],
                                    fields["birth_date"]))
        if same:
            raise RowError("duplicate_candidate", id=same[0][0])
        self.count("candidates", True)
        return await candidates.add_candidate(
            self.db, fields["full_name"], fields["cell_id"],
            birth_date=date.fromisoformat(fields["birth_date"]) if fields["birth_date"]
            else None,
            gender=fields["gender"], youth_branch_id=fields["youth_branch_id"],
            is_doan_vien=bool(fields["is_doan_vien"]), segment=fields["segment"],
            helper_name=fields["helper_name"], note=fields["note"])

    async def _update_candidate(self, ref: str, fields: dict[str, Any]) -> int:
        match = re.fullmatch(r"#?\s*(\d+)", ref)
        existing = await candidates.get_candidate(self.db, int(match[1])) if match else None
        if existing is None:
            raise RowError("unknown_candidate", value=ref)
        changed = {k: v for k, v in fields.items() if existing[k] != v}
        if changed:
            await candidates.update_candidate(self.db, existing["id"], changed)
            await audit.record(self.db, None, "candidate.import", "candidate", existing["id"],
                               {"changed": sorted(changed)})
            self.count("candidates", False)
        return existing["id"]


def parse_period(text: str) -> tuple[str, date, date] | None:
    """`2026` / `năm 2026` → the year; `nhiệm kỳ 2025`, `NK 2025-2030`, `term 2025` → the
    term starting that year (terms start in 2020, 2025, 2030 ...)."""
    folded = fold(text)
    years = re.findall(r"\d{4}", folded)
    if not years:
        return None
    year = int(years[0])
    if re.search(r"\b(nhiem ky|nk|term)\b", folded):
        if (year - FIRST_TERM_START) % TERM_YEARS:
            return None
        return "term", date(year, 1, 1), date(year + TERM_YEARS, 12, 31)
    if len(years) > 1:
        return None
    return "year", date(year, 1, 1), date(year, 12, 31)


async def import_tables(db: aiosqlite.Connection, tables: Iterable[Table], book: RuleBook,
                        calendar: WorkingCalendar, tr: Translator, today: date,
                        dry_run: bool, problems: Sequence[Problem] = ()) -> ImportReport:
    """Check every row and apply the file in one transaction, only if nothing is wrong."""
    report = ImportReport(problems=list(problems))
    importer = _Importer(db, book, calendar, tr, today, report)
    await db.execute("BEGIN IMMEDIATE")
    try:
        for table in tables:
            handle = getattr(importer, f"{table.key}_row")
            for number, row in table.rows:
                await db.execute("SAVEPOINT import_row")
                try:
                    await handle(row)
                except RowError as exc:
                    await db.execute("ROLLBACK TO import_row")
                    report.problems.append(Problem(table.key, number, exc.code, exc.params))
                except sqlite3.IntegrityError as exc:
                    await db.execute("ROLLBACK TO import_row")
                    report.problems.append(Problem(table.key, number, "refused_by_database",
                                                   {"detail": str(exc)}))
                await db.execute("RELEASE import_row")
        if dry_run or report.problems:
            await db.execute("ROLLBACK")
        else:
            await audit.record(db, None, "import", None, None,
                               {"added": report.added, "updated": report.updated})
            await db.execute("COMMIT")
            report.applied = True
    except BaseException:
        if db.in_transaction:
            await db.execute("ROLLBACK")
        raise
    return report


async def unit_by_ref(db: aiosqlite.Connection, ref: str) -> dict[str, Any] | None:
    """A unit by its code, or by `#id`."""
    match = re.fullmatch(r"#\s*(\d+)", ref)
    if match:
        return await units.get_unit(db, int(match[1]))
    rows = await db.execute_fetchall("SELECT * FROM units WHERE code = ?", (ref,))
    return dict(rows[0]) if rows else None


async def _find_person(db: aiosqlite.Connection, ids: dict[str, str | None],
                       phone: str | None) -> dict[str, Any] | None:
    for channel, external_id in ids.items():
        if external_id:
            person = await people.person_by_identity(db, channel, external_id)
            if person:
                return person
    if phone:
        rows = await db.execute_fetchall("SELECT * FROM people WHERE phone = ?", (phone,))
        return dict(rows[0]) if rows else None
    return None


# ------------------------------------------------------------------------ exporting


async def export_rows(db: aiosqlite.Connection, book: RuleBook, unit_ids: Iterable[int] | None
                      ) -> dict[str, list[dict[str, Any]]]:
    """Every table as rows of {column code: value} (codes, dates), limited to the units
    given (None: everything), candidates by their cell or youth branch."""
    scope = None if unit_ids is None else sorted(set(unit_ids))
    all_units = await units.list_units(db)
    kept = [u for u in all_units if scope is None or u["id"] in scope]
    ref = await _unit_refs(db, all_units)
    tables: dict[str, list[dict[str, Any]]] = {
        "units": [{"code": ref[u["id"]], "name": u["name"], "kind": u["kind"],
                   "parent": ref.get(u["parent_id"]) if u["parent_id"] else None}
                  for u in _tree_order(kept)],
    }
    role_rows = await db.execute_fetchall(
        """SELECT p.id, p.full_name, p.phone, r.unit_id, r.role,
                  (SELECT external_id FROM identities WHERE person_id = p.id
                   AND channel = 'telegram') AS telegram_id,
                  (SELECT external_id FROM identities WHERE person_id = p.id
                   AND channel = 'zalo') AS zalo_id
           FROM people AS p JOIN roles AS r ON r.person_id = p.id
           ORDER BY p.full_name, p.id, r.unit_id, r.role""")
    tables["people"] = [
        {"full_name": r["full_name"], "phone": r["phone"], "telegram_id": r["telegram_id"],
         "zalo_id": r["zalo_id"], "unit": ref[r["unit_id"]], "role": r["role"]}
        for r in role_rows if scope is None or r["unit_id"] in scope]
    quota_rows = await db.execute_fetchall(
        "SELECT * FROM quotas ORDER BY unit_id, period_start, period_kind, segment")
    tables["quotas"] = [
        {"unit": ref[q["unit_id"]], "period": (q["period_kind"], q["period_start"][:4]),
         "segment": q["segment"], "target": q["target"]}
        for q in quota_rows if scope is None or q["unit_id"] in scope]
    tables["candidates"] = await candidate_rows(db, book, scope, ref)
    return tables


async def candidate_rows(db: aiosqlite.Connection, book: RuleBook,
                         scope: Sequence[int] | None, ref: dict[int, str] | None = None
                         ) -> list[dict[str, Any]]:
    """Candidates of the units (None: all) with the date of each effective step."""
    ref = ref or await _unit_refs(db)
    rows, steps = await reports.candidates_with_steps(db, scope)
    result = []
    for c in rows:
        row = {"ref": f"#{c['id']}", "full_name": c["full_name"],
               "birth_date": _iso(c["birth_date"]), "gender": c["gender"],
               "cell": ref[c["cell_id"]],
               "youth_branch": ref[c["youth_branch_id"]] if c["youth_branch_id"] else None,
               "doan_vien": "yes" if c["is_doan_vien"] else "no", "segment": c["segment"],
               "helper_name": c["helper_name"], "note": c["note"],
               "current_stage": c["current_stage"], "cell_id": c["cell_id"]}
        for stage, when in steps.get(c["id"], {}).items():
            row[f"stage:{stage}"] = _iso(when)
        result.append(row)
    return result


async def _unit_refs(db: aiosqlite.Connection, all_units: list[dict[str, Any]] | None = None
                     ) -> dict[int, str]:
    """How files name each unit: its code, or `#id` for a unit without one."""
    all_units = all_units if all_units is not None else await units.list_units(db)
    return {u["id"]: u["code"] or f"#{u['id']}" for u in all_units}


def _iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _tree_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents before children (the order an import needs), siblings by name."""
    kept = {u["id"] for u in rows}
    children: dict[int | None, list[dict[str, Any]]] = {}
    for u in rows:
        parent = u["parent_id"] if u["parent_id"] in kept else None
        children.setdefault(parent, []).append(u)
    ordered: list[dict[str, Any]] = []
    stack = sorted(children.get(None, []), key=lambda u: u["name"], reverse=True)
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack += sorted(children.get(unit["id"], []), key=lambda u: u["name"], reverse=True)
    return ordered


def shown_value(tr: Translator, key: str, value: Any) -> Any:
    """A cell as a person reads it: code values named, periods worded, dates kept."""
    if value is None:
        return None
    labels = {"kind": KIND_LABELS, "role": ROLE_LABELS, "segment": SEGMENT_LABELS,
              "gender": GENDER_LABELS, "doan_vien": YES_NO_LABELS}.get(key)
    if labels:
        return tr.gettext(labels[value])
    if key == "period":
        kind, year = value
        return tr.gettext("year {year}", year=year) if kind == "year" else \
            tr.gettext("term {start}–{end}", start=year, end=int(year) + TERM_YEARS)
    return value


def header_and_cells(tr: Translator, table_def: TableDef, rows: list[dict[str, Any]]
                     ) -> tuple[list[str], list[list[Any]]]:
    """The header row and the cells of a table, as written to a sheet or a CSV file."""
    columns = table_def.columns
    header = [tr.gettext(c.label) for c in columns]
    return header, [[shown_value(tr, c.key, row.get(c.key)) for c in columns] for row in rows]


def add_sheet(workbook: Any, title: str, header: list[str], rows: Iterable[list[Any]]) -> Any:
    """A sheet with a bold, frozen header row; dates shown dd/mm/yyyy."""
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(title[:31])  # Excel's limit for sheet names
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
    return sheet


def write_xlsx(path_or_buffer: Any, tr: Translator, book: RuleBook,
               tables: dict[str, list[dict[str, Any]]]) -> None:
    """One sheet per table; dates as real dates shown dd/mm/yyyy."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table_def in table_defs(book):
        if table_def.key in tables:
            header, cells = header_and_cells(tr, table_def, tables[table_def.key])
            add_sheet(workbook, tr.gettext(table_def.title), header, cells)
    workbook.save(path_or_buffer)


def write_csv(folder: Path, tr: Translator, book: RuleBook,
              tables: dict[str, list[dict[str, Any]]]) -> list[Path]:
    """One CSV per table (UTF-8 with BOM so that Excel shows Vietnamese), dd/mm/yyyy."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table_def in table_defs(book):
        if table_def.key not in tables:
            continue
        header, cells = header_and_cells(tr, table_def, tables[table_def.key])
        path = folder / f"{table_def.key}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([tr.date(v) if isinstance(v, date) else v for v in row]
                             for row in cells)
        written.append(path)
    return written

