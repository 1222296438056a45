"""The command line as a newcomer uses it: `python -m bot` with no token runs the demo."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from storage.migrations import available_migrations


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in {"BOT_TOKEN", "DATABASE_PATH"}}
    return {**env, "DEMO_DATABASE_PATH": str(tmp_path / "demo.sqlite3"), **extra}


@pytest.fixture
def demo(tmp_path):
    """`python -m bot` with no token, in an empty folder; yields the URL it printed."""
    env = clean_env(tmp_path, DEMO_PORT=str(free_port()))
    process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            match = re.search(r"(http://127\.0\.0\.1:\d+/)", process.stdout.readline())
            url = match.group(1) if match else None
        assert url, f"no URL printed; stderr: {process.stderr.read() if process.poll() else ''}"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.returncode == 0, process.stderr.read()


def _greeting(demo: str, user_id: int) -> list[dict]:
    call(f"{demo}control/send", {"user_id": user_id, "text": "/start"})
    deadline = time.monotonic() + 15
    replies: list[dict] = []
    while not replies and time.monotonic() < deadline:
        entries = call(f"{demo}control/chats/{user_id}/messages?wait=2")["messages"]
        replies = [e for e in entries if e["kind"] == "bot"]
    return replies


def test_demo_starts_without_token_and_greets_a_demo_user(demo):
    users = call(f"{demo}control/users")
    assert {u["description"] for u in users} >= {"Bí thư Chi bộ Trường THPT Hòa An"}
    replies = _greeting(demo, users[0]["id"])
    assert replies and replies[0]["message"]["text"].startswith("Xin chào")
    # the demo shows both apps: a Zalo user is answered by the bot running on Zalo
    [zalo_user] = [u for u in users if u["channel"] == "zalo"]
    replies = _greeting(demo, zalo_user["id"])
    assert replies and replies[0]["message"]["text"].startswith("Xin chào")
    assert replies[0].get("channel") == "zalo" and "reply_markup" not in replies[0]["message"]
    with urllib.request.urlopen(demo, timeout=10) as page:
        assert "Trợ lý Phát triển Đảng viên" in page.read().decode()


def test_demo_database_is_seeded_with_a_province_and_candidates(demo, tmp_path):
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        kinds = {row[0] for row in db.execute("select kind from units")}
        assert {"province_committee", "commune_committee", "cell", "youth_branch"} <= kinds
        assert db.execute("select count(*) from candidates").fetchone()[0] >= 12
        stages = {row[0] for row in db.execute("select distinct stage from stage_events")}
        assert {"identified", "ceremony_held", "full_member"} <= stages


def test_migrate_and_backup_commands(tmp_path):
    env = clean_env(tmp_path, DATABASE_PATH=str(tmp_path / "bot.sqlite3"))
    migrate = subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60)
    newest = max(m.number for m in available_migrations())
    assert migrate.returncode == 0 and f"schema version {newest}" in migrate.stdout
    backup = subprocess.run([sys.executable, "-m", "bot", "backup", "copies"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert backup.returncode == 0, backup.stderr
    [copy] = (tmp_path / "copies").iterdir()
    with sqlite3.connect(copy) as db:
        assert db.execute("pragma user_version").fetchone()[0] == newest
