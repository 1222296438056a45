"""Vietnamese normalisation for questions typed on phones, and for the text they are matched to.

The same :class:`Normalizer` turns knowledge-base text and users' questions into one
comparable form, so "Đảng", "dang", "ĐẢNG" and the Telex leftover "ddangr" all become
``dang``. Steps, in order:

1. NFC, then split into words (letters and digits; everything else separates words);
2. :func:`bot.text.fold` each word: lowercase, no diacritics, đ -> d (old and new tone
   placement, hoà / hòa, fold to the same letters);
3. repair typing leftovers: a leading "dd" is "d"; a word that is not known but becomes a
   known word once its Telex marks (tone letters s f r x j, doubled vowels, w) or VNI
   digits are removed is replaced by that word ("vaof" -> "vao");
4. expand abbreviations ("ĐVUT" -> "doan vien uu tu"; some only when typed in capitals);
5. rewrite synonyms to one canonical phrase, longest phrase first ("vào Đảng" ->
   "ket nap dang").

The result is lowercase ASCII words separated by single spaces, and normalising it again
changes nothing. The tables live in ``lexicon.toml`` beside this module; the known-word
vocabulary is the lexicon's own words plus whatever the caller passes (the index passes
every word of the knowledge base).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType

from bot.text import fold

# A raw word: letters and digits, with any combining marks a decomposed (NFD) text carries.
_RAW_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_VOWEL = re.compile(r"[aeiouyw]")
_TELEX_TONES = re.compile(r"[sfrxj]")
_TELEX_MARKS = (("aa", "a"), ("ee", "e"), ("oo", "o"), ("aw", "a"), ("ow", "o"),
                ("uw", "u"), ("w", "u"))
_VNI = re.compile(r"^[a-z]+[a-z1-9]*$")
_DIGITS = re.compile(r"[0-9]")
# Rewriting synonyms stops after this many passes (a consistent lexicon needs two).
_MAX_REWRITES = 4


class LexiconError(ValueError):
    """The lexicon file is unreadable or its tables contradict each other."""


@dataclass(frozen=True)
class Lexicon:
    """The normaliser's tables, folded; build it with :func:`load_lexicon`."""

    abbreviations: Mapping[str, tuple[str, ...]]
    upper_abbreviations: Mapping[str, tuple[str, ...]]
    phrases: Mapping[tuple[str, ...], tuple[str, ...]]  # canonical phrases map to themselves
    longest_phrase: int
    stopwords: frozenset[str]
    words: frozenset[str]  # every word the tables produce, plus the extra vocabulary

    def fingerprint(self) -> str:
        """A stable text of the tables: changes whenever normalised output may change."""
        parts = [
            repr(sorted(self.abbreviations.items())),
            repr(sorted(self.upper_abbreviations.items())),
            repr(sorted(self.phrases.items())),
            repr(sorted(self.stopwords)),
            repr(sorted(self.words)),
        ]
        return "\n".join(parts)


def fold_words(text: str) -> list[str]:
    """The folded ASCII words of ``text`` (no repair, expansion or rewriting)."""
    return _ASCII_WORD.findall(fold(text))


def vocabulary_of(texts: Iterable[str]) -> frozenset[str]:
    """Every folded word in ``texts``: the known words for Telex repair."""
    return frozenset(word for text in texts for word in fold_words(text))


# ------------------------------------------------------------------------------- lexicon


