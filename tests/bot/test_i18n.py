"""Catalogs are complete and consistent; dates and numbers read the Vietnamese way."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from babel.messages import pofile
from babel.messages.extract import extract_from_dir

from bot.i18n import I18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


@functools.cache
def source_msgids() -> frozenset[str]:
    """Every msgid marked in the code, extracted the way pybabel does (babel.cfg)."""
    found: set[str] = set()
    for package in ("bot", "handlers", "storage"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / package), method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)  # plural: singular
    return frozenset(found)


def catalog(locale: str):
    with open(ROOT / "locales" / locale / "LC_MESSAGES" / "bot.po", "rb") as handle:
        return pofile.read_po(handle, locale=locale)


def test_every_message_in_the_code_is_translated_to_vietnamese():
    vi = catalog("vi")
    missing = sorted(m for m in source_msgids() if m not in vi)
    untranslated = sorted(str(m.id) for m in vi
                          if m.id and (not all(_strings(m)) or m.fuzzy))
    assert not missing, f"add to locales/vi/LC_MESSAGES/bot.po: {missing}"
    assert not untranslated, f"translate: {untranslated}"


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _strings(message) -> tuple:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_catalog_has_no_stale_messages():
    stale = sorted(_key(m) for m in catalog("vi") if m.id and _key(m) not in source_msgids())
    assert not stale, f"no longer in the code, remove: {stale}"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_placeholders_match_between_msgid_and_translation(locale):
    for message in catalog(locale):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for string in filter(None, strings):  # empty: falls back to the msgid
            assert set(PLACEHOLDER.findall(string)) == expected, message.id


def test_vietnamese_is_the_default_and_fills_placeholders():
    tr = I18n().translator()
    assert tr.gettext("Hello {name}!", name="Lan") == "Xin chào Lan!"


def test_unknown_locale_falls_back_to_the_default():
    assert I18n().translator("fr").locale == "vi"


def test_dates_are_day_month_year_in_vietnam_time():
    tr = I18n().translator()
    assert tr.date(date(2026, 2, 3)) == "03/02/2026"
    # 17:30 UTC on 31/12 is already 00:30 on 01/01 in Hà Nội.
    moment = datetime(2025, 12, 31, 17, 30, tzinfo=timezone.utc)
    assert tr.date(moment) == "01/01/2026"
    assert tr.datetime(moment) == "00:30 01/01/2026"


def test_numbers_use_dot_thousands_and_comma_decimals():
    tr = I18n().translator()
    assert tr.number(1234.5) == "1.234,5"
    assert tr.number(2945, digits=0) == "2.945"
    assert tr.percent(0.3666) == "36,7%"
    assert tr.percent(1.1, digits=0) == "110%"
