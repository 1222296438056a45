"""Settings: defaults, parsing, and one readable line when something is wrong."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_run_the_demo_in_vietnam_time():
    settings = load_settings(_env_file=None, bot_token=None)
    assert settings.is_demo
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.default_locale == "vi"


def test_admin_ids_accept_a_comma_list():
    assert load_settings(_env_file=None, admin_ids="11, 22;33").admin_ids == [11, 22, 33]


def test_invalid_settings_are_reported_together_in_one_line():
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, timezone="Mars/Olympus", bot_token="not-a-token")
    message = str(caught.value)
    assert "\n" not in message
    assert "TIMEZONE" in message and "BOT_TOKEN" in message


def test_command_line_prints_one_line_and_exit_code_2_on_bad_config(tmp_path):
    env = {**os.environ, "TIMEZONE": "Nowhere/City", "DATABASE_PATH": str(tmp_path / "x.db")}
    result = subprocess.run([sys.executable, "-m", "bot", "migrate"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "TIMEZONE" in result.stderr and "Traceback" not in result.stderr