def load_lexicon(text: str | None = None) -> Lexicon:
    """Parse and check a lexicon; ``None`` loads the packaged ``lexicon.toml``."""
    if text is None:
        text = files("bot.knowledge").joinpath("lexicon.toml").read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LexiconError(f"lexicon is not valid TOML: {error}") from error
    problems: list[str] = []
    abbreviations = _abbreviation_table(raw.get("abbreviations", {}), "abbreviations", problems)
    upper = _abbreviation_table(
        raw.get("abbreviations_upper", {}), "abbreviations_upper", problems
    )
    phrases = _phrase_table(raw.get("synonyms", {}), problems)
    stopwords = frozenset(
        w for item in _strings(raw, "stopwords", problems) for w in fold_words(item)
    )
    extra = [w for item in _strings(raw, "vocabulary", problems) for w in fold_words(item)]
    produced = [w for words in (*abbreviations.values(), *upper.values()) for w in words]
    produced += [w for words in phrases.values() for w in words]
    problems += [
        f"abbreviation {word!r} also appears in an expansion or a synonym"
        for word in sorted(set(produced) & set(abbreviations))
    ]
    if problems:
        raise LexiconError("lexicon is invalid:\n" + "\n".join(f"- {p}" for p in problems))
    lexicon = Lexicon(
        abbreviations=MappingProxyType(abbreviations),
        upper_abbreviations=MappingProxyType(upper),
        phrases=MappingProxyType(phrases),
        longest_phrase=max((len(key) for key in phrases), default=1),
        stopwords=stopwords,
        words=frozenset(produced) | frozenset(extra) | stopwords,
    )
    _check_fixpoints(lexicon)
    return lexicon


