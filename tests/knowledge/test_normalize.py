"""Normalising what members type: diacritics, Telex leftovers, abbreviations, synonyms."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge.normalize import (
    LexiconError,
    Normalizer,
    load_lexicon,
    normalize,
    tokens,
    vocabulary_of,
)

LEXICON = load_lexicon()  # immutable tables, shared by the tests of this module
KB_TEXT = (
    "Đảng viên dự bị được công nhận chính thức sau 12 tháng. Người vào Đảng phải đủ 18 "
    "tuổi; quần chúng ưu tú học lớp bồi dưỡng nhận thức về Đảng và được thẩm tra lý lịch."
)


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    """The packaged lexicon with a small knowledge base as the known words."""
    return Normalizer(LEXICON, vocabulary_of([KB_TEXT]))


@pytest.mark.parametrize("typed", ["Đảng", "dang", "ĐẢNG", "ddangr", "đảng", "dảng", "d9a3ng"])
def test_every_way_of_typing_dang_gives_the_same_word(normalizer, typed):
    assert normalizer.normalize(typed) == "dang"


def test_decomposed_text_and_old_tone_placement_fold_alike(normalizer):
    assert normalizer.normalize("hoà") == normalizer.normalize("hòa") == "hoa"
    assert normalizer.normalize("thuỷ") == normalizer.normalize("thủy") == "thuy"
    nfd = unicodedata.normalize("NFD", "Đảng viên dự bị")
    assert normalizer.normalize(nfd) == normalizer.normalize("dang vien du bi")


def test_telex_leftovers_are_repaired_only_into_known_words(normalizer):
    assert normalizer.normalize("ddangr vieen duwj bij") == "dang vien du bi"
    assert normalizer.normalize("quaanf chungs uuw tus") == "quan chung uu tu"
    assert normalizer.normalize("tuoir") == "tuoi"
    # Not a known word either way: left alone.
    assert normalizer.normalize("xyzs") == "xyzs"


def test_telex_repair_uses_the_given_vocabulary():
    assert normalize("xoms", vocabulary={"xom"}) == "xom"
    assert normalize("xoms", vocabulary=set()) == "xoms"


@pytest.mark.parametrize("typed", ["ĐVUT", "dvut", "Đvut", "đvut"])
def test_doan_vien_uu_tu_abbreviation_is_expanded_in_any_case(normalizer, typed):
    assert normalizer.normalize(typed) == "doan vien uu tu"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("QCUT", "quan chung uu tu"),
        ("BCH chi đoàn", "ban chap hanh chi doan"),
        ("btv", "ban thuong vu"),
        ("TCCSĐ", "to chuc co so dang"),
        ("tccsd", "to chuc co so dang"),
        ("THPT", "trung hoc pho thong"),
        ("DNNNN", "doanh nghiep ngoai nha nuoc"),
        ("KNĐ", "ket nap dang"),
        ("ĐV", "dang vien"),
        ("k dc j", "khong duoc gi"),
        ("bn tuổi", "bao nhieu tuoi"),
        ("làm ntn", "lam nhu the nao"),
        ("sv vs hs", "sinh vien voi hoc sinh"),
    ],
)
def test_abbreviations_members_type_are_expanded(normalizer, typed, expected):
    assert normalizer.normalize(typed) == expected


def test_ordinary_words_that_look_like_capital_abbreviations_are_left_alone(normalizer):
    assert normalizer.normalize("ĐU họp khi nào") == "dang uy hop khi nao"
    assert normalizer.normalize("đảng viên dự bị") == "dang vien du bi"
    assert normalizer.normalize("đủ 18 tuổi") == "du 18 tuoi"
    # A message typed all in capitals is not read as abbreviations.
    assert normalizer.normalize("ĐỦ 18 TUỔI") == normalizer.normalize("DU 18 TUOI") == "du 18 tuoi"


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("vào Đảng", "kết nạp đảng"),
        ("vô đảng", "kết nạp đảng"),
        ("đứng vào hàng ngũ của Đảng", "kết nạp Đảng"),
        ("chuyển chính thức", "công nhận đảng viên chính thức"),
        ("chuyển đảng chính thức", "công nhận đảng viên chính thức"),
        ("lên chính thức", "công nhận đảng viên chính thức"),
        ("cảm tình đảng", "quần chúng ưu tú"),
        ("lí lịch", "lý lịch"),
    ],
)
def test_synonyms_normalise_to_one_canonical_phrase(normalizer, variant, canonical):
    assert normalizer.normalize(variant) == normalizer.normalize(canonical)


def test_longer_phrases_win_over_the_synonyms_inside_them(normalizer):
    assert normalizer.normalize("lớp cảm tình Đảng") == "lop boi duong nhan thuc ve dang"
    assert normalizer.normalize("dự bị") == "du bi"


def test_punctuation_is_removed(normalizer):
    assert normalizer.normalize("Đảng viên?!... (dự bị), \"mẫu 2-KNĐ\"") == (
        "dang vien du bi mau 2 ket nap dang"
    )
    assert normalizer.normalize("?!... ---") == ""
    assert normalizer.normalize("") == ""


def test_tokens_drop_stopwords_but_keep_words_that_carry_meaning(normalizer):
    words = normalizer.tokens("Em ơi, cho em hỏi là đảng viên dự bị có được bầu cử không ạ?")
    assert "em" not in words and "oi" not in words and "a" not in words and "la" not in words
    for meaningful in ("dang", "vien", "du", "bi", "duoc", "bau", "cu", "khong"):
        assert meaningful in words
    assert tokens("vào Đảng") == ["ket", "nap", "dang"]


def test_the_packaged_lexicon_is_consistent():
    # Loading checks every expansion and canonical phrase is left unchanged by a second pass.
    assert LEXICON.abbreviations["dvut"] == ("doan", "vien", "uu", "tu")
    assert "khong" not in LEXICON.stopwords and "gi" not in LEXICON.stopwords


def test_a_lexicon_whose_expansion_is_rewritten_again_is_refused():
    text = '[abbreviations]\n"bjo" = "bao giờ"\n[synonyms]\n"khi nào" = ["bao giờ"]\n'
    with pytest.raises(LexiconError, match="rewritten again"):
        load_lexicon(text)


def test_a_phrase_listed_under_two_canonical_phrases_is_refused():
    text = '[synonyms]\n"kết nạp đảng" = ["vào đảng"]\n"gia nhập" = ["vào đảng"]\n'
    with pytest.raises(LexiconError, match="maps to both"):
        load_lexicon(text)


# Text built from the lexicon's own keys and phrases, plus arbitrary text, so the property
# tests reach abbreviations, synonyms and Telex repairs rather than only random letters.
_LEXICON_WORDS = sorted(
    set(LEXICON.abbreviations) | set(LEXICON.upper_abbreviations)
    | {" ".join(k) for k in LEXICON.phrases} | {"ĐU", "DU", "ĐVUT", "ddangr", "vaof", "Đảng"}
)
_TEXT = st.lists(
    st.one_of(st.sampled_from(_LEXICON_WORDS), st.text(max_size=12)), max_size=12
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_normalize_never_raises_and_is_idempotent(text):
    normalizer = Normalizer(LEXICON, vocabulary_of([KB_TEXT]))
    once = normalizer.normalize(text)
    assert normalizer.normalize(once) == once
    assert once == once.strip() and "  " not in once
    assert all(word.isascii() and word.isalnum() and word.islower() or word.isdigit()
               for word in once.split())


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalize_of_any_text_is_idempotent(text):
    normalizer = Normalizer(LEXICON, vocabulary_of([KB_TEXT]))
    once = normalizer.normalize(text)
    assert normalizer.normalize(once) == once
