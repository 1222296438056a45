"""Parsers for answers typed into forms: dates, names, options, yes/no, control words.

Every parser is total: it returns ``None`` (or an empty result) for input it does
not understand and never raises on any ``str``. Comparisons use
:func:`bot.text.fold`, so answers typed without diacritics match. Nothing here
produces sentences for the user; callers render results through the catalog.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

from bot.text import clean, fold

MIN_YEAR = 1900
MAX_YEAR = 2100
NAME_MIN_LENGTH = 2
NAME_MAX_LENGTH = 80

ControlWord = Literal["back", "skip", "cancel"]

_DAY_FIRST = re.compile(
    r"([0-9]{1,2})\s*[/.\-]\s*([0-9]{1,2})\s*[/.\-]\s*([0-9]{4}|[0-9]{2})"
)
_YEAR_FIRST = re.compile(r"([0-9]{4})\s*[/.\-]\s*([0-9]{1,2})\s*[/.\-]\s*([0-9]{1,2})")
_DATE_PREFIX = re.compile(r"^ngay\s+")
_TODAY_WORDS = frozenset({"hom nay", "nay"})
_YESTERDAY_WORDS = frozenset({"hom qua", "qua"})

_NAME_SEPARATORS = re.compile(r"([-'\u2019])")

_POSITION = re.compile(r"(?:so|#)?\s*([0-9]{1,4})\s*[.)]?")
_EDGE_PUNCTUATION = " \t.,!?;:\u2026\"'()[]"

_YES_WORDS = frozenset({
    "co", "c", "yes", "y", "dung", "phai", "u", "ok", "oke", "okay", "vang", "da", "dong y",
    "uh", "um", "uhm",
})
_NO_WORDS = frozenset({
    "khong", "ko", "k", "kh", "kg", "khg", "hong", "hok", "no", "n", "sai", "chua",
    "khong phai", "khong dung", "chua co",
})
_TIME = re.compile(
    r"(?:luc\s+)?([0-9]{1,2})\s*(?:[:h.]|gio)?\s*(?:([0-9]{2})|(ruoi|kem))?\s*(?:phut|p)?"
    r"\s*(sang|trua|chieu|toi|dem|am|pm)?")
_AFTERNOON = frozenset({"chieu", "toi", "pm"})
_CONTROL_COMMAND = re.compile(r"/(back|skip|cancel)(?:@[a-z0-9_]+)?")
_CONTROL_WORDS: dict[str, ControlWord] = {
    "quay lai": "back",
    "tro lai": "back",
    "lui": "back",
    "back": "back",
    "bo qua": "skip",
    "bo": "skip",
    "skip": "skip",
    "huy": "cancel",
    "thoi": "cancel",
    "dung lai": "cancel",
    "cancel": "cancel",
}


@dataclass(frozen=True)
class Option:
    """A choice offered in a form: its stored value and the words that pick it."""

    value: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class MatchResult:
    """Outcome of :func:`match_option`: the picked value, or the values it could be."""

    value: str | None
    ambiguous: tuple[str, ...] = ()


def _key(text: str) -> str:
    """Fold ``text`` for comparison, also folding full-width forms and edge punctuation."""
    folded = fold(unicodedata.normalize("NFKC", text))
    return " ".join(folded.strip(_EDGE_PUNCTUATION).split())


def _checked_date(year: int, month: int, day: int) -> date | None:
    """Return the date if it exists and its year is within MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(digits: str, today: date) -> int:
    """Expand a two-digit year to the latest century not after ``today``; keep four digits."""
    year = int(digits)
    if len(digits) != 2:
        return year
    return 2000 + year if 2000 + year <= today.year else 1900 + year


def _relative_date(key: str, today: date) -> date | None:
    """Return today or yesterday for the words that name them, else None."""
    if key in _TODAY_WORDS:
        return _checked_date(today.year, today.month, today.day)
    if key in _YESTERDAY_WORDS:
        try:
            yesterday = today - timedelta(days=1)
        except OverflowError:
            return None
        return _checked_date(yesterday.year, yesterday.month, yesterday.day)
    return None


def parse_date(text: str, today: date) -> date | None:
    """Parse d/m/yyyy, d/m/yy, d-m-yyyy, d.m.yyyy, yyyy-mm-dd or "hôm nay"/"hôm qua"."""
    key = _DATE_PREFIX.sub("", _key(text))
    relative = _relative_date(key, today)
    if relative is not None:
        return relative
    match = _YEAR_FIRST.fullmatch(key)
    if match:
        return _checked_date(int(match[1]), int(match[2]), int(match[3]))
    match = _DAY_FIRST.fullmatch(key)
    if match:
        return _checked_date(_full_year(match[3], today), int(match[2]), int(match[1]))
    return None


def _is_name_part(part: str) -> bool:
    """Whether ``part`` is a letter followed by letters or combining marks."""
    if not part or not unicodedata.category(part[0]).startswith("L"):
        return False
    return all(unicodedata.category(ch)[0] in "LM" for ch in part)


