"""The local demo: emulator + web chat + the bot on a seeded, fictional province.

Runs with no Telegram token and no internet: `python -m bot` prints a URL to open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import aiosqlite

from bot.channels.emulator import DemoUser, Emulator
from bot.config import Settings
from bot.i18n import I18n
from bot.channels.emulator.zalo_api import zalo_id
from storage import candidates, people, quotas, units
from storage.db import open_database, transaction
from storage.zalo import ZaloIds

logger = logging.getLogger(__name__)

DEMO_TOKEN = "123456:DEMO-LOCAL-EMULATOR"

# Stage codes in pipeline order (the rule book of issue 3 owns their rules).
PIPELINE = (
    "identified", "youth_introduced", "awareness_class_done", "application_filed",
    "background_verified", "introducers_recorded", "cell_voted", "committee_voted",
    "admission_decided", "ceremony_held", "new_member_class_done", "full_member",
)


@dataclass(frozen=True)
class DemoCandidate:
    """One seeded candidate: who, where, and how far along (stage reached, days ago)."""

    full_name: str
    age_days: int
    gender: str
    cell: str
    segment: str
    is_doan_vien: bool
    last_stage: str
    last_stage_days_ago: int
    helper_name: str = "Nguyễn Văn Bình"


DEMO_CANDIDATES = (
    DemoCandidate("Nguyễn Thị Mai", 17 * 365 + 330, "female", "thpt", "thpt", True,
                  "awareness_class_done", 20),
    DemoCandidate("Trần Văn Hậu", 18 * 365 + 60, "male", "thpt", "thpt", True,
                  "application_filed", 10),
    DemoCandidate("Đặng Thị Thu", 17 * 365 + 100, "female", "thpt", "thpt", True,
                  "youth_introduced", 45),
    DemoCandidate("Lê Thu Trang", 24 * 365, "female", "thon_dong", "residential", True,
                  "background_verified", 15),
    DemoCandidate("Ngô Đức Thắng", 27 * 365, "male", "thon_tay", "residential", True,
                  "identified", 140),
    DemoCandidate("Vũ Thị Hạnh", 31 * 365, "female", "thon_tay", "residential", False,
                  "ceremony_held", 340),
    DemoCandidate("Trịnh Thị Hoa", 29 * 365, "female", "thon_dong", "residential", True,
                  "new_member_class_done", 90),
    DemoCandidate("Phạm Quốc Bảo", 26 * 365, "male", "may_px1", "non_state_enterprise", True,
                  "cell_voted", 50),
    DemoCandidate("Hoàng Minh Tuấn", 33 * 365, "male", "may_px1", "non_state_enterprise", False,
                  "admission_decided", 40),
    DemoCandidate("Phan Văn Lợi", 28 * 365, "male", "may_px1", "non_state_enterprise", True,
                  "introducers_recorded", 25),
    DemoCandidate("Bùi Thị Lan Anh", 35 * 365, "female", "kp3", "state_agency", False,
                  "full_member", 30),
    DemoCandidate("Đỗ Văn Nam", 22 * 365, "male", "kp3", "residential", True,
                  "committee_voted", 12),
)

DEMO_USERS = (
    (DemoUser(1001, "Lan", "Nguyễn Thị", "bithu_thpt", "vi",
              "Bí thư Chi bộ Trường THPT Hòa An", "telegram"), "thpt", "cell_secretary"),
    (DemoUser(1002, "Hùng", "Trần Minh", "bithu_doan", "vi",
              "Bí thư Đoàn xã Hòa An", "telegram"), "doan_xa", "youth_secretary"),
    (DemoUser(1003, "Sơn", "Lê Văn", "quantri", "vi",
              "Quản trị — Tỉnh ủy Sơn Hà", "telegram"), "tinh", "admin"),
    (DemoUser(1004, "Hà", "Phạm Thu", "dangvien_kp3", "vi",
              "Đảng viên Chi bộ Khu phố 3", "telegram"), "kp3", "member"),
    # The same bot on Zalo: no buttons, answers typed (see README, Running on Zalo).
    (DemoUser(1005, "Hoa", "Phạm Thị", "bithu_cd_zalo", "vi",
              "Bí thư Chi đoàn thôn Đông – Tây — trên Zalo", "zalo"), "cd_thon",
     "youth_secretary"),
)


async def _seed_units(db: aiosqlite.Connection) -> dict[str, int]:
    """A fictional province with two communes/wards, cells and youth branches."""
    ids: dict[str, int] = {}

    async def add(key: str, kind: str, name: str, parent: str | None, short: str) -> None:
        ids[key] = await units.add_unit(db, kind, name, parent_id=ids.get(parent or ""),
                                        short_name=short, code=f"demo-{key}")

    await add("tinh", "province_committee", "Tỉnh ủy Sơn Hà (tỉnh mẫu)", None, "Tỉnh ủy")
    await add("xa", "commune_committee", "Đảng ủy xã Hòa An", "tinh", "ĐU xã Hòa An")
    await add("thpt", "cell", "Chi bộ Trường THPT Hòa An", "xa", "CB THPT Hòa An")
    await add("thon_dong", "cell", "Chi bộ thôn Đông", "xa", "CB thôn Đông")
    await add("thon_tay", "cell", "Chi bộ thôn Tây", "xa", "CB thôn Tây")
    await add("phuong", "commune_committee", "Đảng ủy phường Bến Cát", "tinh", "ĐU P. Bến Cát")
    await add("may", "grassroots_committee", "Đảng bộ Công ty CP May Bến Cát", "phuong",
              "ĐB May Bến Cát")
    await add("may_px1", "cell", "Chi bộ Phân xưởng 1", "may", "CB PX1")
    await add("kp3", "cell", "Chi bộ Khu phố 3", "phuong", "CB KP3")
    await add("doan_xa", "youth_base", "Đoàn xã Hòa An", "xa", "Đoàn xã Hòa An")
    await add("cd_thpt", "youth_branch", "Chi đoàn Trường THPT Hòa An", "doan_xa", "CĐ THPT")
    await add("cd_thon", "youth_branch", "Chi đoàn thôn Đông – Tây", "doan_xa", "CĐ thôn")
    await add("doan_may", "youth_base", "Đoàn cơ sở Công ty CP May Bến Cát", "may", "ĐCS May")
    await add("cd_px1", "youth_branch", "Chi đoàn Phân xưởng 1", "doan_may", "CĐ PX1")
    return ids


def _youth_branch_of(cell: str) -> str | None:
    """Which youth branch a seeded cell's đoàn viên belong to."""
    return {"thpt": "cd_thpt", "thon_dong": "cd_thon", "thon_tay": "cd_thon",
            "may_px1": "cd_px1"}.get(cell)


