"""A small organisation for the candidate tests: two cells, people with and without roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.channels.emulator import DemoUser
from storage import candidates, people, units
from storage.db import open_database

MINH = DemoUser(2002, "Minh", "Trần Văn", "minh", "vi", "Đảng viên chi bộ B")
STRANGER = DemoUser(3003, "Khách", None, "khach", "vi", "Chưa có vai trò")
HUNG = DemoUser(4004, "Hùng", "Lê Văn", "hung", "vi", "Bí thư Đoàn xã")


@dataclass
class Org:
    """Ids of what the fixture created."""

    cell_a: int
    cell_b: int
    branch_a: int
    mai: int  # a đoàn viên in cell A, awareness class done
    tuan: int  # in cell A, admission decided 10 days ago
    hoa: int  # in cell B
    lan_anh: int  # in cell A, already a full member


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def minh() -> DemoUser:
    return MINH


@pytest.fixture
def stranger() -> DemoUser:
    return STRANGER


@pytest.fixture
def hung() -> DemoUser:
    return HUNG


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def today() -> date:
    return datetime.now(timezone(timedelta(hours=7))).date()


@pytest.fixture
async def org(settings, emulator, lan, today, link_user) -> Org:
    """Province → commune → cells A and B (+ youth branch A); Lan secretary of A, Minh
    member of B, a stranger with no role."""
    for user in (MINH, STRANGER, HUNG):
        emulator.add_user(user)
    db = await open_database(settings.database_path)
    province = await units.add_unit(db, "province_committee", "Tỉnh ủy Thử")
    commune = await units.add_unit(db, "commune_committee", "Đảng ủy xã An Bình", province)
    cell_a = await units.add_unit(db, "cell", "Chi bộ thôn A", commune)
    cell_b = await units.add_unit(db, "cell", "Chi bộ thôn B", commune)
    youth = await units.add_unit(db, "youth_base", "Đoàn xã An Bình", commune)
    branch_a = await units.add_unit(db, "youth_branch", "Chi đoàn thôn A", youth)
    for user, unit, role in ((lan, cell_a, "cell_secretary"), (MINH, cell_b, "member"),
                             (HUNG, youth, "youth_secretary")):
        person = await people.add_person(db, f"{user.last_name} {user.first_name}")
        await link_user(db, person, user.id)
        await people.grant_role(db, person, unit, role)
    mai = await candidates.add_candidate(
        db, "Nguyễn Thị Mai", cell_a, birth_date=date(today.year - 20, 3, 1), gender="female",
        youth_branch_id=branch_a, is_doan_vien=True, segment="residential")
    for stage, days in (("identified", 90), ("youth_introduced", 60),
                        ("awareness_class_done", 30)):
        await candidates.add_stage_event(db, mai, stage, today - timedelta(days=days))
    tuan = await candidates.add_candidate(
        db, "Hoàng Minh Tuấn", cell_a, birth_date=date(today.year - 30, 5, 5), gender="male",
        is_doan_vien=False, segment="non_state_enterprise")
    stages = ("identified", "awareness_class_done", "application_filed", "background_verified",
              "introducers_recorded", "cell_voted", "committee_voted", "admission_decided")
    for back, stage in enumerate(reversed(stages)):
        await candidates.add_stage_event(db, tuan, stage, today - timedelta(days=10 + 20 * back))
    hoa = await candidates.add_candidate(db, "Trịnh Thị Hoa", cell_b,
                                         birth_date=date(today.year - 25, 1, 1))
    await candidates.add_stage_event(db, hoa, "identified", today - timedelta(days=5))
    lan_anh = await candidates.add_candidate(db, "Bùi Thị Lan Anh", cell_a,
                                             birth_date=date(today.year - 35, 2, 2))
    full = ("identified", "awareness_class_done", "application_filed", "background_verified",
            "introducers_recorded", "cell_voted", "committee_voted", "admission_decided",
            "ceremony_held", "new_member_class_done", "full_member")
    for back, stage in enumerate(reversed(full)):
        await candidates.add_stage_event(db, lan_anh, stage, today - timedelta(days=30 * back))
    await db.close()
    return Org(cell_a, cell_b, branch_a, mai, tuan, hoa, lan_anh)
