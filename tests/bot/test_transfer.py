"""`python -m bot import` / `export`: real files, a real database, the real command line."""

from __future__ import annotations

import asyncio
import csv
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from bot.demo import seed_demo
from bot.rules.book import load_rulebook
from bot.rules.evaluate import stage_ranking
from storage.current import sync_stage_ranking
from storage.db import open_database

TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
TABLES = ("units", "people", "roles", "quotas", "candidates", "stage_events")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """The demo province (codes demo-xa, demo-thpt, demo-cd_thpt ...) in a real file."""
    path = tmp_path / "bot.sqlite3"

    async def build() -> None:
        db = await open_database(path)
        await sync_stage_ranking(db, stage_ranking(load_rulebook()))  # as at start-up
        await seed_demo(db, TODAY)
        await db.close()

    asyncio.run(build())
    return path


def cli(database: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k.upper() != "BOT_TOKEN"}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True,
                          text=True, env={**env, "DATABASE_PATH": str(database)},
                          timeout=120, check=False)


def snapshot(database: Path) -> dict[str, list]:
    """Every row of the tables an import may touch."""
    with sqlite3.connect(database) as db:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def d(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).strftime("%d/%m/%Y")


def test_an_export_imports_back_without_changing_anything(database, tmp_path):
    before = snapshot(database)
    for dest in (tmp_path / "all.xlsx", tmp_path / "csv"):
        done = cli(database, "export", str(dest))
        assert done.returncode == 0, done.stderr
        checked = cli(database, "import", "--dry-run", str(dest))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "nothing was changed (0)" in checked.stdout or "không thay đổi" in checked.stdout
        applied = cli(database, "import", str(dest))
        assert applied.returncode == 0, applied.stdout + applied.stderr
    after = snapshot(database)
    assert {t: after[t] for t in TABLES} == {t: before[t] for t in TABLES}
    sheets = load_workbook(tmp_path / "all.xlsx").sheetnames
    assert sheets == ["Đơn vị", "Người dùng", "Chỉ tiêu", "Người được bồi dưỡng"]


def test_a_file_with_bad_rows_changes_nothing_and_reports_each_row(database, tmp_path):
    header = ["Số", "Họ và tên", "Ngày sinh", "Chi bộ", "Đoàn viên",
              "Được xác định là quần chúng/đoàn viên ưu tú",
              "Chi bộ xét, biểu quyết đề nghị kết nạp", "Ghi chú"]
    rows = [
        header,
        ["", "Lý Văn Đúng", "02/03/2000", "demo-thon_dong", "không", d(40), "", ""],  # fine
        ["", "Lý Văn Ngày", "31/02/2000", "demo-thon_dong", "không", d(40), "", ""],
        ["", "Lý Văn Lạc", "02/03/2000", "khong-co-chi-bo", "không", d(40), "", ""],
        ["", "Lý Văn Nhảy", "02/03/2000", "demo-thon_dong", "không", d(40), d(10), ""],
        ["", "Lý Văn Dài", "02/03/2000", "demo-thon_dong", "không", d(40), "", "x" * 5000],
        ["", "", "02/03/2000", "demo-thon_dong", "không", d(40), "", ""],
        ["#999999", "Lý Văn Ma", "02/03/2000", "demo-thon_dong", "không", d(40), "", ""],
        ["", "Lý Văn Sớm", "02/03/2000", "demo-xa", "không", d(40), "", ""],
    ]
    path = write_csv(tmp_path / "Người được bồi dưỡng.csv", rows, delimiter=";")
    before = snapshot(database)
    for args in (("--dry-run", str(path)), (str(path),)):
        done = cli(database, "import", *args)
        assert done.returncode == 1
        lines = done.stdout.splitlines()
        rejected = {int(line.split("dòng ")[1].split(":")[0]) for line in lines
                    if line.startswith("Trang ")}
        assert rejected == {3, 4, 5, 6, 7, 8, 9}, done.stdout
        text = done.stdout
        assert "«31/02/2000» không phải là ngày" in text
        assert "khong-co-chi-bo" in text
        assert "5000" not in text and "500 ký tự" in text
        assert "«demo-xa» không phải là chi bộ" in text
        assert "7 dòng bị từ chối" in text and "không nhập gì" in text
        assert snapshot(database) == before  # the good row is not imported either


