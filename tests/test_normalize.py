"""Input normalisation: parsers alone and the vectorised column normaliser."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.normalize import (
    BAD_CHOICE,
    BAD_TYPE,
    EMPTY,
    OK,
    OUT_OF_RANGE,
    ChoiceMatcher,
    Invalid,
    a1,
    clean_many,
    col_index,
    col_letter,
    date_to_serial,
    normalize_column,
    normalize_text,
    parse_a1,
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    parse_phone,
    parse_year,
    serial_to_date,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Nguyễn   Văn\tAn ", "Nguyễn Văn An"),
        (unicodedata.normalize("NFD", "Nguyễn Thị Hà"), "Nguyễn Thị Hà"),
        ("Lò\u200b Thị\ufeff Mai\u2060", "Lò Thị Mai"),
        (1985.0, "1985"),
        (12, "12"),
        (None, ""),
        (float("nan"), ""),
        (date(2025, 4, 20), "20/04/2025"),
    ],
)
def test_normalize_text(raw: object, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("raw", ["x", "X", "có", "Có", "TRUE", "true", "1", 1, True, 1.0])
def test_true_values(raw: object) -> None:
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["", "không", "Không", "FALSE", "0", 0, False, None])
def test_false_values(raw: object) -> None:
    assert parse_bool(raw) is False


def test_bool_rejects_other_text() -> None:
    with pytest.raises(Invalid):
        parse_bool("có lẽ")


@pytest.mark.parametrize(
    "raw", ["1985", 1985, 1985.0, "1985.0", " 1985 ", date(1985, 6, 1), "01/06/1985"]
)
def test_years(raw: object) -> None:
    assert parse_year(raw) == 1985


@pytest.mark.parametrize("raw", ["abc", 1985.5, True, "85"])
def test_bad_years(raw: object) -> None:
    with pytest.raises(Invalid):
        parse_year(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20/04/2025", date(2025, 4, 20)),
        ("5/4/2025", date(2025, 4, 5)),  # d/m/yyyy: day first
        ("05-04-2025", date(2025, 4, 5)),
        ("2025-04-05", date(2025, 4, 5)),
        (datetime(2025, 4, 5, 13, 30), date(2025, 4, 5)),
        (45752, date(2025, 4, 5)),  # spreadsheet serial
        ("45752", date(2025, 4, 5)),
    ],
)
def test_dates(raw: object, expected: date) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2025", "hôm qua", "2025/13/01"])
def test_bad_dates(raw: str) -> None:
    with pytest.raises(Invalid):
        parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("12", 12), (12.0, 12), ("1.234", 1234), ("1 234", 1234), ("12.0", 12)]
)
def test_integers(raw: object, expected: int) -> None:
    assert parse_int(raw) == expected


@pytest.mark.parametrize("raw", ["12,5", 12.5, "mười", True])
def test_bad_integers(raw: object) -> None:
    with pytest.raises(Invalid):
        parse_int(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12,5", 12.5), ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("1.234", 1234.0), ("1.5", 1.5)],
)
def test_numbers(raw: str, expected: float) -> None:
    assert parse_number(raw) == expected


@pytest.mark.parametrize(
    "raw", ["0912345678", "0912 345 678", "0912.345.678", "+84 912 345 678", 912345678]
)
def test_phones(raw: object) -> None:
    assert parse_phone(raw) == "0912345678"


def test_choices_ignore_case_but_not_diacritics() -> None:
    match = ChoiceMatcher(["Nam", "Nữ"])
    assert match("nữ") == "Nữ"
    assert match(unicodedata.normalize("NFD", "NỮ")) == "Nữ"
    with pytest.raises(Invalid):
        match("Năm")


def test_a1_helpers() -> None:
    assert [col_letter(n) for n in (1, 26, 27, 28, 702, 703)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
    assert col_index("AB") == 28
    assert a1(3, 2) == "B3"
    rng = parse_a1("'Đại biểu'!A2:C10")
    assert (rng.sheet, rng.start_row, rng.start_col, rng.end_row, rng.end_col) == (
        "Đại biểu",
        2,
        1,
        10,
        3,
    )
    assert parse_a1("Sheet1!B:D").start_row is None


# ----------------------------------------------------------------------- round trips
@given(st.integers(min_value=1, max_value=18278))
def test_column_letters_round_trip(n: int) -> None:
    assert col_index(col_letter(n)) == n


@given(
    st.integers(1, 5000),
    st.integers(1, 200),
    st.integers(1, 5000),
    st.integers(1, 200),
    st.text(alphabet="abcĐạibiểu _'1", min_size=1, max_size=12),
)
def test_a1_range_round_trip(r1: int, c1: int, r2: int, c2: int, sheet: str) -> None:
    ref = f"{a1(r1, c1)}:{a1(r2, c2)}"
    parsed = parse_a1(f"'{sheet.replace(chr(39), chr(39) * 2)}'!{ref}")
    assert (parsed.sheet, parsed.start_row, parsed.start_col, parsed.end_row, parsed.end_col) == (
        sheet,
        r1,
        c1,
        r2,
        c2,
    )
    assert parse_a1(str(parsed)) == parsed


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 12, 31)))
def test_dates_round_trip(day: date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}") == day
    assert parse_date(day.isoformat()) == day
    assert serial_to_date(date_to_serial(day)) == day
    assert parse_date(date_to_serial(day)) == day


@given(st.integers(1000, 9999))
def test_years_round_trip(year: int) -> None:
    for raw in (year, float(year), str(year), f"{year}.0", date(year, 1, 1)):
        assert parse_year(raw) == year


_WORDS = st.lists(
    st.text(
        alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐƯ",
        min_size=1,
        max_size=8,
    ),
    min_size=1,
    max_size=5,
)


@given(
    _WORDS,
    st.lists(
        st.sampled_from([" ", "  ", "\t", "\u200b", "\ufeff", "\u2060"]), min_size=6, max_size=6
    ),
)
def test_vietnamese_text_round_trip(words: list[str], junk: list[str]) -> None:
    clean = " ".join(words)
    messy = junk[0] + (junk[1] + " ").join(unicodedata.normalize("NFD", w) for w in words) + junk[2]
    assert normalize_text(messy) == clean
    assert clean_many([messy, clean, unicodedata.normalize("NFD", clean)]) == [clean] * 3


# ----------------------------------------------------------------------- columns
def test_year_column_statuses_and_types() -> None:
    raw = pd.Series(["1985", 1990, 1990.0, None, "", "abc", 1900, "1985"], dtype=object)
    col = normalize_column(raw, "nam_sinh", "year", low=1955, high=2007)
    assert col.status.tolist() == [OK, OK, OK, EMPTY, EMPTY, BAD_TYPE, OUT_OF_RANGE, OK]
    typed = pd.array(col.typed())
    assert typed[0] == 1985 and typed[1] == 1990 and pd.isna(typed[5])


def test_choice_column_canonical_spelling() -> None:
    raw = pd.Series(["nữ", "NAM", " Nữ ", "Năm"], dtype=object)
    col = normalize_column(raw, "gioi_tinh", "choice", choices=("Nam", "Nữ"))
    assert list(col.typed()[:3]) == ["Nữ", "Nam", "Nữ"]
    assert col.status[3] == BAD_CHOICE


def test_missing_column_is_all_empty() -> None:
    col = normalize_column(None, "ho_ten", "text", length=3)
    assert col.status.tolist() == [EMPTY] * 3


def test_bool_column_empty_is_false() -> None:
    col = normalize_column(pd.Series(["x", None, "không", True], dtype=object), "b", "bool")
    assert list(col.typed()) == [True, False, False, True]
    assert np.array_equal(col.status, [OK, EMPTY, OK, OK])