async def _seed_candidate(db: aiosqlite.Connection, ids: dict[str, int], c: DemoCandidate,
                          today: date) -> None:
    """Insert one candidate and the stage events leading to its current stage."""
    branch = _youth_branch_of(c.cell) if c.is_doan_vien else None
    candidate_id = await candidates.add_candidate(
        db, full_name=c.full_name, birth_date=today - timedelta(days=c.age_days),
        gender=c.gender, cell_id=ids[c.cell], youth_branch_id=ids.get(branch or ""),
        is_doan_vien=c.is_doan_vien, segment=c.segment, helper_name=c.helper_name,
    )
    stages = [s for s in PIPELINE[: PIPELINE.index(c.last_stage) + 1]
              if c.is_doan_vien or s != "youth_introduced"]
    for steps_back, stage in enumerate(reversed(stages)):
        when = today - timedelta(days=c.last_stage_days_ago + 21 * steps_back)
        await candidates.add_stage_event(db, candidate_id, stage, when)


async def seed_demo(db: aiosqlite.Connection, today: date) -> bool:
    """Fill an empty database with the demo province; returns False if it had data."""
    if await units.list_units(db):
        return False
    async with transaction(db):
        ids = await _seed_units(db)
        for c in DEMO_CANDIDATES:
            await _seed_candidate(db, ids, c, today)
        year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
        for key, target, members in (("xa", 8, 96), ("thpt", 3, 12), ("phuong", 6, 140),
                                     ("may", 4, 35)):
            await quotas.set_quota(db, ids[key], "year", year_start, year_end, target)
            await quotas.set_membership(db, ids[key], members, as_of=today)
        for user, unit_key, role in DEMO_USERS:
            person_id = await people.add_person(db, f"{user.last_name} {user.first_name}")
            external = str(user.id) if user.channel == "telegram" else \
                str(await ZaloIds(db).local("peer", zalo_id(user.id)))
            await people.link_identity(db, person_id, user.channel, external,
                                       display_name=user.first_name)
            await people.grant_role(db, person_id, ids[unit_key], role)
    return True


async def prepare_demo_database(settings: Settings, today: date, reset: bool = False) -> None:
    """Create (or recreate with `reset`) the demo database and seed it once."""
    path = settings.demo_database_path
    if reset:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    db = await open_database(path)
    try:
        if await seed_demo(db, today):
            logger.info("Seeded the demo database at %s", path)
    finally:
        await db.close()


def start_emulator(settings: Settings, port: int | None) -> Emulator:
    """Start the emulator with the demo users; falls back to a free port if taken."""
    wanted = settings.demo_port if port is None else port
    try:
        emulator = Emulator(host=settings.demo_host, port=wanted)
        emulator.start()
    except OSError:
        logger.warning("Port %s is busy; using a free port instead", wanted)
        emulator = Emulator(host=settings.demo_host, port=0)
        emulator.start()
    for user, _unit, _role in DEMO_USERS:
        emulator.add_user(user)
    return emulator


async def run_demo(settings: Settings, port: int | None = None, reset: bool = False) -> None:
    """Seed, start the emulator and web chat, and run the bot against it until Ctrl+C."""
    from bot.app import create_application, run_until_stopped

    await prepare_demo_database(settings, datetime.now(settings.tz).date(), reset)
    emulator = start_emulator(settings, port)
    demo_settings = settings.model_copy(update={"database_path": settings.demo_database_path})
    try:
        # Two bots on one database: Telegram users talk to the first, Zalo users (through
        # the emulator's Zalo dialect) to the second, as a real deployment would.
        telegram = await create_application(demo_settings, token=DEMO_TOKEN,
                                            base_url=f"{emulator.url}/bot")
        zalo = await create_application(
            demo_settings.model_copy(update={"channel": "zalo"}), token=DEMO_TOKEN,
            base_url=f"{emulator.url}/zalo/bot")
        tr = I18n(settings.default_locale, settings.tz).translator()
        banner = tr.gettext(
            "Demo is running: open {url} in a browser to chat with the bot. "
            "Press Ctrl+C to stop.", url=f"{emulator.url}/",
        )
        print(f"\n{banner}\n", flush=True)
        await run_until_stopped(telegram, zalo)
    finally:
        emulator.stop()
