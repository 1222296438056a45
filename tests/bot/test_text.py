"""Folding and cleaning of Vietnamese text."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.text import clean, fold
from storage.candidates import clean_name, fold_name


def test_fold_strips_diacritics_and_d():
    assert fold("Nguyễn Thị Đào") == "nguyen thi dao"
    assert fold("  ĐẶNG   văn\tđức \n") == "dang van duc"


def test_fold_nfd_equals_nfc():
    name = "Trần Thị Hồng Nhung"
    assert fold(unicodedata.normalize("NFD", name)) == fold(name) == "tran thi hong nhung"


def test_fold_old_and_new_tone_placement():
    assert fold("hoà") == fold("hòa") == "hoa"
    assert fold("THUỶ") == fold("thủy") == "thuy"
    assert fold("Khoẻ") == fold("khỏe")


def test_fold_drops_invisible_characters():
    assert fold("Mai\u200b Lan") == "mai lan"


def test_clean_keeps_diacritics_and_case():
    assert clean("  Lê   Thu\tTrang ") == "Lê Thu Trang"
    assert clean(unicodedata.normalize("NFD", "Lê Thu")) == unicodedata.normalize("NFC", "Lê Thu")


def test_candidate_aliases_delegate():
    assert fold_name("Nguyễn Thị Đào") == fold("Nguyễn Thị Đào")
    assert clean_name(" Lê  Văn ") == "Lê Văn"


@given(st.text())
def test_fold_is_idempotent_and_tidy(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert "  " not in folded and folded == folded.strip()


@given(st.text())
def test_clean_is_idempotent(text):
    assert clean(clean(text)) == clean(text)
