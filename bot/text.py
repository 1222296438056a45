"""Vietnamese text folding and cleaning for matching what users type on phones.

Users often type without diacritics ("nguyen thi mai"), with old-style tone
placement ("hoà" vs "hòa"), or with a keyboard that sends decomposed (NFD) text.
:func:`fold` maps all of these to one comparable key; :func:`clean` only tidies
the text for storage and display.
"""

from __future__ import annotations

import unicodedata

# Letters that do not decompose but read as "d" to a Vietnamese user
# (Đ/đ, and the look-alike Icelandic eth some keyboards produce).
_D_LIKE = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def _is_dropped(char: str) -> bool:
    """Whether ``char`` is a combining mark or an invisible format character."""
    return unicodedata.combining(char) != 0 or unicodedata.category(char) in ("Mn", "Cf")


def fold(text: str) -> str:
    """Return a search key: lowercase, no diacritics, đ -> d, single spaces, stripped."""
    lowered = unicodedata.normalize("NFC", text).lower()
    decomposed = unicodedata.normalize("NFD", lowered)
    stripped = "".join(ch for ch in decomposed if not _is_dropped(ch))
    return " ".join(stripped.translate(_D_LIKE).split())


def clean(text: str) -> str:
    """Return ``text`` in NFC with runs of whitespace collapsed to one space, stripped."""
    return " ".join(unicodedata.normalize("NFC", text).split())


_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "… ", "; ", ", ", " ")


def split_message(text: str, limit: int) -> list[str]:
    """Cut `text` into parts of at most `limit` characters, each ending at the latest
    paragraph, line or sentence end that fits (else a word end; a hard cut only for a
    single word longer than `limit`)."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = next((window.rfind(mark) + len(mark) for mark in _BREAKS
                    if window.rfind(mark) > limit // 3), limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest.strip() or not parts:
        parts.append(rest.rstrip())
    return parts