def _is_name_word(word: str) -> bool:
    """Whether a word is letter runs joined by single hyphens or apostrophes."""
    return all(_is_name_part(part) for part in _NAME_SEPARATORS.split(word)[::2])


def _upper_first(part: str) -> str:
    """Upper-case the first character when that maps one character to one."""
    if not part:
        return part
    upper = part[0].upper()
    if len(upper) != 1 or upper.lower() != part[0]:
        return part
    return upper + part[1:]


def _capitalise_word(word: str) -> str:
    """Lower-case a word and capitalise each hyphen- or apostrophe-separated part."""
    pieces = _NAME_SEPARATORS.split(word.lower())
    return "".join(_upper_first(piece) for piece in pieces)


def parse_full_name(text: str) -> str | None:
    """Return a tidy full name (two or more words of letters), or None."""
    name = clean(text)
    if not NAME_MIN_LENGTH <= len(name) <= NAME_MAX_LENGTH:
        return None
    words = name.split(" ")
    if len(words) < 2 or not all(_is_name_word(word) for word in words):
        return None
    if name != name.lower() and name != name.upper():
        return name
    return unicodedata.normalize("NFC", " ".join(_capitalise_word(word) for word in words))


def _position(key: str, count: int) -> int | None:
    """Return the 0-based index for "2", "2.", "số 2" when within 1..count, else None."""
    match = _POSITION.fullmatch(key)
    if not match:
        return None
    number = int(match[1])
    return number - 1 if 1 <= number <= count else None


def _values_matching(options: Sequence[Option], accept) -> list[str]:
    """Return the distinct values of options with a folded label accepted by ``accept``."""
    values: list[str] = []
    for option in options:
        if option.value not in values and any(accept(_key(label)) for label in option.labels):
            values.append(option.value)
    return values


def _partial_match(label: str, key: str) -> bool:
    """Whether ``label`` starts with ``key`` (2+ characters) or contains it as whole words."""
    if not label:
        return False
    if len(key) >= 2 and label.startswith(key):
        return True
    return f" {key} " in f" {label} "


def _result(values: list[str]) -> MatchResult:
    """Turn the matching values into a MatchResult."""
    if len(values) == 1:
        return MatchResult(values[0])
    return MatchResult(None, tuple(values))


def match_option(text: str, options: Sequence[Option]) -> MatchResult:
    """Pick an option by its 1-based number or by a folded label (exact, prefix, word)."""
    key = _key(text)
    if not key:
        return MatchResult(None)
    index = _position(key, len(options))
    if index is not None:
        return MatchResult(options[index].value)
    exact = _values_matching(options, lambda label: label == key)
    if exact:
        return _result(exact)
    return _result(_values_matching(options, lambda label: _partial_match(label, key)))


def _strip_particles(key: str) -> str:
    """Drop the polite particles "dạ" in front and "ạ" at the end."""
    if key.startswith("da ") and len(key) > 3:
        key = key[3:]
    if key.endswith(" a") and len(key) > 2:
        key = key[:-2]
    return key


def parse_yes_no(text: str) -> bool | None:
    """Return True for có/ừ/ok/..., False for không/chưa/sai/..., else None."""
    key = _strip_particles(_key(text))
    if key in _YES_WORDS:
        return True
    if key in _NO_WORDS:
        return False
    return None


def control_word(text: str) -> ControlWord | None:
    """Recognise /back, /skip, /cancel (also @bot) or their Vietnamese words as a whole message."""
    key = _key(text)
    match = _CONTROL_COMMAND.fullmatch(key)
    if match:
        return match[1]  # type: ignore[return-value]
    return _CONTROL_WORDS.get(key)


def parse_free_text(text: str, max_length: int) -> str | None:
    """Return the cleaned text if it is non-empty and at most ``max_length`` characters."""
    cleaned = clean(text)
    if not cleaned or len(cleaned) > max_length:
        return None
    return cleaned


def parse_count(text: str, maximum: int) -> int | None:
    """A whole number 0..maximum as people type it (`12`, `1.200`, `1 200`), else None."""
    digits = re.sub(r"[\s.,]", "", unicodedata.normalize("NFKC", text or ""))
    if not digits.isdigit() or len(digits) > 9:
        return None
    value = int(digits)
    return value if value <= maximum else None


def parse_time(text: str) -> time | None:
    """A time of day as people type it: `7:30`, `07h30`, `7h`, `19 giờ`, `7 giờ rưỡi`,
    `5h chiều`, `7.30 sáng`; else None."""
    match = _TIME.fullmatch(_key(text or ""))
    if match is None:
        return None
    hour_text, minute_text, half, part = match.groups()
    hour = int(hour_text)
    minute = int(minute_text) if minute_text else (30 if half == "ruoi" else 0)
    if half == "kem":
        return None  # "7 giờ kém": kém how much? ask again
    if part in _AFTERNOON and 1 <= hour < 12:
        hour += 12
    if part == "dem" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)
