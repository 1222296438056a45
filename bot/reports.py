"""/baocao: a unit's workbook (summary, quota table, candidates) and its progress chart.

Built from the same queries as /donvi and the export, so the figures agree; the caller
checks the asker's scope and writes the audit row. Rendering happens off the event loop
(`asyncio.to_thread`): a workbook of a few thousand rows or a chart takes a moment.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot import quotas, unit_status
from bot.i18n import Translator
from bot.labels import SEGMENT_LABELS, period_label, stage_label
from bot.rules.book import RuleBook
from bot.transfer import add_sheet, candidate_rows, header_and_cells, table_defs
from storage.units import children, subtree_ids


@dataclass(frozen=True)
class UnitReport:
    """What goes into the files: the /donvi status, quota rows per sub-unit, candidates."""

    status: unit_status.UnitStatus
    progress: list[quotas.QuotaProgress]
    candidates: list[dict]
    today: date


async def gather(db: aiosqlite.Connection, unit_id: int, today: date, book: RuleBook,
                 stalled_weeks: int) -> UnitReport:
    """The unit's status, the quota progress of the unit and of each unit right below it,
    and every candidate of its subtree."""
    status = await unit_status.for_unit(db, unit_id, today, book, stalled_weeks)
    below = [child["id"] for child in await children(db, unit_id)]
    progress, seen = [], set()
    for item in [*await quotas.for_units(db, [unit_id], today, book),
                 *await quotas.for_units(db, below, today, book)]:
        key = (item.unit_name, item.period_kind, item.period_start, item.segment)
        if key not in seen:
            seen.add(key)
            progress.append(item)
    rows = await candidate_rows(db, book, await subtree_ids(db, unit_id))
    return UnitReport(status, progress, rows, today)


def _period(item: quotas.QuotaProgress) -> str:
    return f"{item.period_kind}:{item.period_start.year}"


def workbook_bytes(tr: Translator, book: RuleBook, report: UnitReport) -> bytes:
    """Sheets: summary (steps, sources), quotas (target, admitted, %), candidates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    summary = workbook.active
    summary.title = tr.gettext("Summary")[:31]
    status = report.status
    summary.append([status.unit_name])
    summary.append([tr.gettext("As of {date}", date=tr.date(report.today))])
    summary.append([])
    summary.append([tr.gettext("Step"), tr.gettext("Number of people")])
    summary.append([tr.gettext("All candidates"), sum(status.funnel.values())])
    for stage, count in status.funnel.items():
        summary.append([stage_label(tr, stage), count])
    summary.append([])
    summary.append([tr.gettext("Source (still in the pipeline)"), tr.gettext("Number of people")])
    for segment, count in status.segments.items():
        summary.append([tr.gettext(SEGMENT_LABELS[segment]) if segment
                        else tr.gettext("not recorded"), count])
    quota_sheet = add_sheet(
        workbook, tr.gettext("Quotas"),
        [tr.gettext("Unit"), tr.gettext("Period"), tr.gettext("Source"), tr.gettext("Target"),
         tr.gettext("Admitted"), tr.gettext("% of target"), tr.gettext("% of the period gone")],
        ([item.unit_name, period_label(tr, _period(item)),
          tr.gettext(SEGMENT_LABELS[item.segment]) if item.segment else None,
          item.target, item.admitted, round(item.achieved, 4), round(item.elapsed, 4)]
         for item in report.progress))
    for row in quota_sheet.iter_rows(min_row=2, min_col=6, max_col=7):
        for cell in row:
            cell.number_format = "0%"
    candidates_def = next(d for d in table_defs(book) if d.key == "candidates")
    header, cells = header_and_cells(tr, candidates_def, report.candidates)
    add_sheet(workbook, tr.gettext(candidates_def.title), [*header, tr.gettext("Current step")],
              ([*row, stage_label(tr, source["current_stage"])
                if source["current_stage"] else None]
               for row, source in zip(cells, report.candidates, strict=True)))
    for cell in summary[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def chart_png(tr: Translator, report: UnitReport) -> bytes | None:
    """Bars of target and admitted for each quota row (None when there is no quota)."""
    if not report.progress:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    items = report.progress[:20]
    labels = [_short(item.unit_name) + "\n" + period_label(tr, _period(item))
              + (f" · {tr.gettext(SEGMENT_LABELS[item.segment])}" if item.segment else "")
              for item in items]
    figure = Figure(figsize=(8, 1.2 + 0.6 * len(items)), dpi=100)
    axes = figure.add_subplot()
    positions = range(len(items))
    axes.barh([p + 0.2 for p in positions], [i.target for i in items], height=0.4,
              color="#c9d6e8", label=tr.gettext("Target"))
    axes.barh([p - 0.2 for p in positions], [i.admitted for i in items], height=0.4,
              color="#c62828", label=tr.gettext("Admitted"))
    for position, item in zip(positions, items, strict=True):
        axes.text(max(item.target, item.admitted) + 0.1, position,
                  tr.percent(item.achieved) if item.target else "—", va="center", fontsize=9)
    axes.set_yticks(list(positions), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_title(tr.gettext("{unit}: admitted against target, as of {date}",
                              unit=report.status.unit_name, date=tr.date(report.today)),
                   fontsize=10)
    widest = max(max(i.target, i.admitted) for i in items)
    axes.set_xlim(0, widest * 1.3 + 1)  # room for the percentages and the legend
    axes.legend(loc="lower right", fontsize=8)
    axes.xaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _short(name: str, limit: int = 32) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


async def render(tr: Translator, book: RuleBook, report: UnitReport
                 ) -> tuple[bytes, bytes | None]:
    """The workbook and the chart, built off the event loop."""
    return await asyncio.gather(asyncio.to_thread(workbook_bytes, tr, book, report),
                                asyncio.to_thread(chart_png, tr, report))
