"""Names of codes (stages, roles, sources, unit kinds, periods) as catalog messages.

Shared by the chat replies, the reports and the import/export files.
"""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.quotas import period_bounds

STAGE_LABELS = {
    "identified": N_("Identified as an outstanding candidate"),
    "youth_introduced": N_("Introduced by the Youth Union"),
    "awareness_class_done": N_("Awareness class on the Party completed"),
    "application_filed": N_("Application and background declaration filed"),
    "background_verified": N_("Background verified"),
    "introducers_recorded": N_("Introducers recorded"),
    "cell_voted": N_("Party cell voted to propose admission"),
    "committee_voted": N_("Grassroots Party committee voted"),
    "admission_decided": N_("Admission decided"),
    "ceremony_held": N_("Admission ceremony held"),
    "new_member_class_done": N_("New-member class completed"),
    "full_member": N_("Recognised as a full member"),
    "withdrawn": N_("Withdrawn from the pipeline"),
    "not_admitted": N_("Not admitted"),
    "removed": N_("Removed from the rolls during probation"),
}

ROLE_LABELS = {
    "member": N_("Member"),
    "cell_deputy": N_("Deputy secretary of the Party cell"),
    "cell_secretary": N_("Secretary of the Party cell"),
    "youth_deputy": N_("Deputy secretary of the Youth Union"),
    "youth_secretary": N_("Secretary of the Youth Union"),
    "admin": N_("Administrator"),
}

SEGMENT_LABELS = {
    "thpt": N_("High-school (THPT) student"),
    "university": N_("University or college student"),
    "non_state_enterprise": N_("Non-state enterprise"),
    "residential": N_("Residential area (village, street group)"),
    "state_agency": N_("State agency or public service unit"),
    "armed_forces": N_("Armed forces"),
    "other": N_("Other"),
}

KIND_LABELS = {
    "province_committee": N_("Provincial Party committee"),
    "commune_committee": N_("Party committee of a commune or ward"),
    "grassroots_committee": N_("Grassroots Party committee"),
    "cell": N_("Party cell"),
    "youth_base": N_("Youth Union base"),
    "youth_branch": N_("Youth Union branch"),
}


def stage_label(tr: Translator, code: str | None) -> str:
    """A stage's name in the user's language."""
    if code is None:
        return tr.gettext("not started")
    return tr.gettext(STAGE_LABELS.get(code, code))


def period_label(tr: Translator, value: str) -> str:
    """`year:2026` → "năm 2026", `term:2025` → "nhiệm kỳ 2025–2030"."""
    kind, start, end = period_bounds(value)
    if kind == "year":
        return tr.gettext("year {year}", year=start.year)
    return tr.gettext("term {start}–{end}", start=start.year, end=end.year)


def role_label(tr: Translator, code: str) -> str:
    """A role's name in the user's language."""
    return tr.gettext(ROLE_LABELS.get(code, code))