def _strings(raw: dict, table: str, problems: list[str]) -> list[str]:
    words = raw.get(table, {}).get("words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        problems.append(f"[{table}] words must be a list of strings")
        return []
    return words


def _abbreviation_table(
    table: dict, name: str, problems: list[str]
) -> dict[str, tuple[str, ...]]:
    result: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        folded_key = fold_words(key)
        expansion = tuple(fold_words(value)) if isinstance(value, str) else ()
        if len(folded_key) != 1 or not expansion:
            problems.append(f"[{name}] {key!r} must be one word mapped to a non-empty text")
        elif folded_key[0] in result and result[folded_key[0]] != expansion:
            problems.append(f"[{name}] {key!r} is listed twice with different expansions")
        else:
            result[folded_key[0]] = expansion
    return result


def _phrase_table(table: dict, problems: list[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    result: dict[tuple[str, ...], tuple[str, ...]] = {}
    for canonical, variants in table.items():
        target = tuple(fold_words(canonical))
        if not target or not isinstance(variants, list):
            problems.append(f"[synonyms] {canonical!r} must map to a list of phrases")
            continue
        for phrase in [canonical, *variants]:
            key = tuple(fold_words(phrase)) if isinstance(phrase, str) else ()
            if not key:
                problems.append(f"[synonyms] {canonical!r} lists an empty phrase")
            elif result.get(key, target) != target:
                problems.append(
                    f"[synonyms] {phrase!r} maps to both {' '.join(result[key])!r} "
                    f"and {' '.join(target)!r}"
                )
            else:
                result[key] = target
    return result


def _check_fixpoints(lexicon: Lexicon) -> None:
    """Every expansion and canonical phrase must come out of normalising unchanged."""
    normalizer = Normalizer(lexicon)
    outputs = {" ".join(words) for words in lexicon.abbreviations.values()}
    outputs |= {" ".join(words) for words in lexicon.upper_abbreviations.values()}
    outputs |= {" ".join(words) for words in lexicon.phrases.values()}
    moved = sorted(o for o in outputs if normalizer.normalize(o) != o)
    if moved:
        raise LexiconError(
            "lexicon is invalid: these expansions are rewritten again: "
            + ", ".join(f"{o!r} -> {normalizer.normalize(o)!r}" for o in moved)
        )


# ---------------------------------------------------------------------------- normaliser


class Normalizer:
    """Normalises text with one lexicon and one known-word vocabulary (immutable)."""

    def __init__(self, lexicon: Lexicon, vocabulary: Iterable[str] = ()) -> None:
        self.lexicon = lexicon
        self.vocabulary = frozenset(vocabulary) | lexicon.words

    def normalize(self, text: str) -> str:
        """Folded, repaired, expanded and rewritten text: ASCII words, single spaces."""
        return " ".join(self._words(text))

    def tokens(self, text: str, *, keep_stopwords: bool = False) -> list[str]:
        """The normalised words of ``text``, without stopwords unless asked to keep them."""
        words = self._words(text)
        if keep_stopwords:
            return words
        return [w for w in words if w not in self.lexicon.stopwords]

    def _words(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFC", text)
        raw_words = _RAW_WORD.findall(text)
        capitals_mean_abbreviation = len(raw_words) == 1 or any(c.islower() for c in text)
        words: list[str] = []
        for raw in raw_words:
            pieces = _ASCII_WORD.findall(fold(raw))
            if len(pieces) == 1:
                upper = capitals_mean_abbreviation and _is_plain_capitals(raw)
                words.extend(self._word(pieces[0], upper))
            else:
                words.extend(w for piece in pieces for w in self._word(piece, False))
        return self._rewrite(words)

    def _word(self, word: str, upper: bool) -> tuple[str, ...]:
        """Repair one folded word, then expand it if it is an abbreviation."""
        word = self._repair(word)
        expansion = self.lexicon.abbreviations.get(word)
        if expansion is None and upper:
            expansion = self.lexicon.upper_abbreviations.get(word)
        return expansion or (word,)

    def _repair(self, word: str) -> str:
        """Undo Telex / VNI leftovers when that turns an unknown word into a known one."""
        if word.startswith("dd"):
            word = "d" + word.lstrip("d")
        if word in self.vocabulary or word in self.lexicon.abbreviations:
            return word
        for candidate in (_without_telex(word), _without_vni(word)):
            if candidate != word and candidate in self.vocabulary:
                return candidate
        return word

    def _rewrite(self, words: list[str]) -> list[str]:
        """Replace synonyms by their canonical phrase until nothing changes."""
        for _ in range(_MAX_REWRITES):
            rewritten = self._rewrite_once(words)
            if rewritten == words:
                break
            words = rewritten
        return words

    def _rewrite_once(self, words: list[str]) -> list[str]:
        phrases, longest = self.lexicon.phrases, self.lexicon.longest_phrase
        out: list[str] = []
        index = 0
        while index < len(words):
            for size in range(min(longest, len(words) - index), 0, -1):
                target = phrases.get(tuple(words[index:index + size]))
                if target is not None:
                    out.extend(target)
                    index += size
                    break
            else:
                out.append(words[index])
                index += 1
        return out


def _is_plain_capitals(raw: str) -> bool:
    """Typed in capitals without tone marks ("ĐU", "DU" but not "ĐỦ" or "Du")."""
    plain = unicodedata.normalize("NFC", raw).lower().replace("đ", "d")
    return raw.isupper() and fold(raw) == plain


def _without_telex(word: str) -> str:
    """``word`` without Telex tone letters and vowel marks after its first vowel."""
    match = _VOWEL.search(word)
    if match is None:
        return word
    head, tail = word[:match.start()], _TELEX_TONES.sub("", word[match.start():])
    for typed, letter in _TELEX_MARKS:
        tail = tail.replace(typed, letter)
    return head + tail


def _without_vni(word: str) -> str:
    """``word`` without VNI tone and mark digits ("d9a3ng" -> "dang")."""
    if not _VNI.match(word) or not _DIGITS.search(word):
        return word
    return _without_telex(_DIGITS.sub("", word))


# ------------------------------------------------------------------ one-off conveniences


def normalize(
    text: str, vocabulary: Iterable[str] | None = None, *, lexicon: Lexicon | None = None
) -> str:
    """Normalise ``text`` (loads the packaged lexicon unless one is given)."""
    return Normalizer(lexicon or load_lexicon(), vocabulary or ()).normalize(text)


def tokens(
    text: str,
    vocabulary: Iterable[str] | None = None,
    *,
    lexicon: Lexicon | None = None,
    keep_stopwords: bool = False,
) -> list[str]:
    """The normalised words of ``text`` without stopwords (see :meth:`Normalizer.tokens`)."""
    normalizer = Normalizer(lexicon or load_lexicon(), vocabulary or ())
    return normalizer.tokens(text, keep_stopwords=keep_stopwords)
