"""Parsers for form answers: concrete cases and properties."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import (
    MatchResult,
    Option,
    control_word,
    match_option,
    parse_date,
    parse_free_text,
    parse_full_name,
    parse_time,
    parse_yes_no,
)
from bot.text import clean, fold

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("29/02/2024", date(2024, 2, 29)),
        ("29/02/2023", None),
        ("31/02/2025", None),
        ("5/3/08", date(2008, 3, 5)),
        ("5/3/95", date(1995, 3, 5)),
        ("5/3/26", date(2026, 3, 5)),
        ("5/3/27", date(1927, 3, 5)),
        ("05/03/2008", date(2008, 3, 5)),
        ("  5/3/2008  ", date(2008, 3, 5)),
        ("31-12-2025", date(2025, 12, 31)),
        ("1.1.2026", date(2026, 1, 1)),
        ("2025-12-31", date(2025, 12, 31)),
        ("ngày 1/5/2020", date(2020, 5, 1)),
        ("１/５/２０２０", date(2020, 5, 1)),
        ("hôm nay", TODAY),
        ("Hôm nay", TODAY),
        ("hom nay", TODAY),
        ("nay", TODAY),
        ("hôm qua", date(2026, 3, 14)),
        ("hom qua", date(2026, 3, 14)),
        ("qua", date(2026, 3, 14)),
        ("1/1/1899", None),
        ("1/1/2101", None),
        ("1/1/1900", date(1900, 1, 1)),
        ("31/12/2100", date(2100, 12, 31)),
        ("13/13/2020", None),
        ("0/1/2020", None),
        ("1/1/202", None),
        ("12/2020", None),
        ("ngày mai", None),
        ("abc", None),
        ("", None),
        ("5/3/2008 x", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text, TODAY) == expected


def test_parse_date_yesterday_crosses_year():
    assert parse_date("hôm qua", date(2026, 1, 1)) == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nguyen thi mai", "Nguyen Thi Mai"),
        ("nguyễn thị mai", "Nguyễn Thị Mai"),
        ("NGUYỄN VĂN A", "Nguyễn Văn A"),
        ("Lê Thu Trang", "Lê Thu Trang"),
        ("  lê   thu  trang ", "Lê Thu Trang"),
        ("đặng văn đức", "Đặng Văn Đức"),
        ("McDonald thị", "McDonald thị"),
        ("h'hen niê", "H'Hen Niê"),
        ("y-ngông niê", "Y-Ngông Niê"),
        ("Mai", None),
        ("Nguyen Van 3", None),
        ("Nguyen 2 Mai", None),
        ("Nguyễn Văn A!", None),
        ("Nguyen - Mai", None),
        ("Nguyen Mai-", None),
        ("", None),
        ("   ", None),
        ("A " * 41, None),
    ],
)
def test_parse_full_name(text, expected):
    assert parse_full_name(text) == expected


def test_parse_full_name_accepts_decomposed_input():
    import unicodedata

    assert parse_full_name(unicodedata.normalize("NFD", "lê thu trang")) == "Lê Thu Trang"


GENDERS = [Option("male", ("Nam",)), Option("female", ("Nữ",)), Option("other", ("Khác",))]
PROVINCES = [
    Option("nam", ("Nam",)),
    Option("nam_dinh", ("Nam Định",)),
    Option("ha_nam", ("Hà Nam",)),
    Option("ha_noi", ("Hà Nội", "HN")),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "male"),
        (" 2 ", "female"),
        ("2.", "female"),
        ("số 3", "other"),
        ("so 3", "other"),
        ("nu", "female"),
        ("Nữ", "female"),
        ("NỮ.", "female"),
        ("kh", "other"),
        ("khac", "other"),
        ("4", None),
        ("0", None),
        ("xyz", None),
        ("", None),
    ],
)
def test_match_option_genders(text, expected):
    assert match_option(text, GENDERS).value == expected


def test_match_option_exact_beats_prefix_and_word():
    assert match_option("nam", PROVINCES) == MatchResult("nam")
    assert match_option("nam dinh", PROVINCES) == MatchResult("nam_dinh")
    assert match_option("hn", PROVINCES) == MatchResult("ha_noi")


def test_match_option_prefix_and_whole_word():
    assert match_option("nam d", PROVINCES) == MatchResult("nam_dinh")
    assert match_option("ha noi", PROVINCES) == MatchResult("ha_noi")
    assert match_option("noi", PROVINCES) == MatchResult("ha_noi")


def test_match_option_ambiguous_lists_values_in_order():
    assert match_option("ha", PROVINCES) == MatchResult(None, ("ha_nam", "ha_noi"))
    cells = [Option("1", ("Chi bộ Giáo viên",)), Option("2", ("Chi bộ Học sinh",))]
    assert match_option("chi bo", cells) == MatchResult(None, ("1", "2"))
    assert match_option("giao", cells) == MatchResult("1")


def test_match_option_single_letter_needs_whole_word():
    options = [Option("a", ("Khối A",)), Option("b", ("Khối B",))]
    assert match_option("a", options) == MatchResult("a")
    assert match_option("k", options) == MatchResult(None)


def test_match_option_number_out_of_range_falls_back_to_labels():
    years = [Option("y1", ("2025",)), Option("y2", ("2026",))]
    assert match_option("2026", years) == MatchResult("y2")
    assert match_option("2", years) == MatchResult("y2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("có", True), ("co", True), ("C", True), ("yes", True), ("y", True), ("đúng", True),
        ("dung", True), ("phải", True), ("ừ", True), ("u", True), ("OK", True), ("ok!", True),
        ("vâng", True), ("dạ có", True), ("có ạ", True),
        ("không", False), ("khong", False), ("ko", False), ("k", False), ("no", False),
        ("n", False), ("sai", False), ("chưa", False), ("chua", False), ("không ạ", False),
        ("1", None), ("2", None), ("có lẽ", None), ("", None), ("maybe", None),
    ],
)
def test_parse_yes_no(text, expected):
    assert parse_yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/back", "back"), ("/back@anybot", "back"), ("/Back@Some_Bot", "back"),
        ("quay lại", "back"), ("Quay lai", "back"), ("trở lại", "back"), ("lùi", "back"),
        ("/skip", "skip"), ("bỏ qua", "skip"), ("bo qua", "skip"), ("bỏ", "skip"),
        ("skip", "skip"),
        ("/cancel", "cancel"), ("/cancel@x_bot", "cancel"), ("hủy", "cancel"),
        ("huỷ", "cancel"), ("Huy!", "cancel"), ("thôi", "cancel"), ("dừng lại", "cancel"),
        ("cancel", "cancel"),
        ("quay lại sau", None), ("tôi muốn hủy", None), ("/backup", None), ("/start", None),
        ("/back now", None), ("", None), ("hello", None),
    ],
)
def test_control_word(text, expected):
    assert control_word(text) == expected


def test_parse_free_text():
    assert parse_free_text("  Học   tốt  ", 20) == "Học tốt"
    assert parse_free_text("   ", 20) is None
    assert parse_free_text("abcdef", 5) is None
    assert parse_free_text("abcde", 5) == "abcde"


@given(st.text(), st.dates())
def test_parsers_are_total(text, today):
    parse_date(text, today)
    parse_full_name(text)
    match_option(text, GENDERS)
    match_option(text, [])
    parse_yes_no(text)
    control_word(text)
    parse_free_text(text, 10)


@given(st.text(alphabet="0123456789/-. hômnayqu", max_size=14), st.dates())
def test_parse_date_is_total_on_date_like_text(text, today):
    result = parse_date(text, today)
    assert result is None or 1900 <= result.year <= 2100


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_parse_date_round_trips(day):
    assert parse_date(day.strftime("%d/%m/%Y"), TODAY) == day
    assert parse_date(day.isoformat(), TODAY) == day


@given(st.text())
def test_parse_full_name_output_is_tidy(text):
    name = parse_full_name(text)
    if name is not None:
        assert "  " not in name and name == name.strip()
        assert fold(name) == fold(clean(text))
        assert len(name.split(" ")) >= 2


NAME_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậếềểễệốồổỗộớờởỡợứừửữựýỳỷỹỵ"


@given(st.lists(st.text(alphabet=NAME_LETTERS, min_size=1, max_size=7), min_size=2, max_size=5))
def test_parse_full_name_accepts_vietnamese_words(words):
    typed = " ".join(words)
    for variant in (typed, typed.upper()):
        name = parse_full_name(variant)
        assert name is not None
        assert fold(name) == fold(typed)
        assert all(word[0].isupper() for word in name.split(" "))


@pytest.mark.parametrize("typed, expected", [
    ("7:30", time(7, 30)), ("07h30", time(7, 30)), ("7h", time(7, 0)),
    ("19 giờ", time(19, 0)), ("7 giờ rưỡi", time(7, 30)), ("5h chiều", time(17, 0)),
    ("7.30 sáng", time(7, 30)), ("lúc 8 giờ tối", time(20, 0)), ("12h đêm", time(0, 0)),
    ("7 gio 15 phut", time(7, 15)), ("18:05", time(18, 5)),
])
def test_times_typed_on_a_phone(typed, expected):
    assert parse_time(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "7:61", "abc", "", "7 giờ kém", "sáng mai"])
def test_impossible_or_unclear_times_are_refused(typed):
    assert parse_time(typed) is None


@given(st.text())
def test_parse_time_never_raises(text):
    result = parse_time(text)
    assert result is None or isinstance(result, time)