def test_a_new_unit_tree_with_people_quotas_and_candidates_is_imported(database, tmp_path):
    workbook = Workbook()
    units = workbook.active
    units.title = "Đơn vị"
    units.append(["Mã", "Tên", "Loại", "Đơn vị cấp trên"])
    units.append(["xa-moi", "Đảng ủy xã Mới", "Đảng ủy xã, phường", "demo-tinh"])
    units.append(["cb-moi", "Chi bộ thôn Mới", "chi bo", "xa-moi"])
    people = workbook.create_sheet("Người dùng")
    people.append(["Họ và tên", "Telegram ID", "Đơn vị", "Vai trò"])
    people.append(["Hà Thị Bí Thư", "777001", "cb-moi", "Bí thư chi bộ"])
    quotas = workbook.create_sheet("Chỉ tiêu")
    quotas.append(["Đơn vị", "Thời gian", "Chỉ tiêu"])
    quotas.append(["cb-moi", f"năm {TODAY.year}", 4])
    people_sheet = workbook.create_sheet("Người được bồi dưỡng")
    people_sheet.append(["Họ và tên", "Ngày sinh", "Chi bộ", "Nguồn",
                         "Được xác định là quần chúng/đoàn viên ưu tú",
                         "Học xong lớp bồi dưỡng nhận thức về Đảng"])
    birth = datetime(TODAY.year - 25, 5, 4)
    people_sheet.append(["Phan Văn Mới", birth, "cb-moi", "khu dân cư",
                         datetime.combine(TODAY - timedelta(days=60), datetime.min.time()),
                         d(20)])
    path = tmp_path / "moi.xlsx"
    workbook.save(path)

    before = snapshot(database)
    checked = cli(database, "import", "--dry-run", str(path))
    assert checked.returncode == 0, checked.stdout
    assert "units +2" in checked.stdout and "candidates +1" in checked.stdout
    assert snapshot(database) == before  # a dry run changes nothing
    done = cli(database, "import", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    with sqlite3.connect(database) as db:
        cell = db.execute("SELECT u.id FROM units u JOIN units p ON p.id = u.parent_id "
                          "WHERE u.code = 'cb-moi' AND p.code = 'xa-moi'").fetchone()[0]
        assert db.execute("SELECT r.role FROM roles r JOIN identities i USING (person_id) "
                          "WHERE i.external_id = '777001' AND r.unit_id = ?",
                          (cell,)).fetchall() == [("cell_secretary",)]
        assert db.execute("SELECT target FROM quotas WHERE unit_id = ?", (cell,)).fetchall() \
            == [(4,)]
        assert db.execute("SELECT full_name, segment, current_stage, birth_date FROM candidates "
                          "WHERE cell_id = ?", (cell,)).fetchall() == [
            ("Phan Văn Mới", "residential", "awareness_class_done", birth.date().isoformat())]
        assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'candidate.import'"
                          ).fetchone() == (1,)
    again = cli(database, "import", str(path))  # the same file twice: a duplicate, refused
    assert again.returncode == 1 and "đã có" in again.stdout


def test_export_of_one_unit_holds_only_that_units_candidates(database, tmp_path):
    dest = tmp_path / "xa.xlsx"
    assert cli(database, "export", str(dest), "--unit", "demo-phuong").returncode == 0
    sheet = load_workbook(dest)["Người được bồi dưỡng"]
    cells = {row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells and cells <= {"demo-may_px1", "demo-kp3"}
    unknown = cli(database, "export", str(dest), "--unit", "khong-co")
    assert unknown.returncode == 1 and "khong-co" in unknown.stderr
