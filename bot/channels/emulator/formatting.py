"""Text helpers for the emulator: Telegram-style HTML parsing and entity detection.

Telegram measures entity offsets and lengths in UTF-16 code units, so every
offset computed here uses :func:`utf16_len`.
"""

from __future__ import annotations

import re

__all__ = [
    "EntityParseError",
    "parse_html",
    "user_text_entities",
    "utf16_len",
]

_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ATTR_RE = re.compile(
    r"""([a-zA-Z_][a-zA-Z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"""
)
_CHAR_REF_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# HTML tag -> Telegram entity type (the tags Telegram's HTML parse mode accepts).
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_MENTION_RE = re.compile(r"(?<![\w@/])@[A-Za-z][A-Za-z0-9_]{2,31}\b")
_INNER_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z][A-Za-z0-9_]{3,31})?(?!\w)")


class EntityParseError(ValueError):
    """Raised when a text with ``parse_mode=HTML`` is not valid Telegram HTML."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def _decode_char_ref(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref in _NAMED_REFS:
        return _NAMED_REFS[ref]
    code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return "\ufffd"


def _unescape(text: str) -> str:
    return _CHAR_REF_RE.sub(_decode_char_ref, text)


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        name, dq, sq, bare = match.groups()
        value = dq if dq is not None else sq if sq is not None else bare or ""
        attrs[name.lower()] = _unescape(value)
    return attrs


class _HtmlEntityBuilder:
    """Strict single-pass parser turning Telegram HTML into (text, entities)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[str] = []
        self.length16 = 0
        self.stack: list[tuple[str, dict | None, int]] = []
        self.entities: list[dict] = []

    def error(self, position: int, reason: str) -> EntityParseError:
        offset = len(self.source[:position].encode("utf-8"))
        return EntityParseError(f"can't parse entities: {reason} at byte offset {offset}")

    def emit(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.length16 += utf16_len(text)

    def run(self) -> tuple[str, list[dict]]:
        position = 0
        source = self.source
        while position < len(source):
            next_lt = source.find("<", position)
            if next_lt < 0:
                self.emit(_unescape(source[position:]))
                break
            self.emit(_unescape(source[position:next_lt]))
            position = self.tag(next_lt)
        if self.stack:
            tag = self.stack[-1][0]
            raise self.error(len(source), f'Can\'t find end tag corresponding to start tag "{tag}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities

    def tag(self, position: int) -> int:
        match = _TAG_RE.match(self.source, position)
        if match is None:
            raise self.error(position, 'Unsupported start tag ""')
        closing, name, raw_attrs, _self_closing = match.groups()
        name = name.lower()
        if closing:
            self.close(name, position)
        else:
            self.open(name, _parse_attrs(raw_attrs or ""), position)
        return match.end()

    def open(self, name: str, attrs: dict[str, str], position: int) -> None:
        entity_type = _TAG_ENTITY.get(name)
        if entity_type is None or (name == "span" and attrs.get("class") != "tg-spoiler"):
            raise self.error(position, f'Unsupported start tag "{name}"')
        entity: dict | None = {"type": entity_type}
        if name == "a":
            entity["url"] = attrs.get("href", "")
        elif name == "tg-emoji":
            entity["custom_emoji_id"] = attrs.get("emoji-id", "")
        elif name == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        elif name == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attrs.get("class", "")
            pre_entity = self.stack[-1][1]
            if language.startswith("language-") and pre_entity is not None:
                pre_entity["language"] = language[len("language-"):]
            entity = None  # <pre><code> is a single "pre" entity
        self.stack.append((name, entity, self.length16))

    def close(self, name: str, position: int) -> None:
        if not self.stack or self.stack[-1][0] != name:
            raise self.error(position, f'Unmatched end tag "{name}"')
        _, entity, start = self.stack.pop()
        length = self.length16 - start
        if entity is not None and length > 0:
            entity.update(offset=start, length=length)
            self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into plain text plus MessageEntity dicts.

    Raises :class:`EntityParseError` for unsupported tags, unmatched tags and
    bare ``<`` characters, like the real Bot API does.
    """
    return _HtmlEntityBuilder(source).run()


def user_text_entities(text: str) -> list[dict]:
    """Entities a Telegram client would attach to a user's text message.

    * ``bot_command`` at offset 0 spanning the first whitespace-separated token
      when the text starts with ``/`` (``/start`` or ``/start@botname``), plus
      any other ``/command`` later in the text;
    * ``mention`` for every ``@username``.
    """
    entities: list[dict] = []
    command_spans: list[tuple[int, int]] = []
    if text.startswith("/"):
        token = text.split(maxsplit=1)[0]
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(token)})
        command_spans.append((0, len(token)))
    for match in _INNER_COMMAND_RE.finditer(text):
        if match.start() == 0:
            continue
        command_spans.append(match.span())
        entities.append(_entity_for(text, "bot_command", match.start(), match.end()))
    for match in _MENTION_RE.finditer(text):
        if any(start <= match.start() < end for start, end in command_spans):
            continue
        entities.append(_entity_for(text, "mention", match.start(), match.end()))
    entities.sort(key=lambda e: e["offset"])
    return entities


def _entity_for(text: str, entity_type: str, start: int, end: int) -> dict:
    return {
        "type": entity_type,
        "offset": utf16_len(text[:start]),
        "length": utf16_len(text[start:end]),
    }
