"""Input normalisation for spreadsheet cells (docs/design.md: Form templates, input normalisation).

Scalar parsers (`normalize_text`, `parse_bool`, `parse_year`, `parse_date`, `parse_int`,
`parse_number`, `parse_email`, `parse_phone`, `ChoiceMatcher`) and the vectorised
`normalize_column`, which maps only the *unique* raw values of a column through Python
(`pd.factorize` + take) and returns typed values plus a per-row status code.

Decisions (documented in docs by the owner of this module):

- Text: zero-width characters (U+200B..U+200D, U+FEFF, U+2060) removed, Unicode NFC,
  whitespace trimmed and collapsed to one space. Numbers in a text column become their
  plain spelling (1985.0 → "1985"), dates become dd/mm/yyyy.
- Choices: matched case-insensitively but with exact diacritics (Nam ≠ Năm); stored in the
  canonical spelling of the choice list.
- Booleans: true from x, X, có, TRUE, true, 1, yes, ✓ and a ticked checkbox (Python True);
  false from "", không, FALSE, 0, no and an unticked checkbox.
- Integers: "12", 12, 12.0, "1.234" (a dot followed by groups of exactly three digits is
  the Vietnamese thousands separator), "12.0"; "12,5" is not an integer.
- Numbers: "12,5" (Vietnamese decimal comma) = 12.5; "1.234,5" = 1234.5; "1,234.5" = 1234.5;
  "1.234" = 1234 (thousands, as for integers); "1.5" = 1.5.
- Years: 1985, 1985.0, "1985", "1985.0", or any date (its year).
- Dates: date/datetime objects; text dd/mm/yyyy first (also d/m/yyyy, dd-mm-yyyy,
  dd.mm.yyyy), then yyyy-mm-dd (an ISO time part is ignored); numbers (and numeric text)
  as spreadsheet date serials (epoch 1899-12-30).
- Phones: spaces, dots, dashes and brackets removed; +84 / 84 prefix → 0; a 9-digit number
  (leading zero lost by the spreadsheet) gets its 0 back; valid is 0 followed by 9 or 10
  digits. Stored as digits ("0912345678").
- E-mails: trimmed, "mailto:" removed, lower-cased; must look like name@domain.tld.
- True, 1 and 1.0 are the same key for `pd.factorize` (Python equality): a column mixing
  them maps all to the spelling of the first one seen. Harmless for bool and numeric
  columns; in a text column TRUE and 1 may show the same text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from . import i18n
from .vietnamese import detect_many, tone_key

# ---------------------------------------------------------------------------- status codes
OK = 0
EMPTY = 1
BAD_TYPE = 2
BAD_CHOICE = 3
OUT_OF_RANGE = 4
BAD_PATTERN = 5

STATUS_CODES = {
    BAD_TYPE: "invalid_type",
    BAD_CHOICE: "invalid_choice",
    OUT_OF_RANGE: "out_of_range",
    BAD_PATTERN: "pattern_mismatch",
}

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u2060"))
_SERIAL_EPOCH = date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31


class Invalid(ValueError):
    """A cell value is not of the column's type."""


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pd.NA."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------- text
def clean_str(text: str) -> str:
    """Zero-width characters removed, NFC, whitespace trimmed and collapsed."""
    if not text.isascii():
        text = text.translate(_ZERO_WIDTH)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


_SEP = "\x00"
_ODD_SPACE = (
    "  ",
    " " + _SEP,
    _SEP + " ",
    "\t",
    "\n",
    "\r",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x1f",
)
_ODD_SPACE_NON_ASCII = (
    "\x85",
    "\xa0",
    "\u1680",
    *(chr(c) for c in range(0x2000, 0x200B)),
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
)
_ZW_CHARS = tuple(chr(c) for c in _ZERO_WIDTH)


def clean_many(texts: Sequence[str] | np.ndarray) -> list[str]:
    """`clean_str` over many strings at once (one pass over their concatenation)."""
    if not len(texts):
        return []
    big = _SEP.join(texts)
    if big.count(_SEP) != len(texts) - 1:
        return [clean_str(t) for t in texts]
    ascii_only = big.isascii()
    if not ascii_only:
        if any(z in big for z in _ZW_CHARS):
            big = big.translate(_ZERO_WIDTH)
        if not unicodedata.is_normalized("NFC", big):
            big = unicodedata.normalize("NFC", big)
    parts = big.split(_SEP)
    odd = any(w in big for w in _ODD_SPACE) or big.startswith(" ") or big.endswith(" ")
    if not odd and not ascii_only:
        odd = any(w in big for w in _ODD_SPACE_NON_ASCII)
    if odd:
        parts = [" ".join(p.split()) for p in parts]
    return parts


def map_joined(texts: Sequence[str] | np.ndarray, fn: Any) -> list[str]:
    """Apply a str → str function that keeps NUL separators to many strings in one call."""
    if not len(texts):
        return []
    big = _SEP.join(texts)
    parts = fn(big).split(_SEP) if big.count(_SEP) == len(texts) - 1 else None
    if parts is None or len(parts) != len(texts):
        return [fn(t) for t in texts]
    return parts


def loose_keys(texts: Sequence[str] | np.ndarray) -> list[str]:
    """`loose_key` over many strings (marks dropped on the code points of all at once)."""
    return map_joined(texts, _loose_key_joined)


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def normalize_text(value: Any) -> str:
    """Any cell value as clean text ("" for empty cells)."""
    if isinstance(value, str):
        return clean_str(value)
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _number_text(value.item() if isinstance(value, np.generic) else value)
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return clean_str(str(value))


TEXT_TYPES = ("text", "choice", "email", "phone")
"""Column types whose values are compared as text (by `match_key`)."""


def match_key(text: str) -> str:
    """Key for name matching: clean text, case-folded, diacritics kept, old and new tone
    placement alike (Hoà = Hòa, Thuý = Thúy)."""
    return tone_key(text.casefold())


def match_keys(texts: Sequence[str] | np.ndarray) -> list[str]:
    """`match_key` over many strings."""
    return map_joined(texts, match_key)


_MARK_RANGES = (
    (0x300, 0x370),
    (0x1AB0, 0x1B00),
    (0x1DC0, 0x1E00),
    (0x20D0, 0x2100),
    (0xFE20, 0xFE30),
)
_STRIP_MARKS: dict[int, int | None] = {cp: None for lo, hi in _MARK_RANGES for cp in range(lo, hi)}
_STRIP_MARKS[ord("đ")] = ord("d")


def loose_key(text: str) -> str:
    """Key for likely duplicates: case-folded, diacritics removed, đ → d."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return unicodedata.normalize("NFD", folded).translate(_STRIP_MARKS)


def _loose_key_joined(text: str) -> str:
    """`loose_key` of a long text (many keys joined): the marks are dropped with array
    operations on its code points instead of a per-character `str.translate`."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFD", folded)
    try:
        points = np.frombuffer(decomposed.encode("utf-32-le"), np.uint32)
    except UnicodeEncodeError:  # a lone surrogate: character by character
        return decomposed.translate(_STRIP_MARKS)
    drop = np.zeros(len(points), dtype=bool)
    for lo, hi in _MARK_RANGES:
        drop |= (points >= lo) & (points < hi)
    kept = points[~drop]
    kept = np.where(kept == ord("đ"), ord("d"), kept).astype(np.uint32)
    return kept.tobytes().decode("utf-32-le")


# ---------------------------------------------------------------------------- scalars
_TRUE = {"x", "có", "true", "1", "yes", "y", "✓", "✔", "v"}
_FALSE = {"", "không", "false", "0", "no", "n"}


def parse_bool(value: Any) -> bool:
    """x / có / TRUE / 1 / ticked checkbox → True; "" / không / FALSE / 0 → False."""
    if is_missing(value):
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    text = normalize_text(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid(value)


_INT_RE = re.compile(r"[+-]?\d+")
_THOUSANDS_DOT_RE = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")
_INT_ZERO_FRACTION_RE = re.compile(r"([+-]?\d+)[.,]0+")


def parse_int(value: Any) -> int:
    """12, 12.0, "12", "1.234" (thousands dot), "1 234", "12.0" → int."""
    if isinstance(value, (bool, np.bool_)) or is_missing(value):
        raise Invalid(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value) and float(value).is_integer():
            return int(value)
        raise Invalid(value)
    if not isinstance(value, str):
        raise Invalid(value)
    text = clean_str(value).replace(" ", "")
    if _INT_RE.fullmatch(text):
        return int(text)
    if _THOUSANDS_DOT_RE.fullmatch(text):
        return int(text.replace(".", ""))
    m = _INT_ZERO_FRACTION_RE.fullmatch(text)
    if m:
        return int(m.group(1))
    raise Invalid(value)


_NUM_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def parse_number(value: Any) -> float:
    """Numbers with Vietnamese (1.234,5) or English (1,234.5) separators → float."""
    if isinstance(value, (bool, np.bool_)) or is_missing(value):
        raise Invalid(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        result = float(value)
        if not math.isfinite(result):
            raise Invalid(value)
        return result
    if not isinstance(value, str):
        raise Invalid(value)
    text = clean_str(value).replace(" ", "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        if text.count(",") > 1:
            raise Invalid(value)
        text = text.replace(",", ".")
    elif _THOUSANDS_DOT_RE.fullmatch(text):
        text = text.replace(".", "")
    if not _NUM_RE.fullmatch(text):
        raise Invalid(value)
    return float(text)


_PERCENT_SIGN_RE = re.compile(r"^(.*?)\s*%$")


def parse_percent(value: Any) -> float:
    """A percentage in points: "100%", "100 %", "98,5" → 100.0, 100.0, 98.5.

    A number without a % sign from 0 to 1 is a fraction — an Excel percent cell holds 1.0
    for 100 %, and "0,5" means 50 % —; above 1 it is already in points.
    """
    if isinstance(value, str):
        text = clean_str(value)
        signed = _PERCENT_SIGN_RE.fullmatch(text)
        if signed:
            return parse_number(signed.group(1))
        value = text
    number = parse_number(value)
    return round(number * 100, 9) if abs(number) <= 1 else number


def serial_to_date(serial: float) -> date:
    """A spreadsheet date serial (Excel/Sheets epoch 1899-12-30) → date."""
    if not (1 <= serial <= _MAX_SERIAL):
        raise Invalid(serial)
    return _SERIAL_EPOCH + timedelta(days=int(serial))


def date_to_serial(day: date) -> int:
    return (day - _SERIAL_EPOCH).days


_DMY_RE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_YMD_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_SERIAL_RE = re.compile(r"\d+(?:[.,]\d+)?")


_WHEN_DMY_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_WHEN_ISO_RE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)


def parse_when(text: str) -> date | datetime:
    """A date or date-time as organisers write it: ISO (2025-04-20, 2025-04-20T17:00[+07:00])
    or dd/mm/yyyy [HH:MM]. Raises ValueError with a Vietnamese reason (30/02/2025 does not
    exist, 25:00 is not a time…)."""
    raw = text.strip()
    m = _WHEN_DMY_RE.fullmatch(raw)
    offset = None
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _WHEN_ISO_RE.fullmatch(raw)
        if m is None:
            raise ValueError(i18n.t("date.not_a_date", text=text))
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        offset = m.group(7)
    try:
        day_value = date(year, month, day)
    except ValueError:
        raise ValueError(
            i18n.t("date.no_such_day", day=f"{day:02d}", month=f"{month:02d}", year=year)
        ) from None
    if m.group(4) is None:
        if offset:
            raise ValueError(i18n.t("date.timezone_needs_time", text=text))
        return day_value
    hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(i18n.t("date.bad_time", hour=f"{hour:02d}", minute=f"{minute:02d}"))
    moment = datetime.combine(day_value, time(hour, minute, second))
    if offset:
        iso = moment.isoformat() + ("+00:00" if offset == "Z" else offset)
        moment = datetime.fromisoformat(
            iso if ":" in offset or offset == "Z" else iso[:-2] + ":" + iso[-2:]
        )
    return moment


def parse_date(value: Any) -> date:
    """Dates: objects, dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy), yyyy-mm-dd, serials."""
    if isinstance(value, (bool, np.bool_)) or is_missing(value):
        raise Invalid(value)
    if isinstance(value, datetime):  # also pd.Timestamp
        return date(value.year, value.month, value.day)
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    if isinstance(value, (int, float, np.integer, np.floating)):
        if not math.isfinite(value):
            raise Invalid(value)
        return serial_to_date(float(value))
    if not isinstance(value, str):
        raise Invalid(value)
    text = clean_str(value)
    try:
        m = _DMY_RE.fullmatch(text)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _YMD_RE.fullmatch(text)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise Invalid(value) from None
    if _SERIAL_RE.fullmatch(text):
        return serial_to_date(float(text.replace(",", ".")))
    raise Invalid(value)


_YEAR_TEXT_RE = re.compile(r"(\d{4})(?:[.,]0+)?")


def parse_year(value: Any) -> int:
    """1985, 1985.0, "1985", "1985.0" or a date → 1985."""
    if isinstance(value, (bool, np.bool_)) or is_missing(value):
        raise Invalid(value)
    if isinstance(value, (date, np.datetime64)):
        return parse_date(value).year
    if isinstance(value, (int, float, np.integer, np.floating)):
        if math.isfinite(value) and float(value).is_integer() and 1 <= value <= 9999:
            return int(value)
        raise Invalid(value)
    if not isinstance(value, str):
        raise Invalid(value)
    text = clean_str(value)
    m = _YEAR_TEXT_RE.fullmatch(text)
    if m:
        return int(m.group(1))
    if "/" in text or "-" in text or "." in text:
        return parse_date(text).year
    raise Invalid(value)


_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def parse_email(value: Any) -> str:
    """E-mail address, lower-cased; `mailto:` removed."""
    text = normalize_text(value).replace(" ", "")
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.lower()
    if not _EMAIL_RE.fullmatch(text):
        raise Invalid(value)
    return text


_PHONE_STRIP = str.maketrans("", "", " .-()\u00a0")


def parse_phone(value: Any) -> str:
    """Vietnamese phone number → digits starting with 0 ("0912345678")."""
    if isinstance(value, (bool, np.bool_)) or is_missing(value):
        raise Invalid(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        if not (math.isfinite(value) and float(value).is_integer()):
            raise Invalid(value)
        text = str(int(value))
    else:
        text = normalize_text(value).translate(_PHONE_STRIP)
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    elif text.isdigit() and len(text) in (9, 10) and not text.startswith("0"):
        text = "0" + text
    if not (text.isdigit() and text.startswith("0") and len(text) in (10, 11)):
        raise Invalid(value)
    return text


class ChoiceMatcher:
    """Matches text to a choice list: case-insensitive, diacritics-exact, canonical spelling."""

    def __init__(self, choices: Iterable[str]) -> None:
        self.choices = tuple(choices)
        self._index = {match_key(clean_str(c)): c for c in self.choices}

    def __call__(self, value: Any) -> str:
        text = normalize_text(value)
        try:
            return self._index[match_key(text)]
        except KeyError:
            raise Invalid(value) from None


# ---------------------------------------------------------------------------- A1 notation
def col_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    if n < 1:
        raise ValueError(f"column number must be ≥ 1, got {n}")
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """A → 1, AB → 28."""
    text = letters.strip().upper()
    if not text or not text.isascii() or not text.isalpha():
        raise ValueError(f"'{letters}' is not a column name")
    n = 0
    for ch in text:
        n = n * 26 + ord(ch) - 64
    return n


def a1(row: int, col: int) -> str:
    """(3, 2) → B3."""
    if row < 1:
        raise ValueError(f"row must be ≥ 1, got {row}")
    return f"{col_letter(col)}{row}"


@dataclass(frozen=True)
class A1Range:
    """A parsed A1 reference; bounds are None when open (A:C, 2:5)."""

    sheet: str | None
    start_row: int | None
    start_col: int | None
    end_row: int | None
    end_col: int | None

    def __str__(self) -> str:
        def cell(r: int | None, c: int | None) -> str:
            return (col_letter(c) if c else "") + (str(r) if r else "")

        sheet = ""
        if self.sheet is not None:
            safe = re.fullmatch(r"[A-Za-z0-9_]+", self.sheet)
            sheet = (self.sheet if safe else "'" + self.sheet.replace("'", "''") + "'") + "!"
        start = cell(self.start_row, self.start_col)
        end = cell(self.end_row, self.end_col)
        single = (self.end_row, self.end_col) == (self.start_row, self.start_col)
        return sheet + (start if single else f"{start}:{end}")


_CELL_RE = re.compile(r"\$?([A-Za-z]*)\$?(\d*)")


def _cell(text: str) -> tuple[int | None, int | None]:
    m = _CELL_RE.fullmatch(text)
    if not m or not (m.group(1) or m.group(2)):
        raise ValueError(f"'{text}' is not an A1 cell")
    col = col_index(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) if m.group(2) else None
    if row == 0:
        raise ValueError(f"'{text}': row 0 does not exist")
    return row, col


def parse_a1(ref: str) -> A1Range:
    """'Sheet!A1:C3', "'Đại biểu'!B2", 'A:C', 'A5' → A1Range."""
    sheet: str | None = None
    text = ref.strip()
    if "!" in text:
        sheet, text = text.rsplit("!", 1)
        if len(sheet) >= 2 and sheet[0] == sheet[-1] == "'":
            sheet = sheet[1:-1].replace("''", "'")
    start, _, end = text.partition(":")
    r1, c1 = _cell(start)
    r2, c2 = _cell(end) if end else (r1, c1)
    return A1Range(sheet, r1, c1, r2, c2)


# ---------------------------------------------------------------------------- columns
@dataclass
class NormalizedColumn:
    """A column normalised once: per-unique results and per-row codes into them.

    `codes[i]` indexes the unique arrays; the last slot (index `len(uniques)`) is the
    empty cell. `values` / `status` are the per-row results.
    """

    key: str
    type: str
    codes: np.ndarray
    uniques: np.ndarray  # raw unique values + None (empty slot)
    unique_values: np.ndarray  # typed value per unique (object), None when empty/invalid
    unique_status: np.ndarray  # int8 status per unique
    unique_text: np.ndarray  # clean text per unique (object)
    unique_legacy: np.ndarray | None = None
    """Per unique: the legacy encoding (tcvn3, vni) it was typed in, else None; its
    `unique_text` is then the Unicode conversion."""
    _match: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def status(self) -> np.ndarray:
        return self.unique_status[self.codes]

    @property
    def empty(self) -> np.ndarray:
        return self.status == EMPTY

    def typed(self) -> Any:
        """Per-row typed values as a pandas array of the column type's dtype."""
        ok = self.unique_status == OK
        mask = ~ok[self.codes]
        if self.type in ("integer", "year"):
            ints = np.array(
                [
                    v if s == OK else 0
                    for v, s in zip(self.unique_values, self.unique_status, strict=True)
                ],
                dtype=np.int64,
            )
            return pd.arrays.IntegerArray(ints[self.codes], mask)
        if self.type in ("number", "percent"):
            floats = np.array(
                [
                    v if s == OK else np.nan
                    for v, s in zip(self.unique_values, self.unique_status, strict=True)
                ],
                dtype=np.float64,
            )
            return floats[self.codes]
        if self.type == "bool":
            bools = np.array(
                [
                    bool(v) if s == OK else False
                    for v, s in zip(self.unique_values, self.unique_status, strict=True)
                ],
                dtype=bool,
            )
            # an empty bool cell is False, not missing
            return pd.arrays.BooleanArray(bools[self.codes], self.status == BAD_TYPE)
        return self.unique_values[self.codes]

    def match_values(self) -> np.ndarray:
        """Per-unique matching key: case-folded text for text-like columns, typed value else
        (computed once; the array is shared, do not modify it)."""
        if self._match is not None:
            return self._match
        if self.type in TEXT_TYPES:
            keys = np.empty(len(self.unique_text), dtype=object)
            keys[:] = match_keys(self.unique_text)
            keys[self.unique_status != OK] = None
        else:
            keys = np.array(
                [
                    v if s == OK else None
                    for v, s in zip(self.unique_values, self.unique_status, strict=True)
                ],
                dtype=object,
            )
        keys.flags.writeable = False
        self._match = keys
        return keys


def parser_for(col_type: str, choices: Sequence[str] | None = None) -> Any:
    """The scalar parser of a column type (text-like ones return clean text)."""
    if col_type == "choice":
        return ChoiceMatcher(choices or ())
    return {
        "text": normalize_text,
        "integer": parse_int,
        "number": parse_number,
        "percent": parse_percent,
        "year": parse_year,
        "date": parse_date,
        "bool": parse_bool,
        "email": parse_email,
        "phone": parse_phone,
    }[col_type]


def _in_range(value: Any, low: Any, high: Any, col_type: str) -> bool:
    if col_type == "date":
        low = low if isinstance(low, date) else None
        high = high if isinstance(high, date) else None
    elif col_type in ("integer", "number", "percent", "year"):
        low = low if isinstance(low, (int, float)) else None
        high = high if isinstance(high, (int, float)) else None
    else:
        return True
    return not ((low is not None and value < low) or (high is not None and value > high))


def normalize_column(
    raw: Any,
    key: str,
    col_type: str,
    *,
    choices: Sequence[str] | None = None,
    low: Any = None,
    high: Any = None,
    pattern: str | None = None,
    length: int | None = None,
) -> NormalizedColumn:
    """Normalise one column (raw cell values; None when the column is absent)."""
    if raw is None:
        n = int(length or 0)
        codes = np.zeros(n, dtype=np.intp)
        uniques = np.empty(0, dtype=object)
    else:
        arr = (
            raw.to_numpy(dtype=object)
            if isinstance(raw, pd.Series)
            else np.asarray(raw, dtype=object)
        )
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
        n_u = len(uniques)
        codes = np.where(codes < 0, n_u, codes) if (codes < 0).any() else codes
    parse = parser_for(col_type, choices)
    regex = re.compile(pattern) if pattern else None
    check_range = low is not None or high is not None
    size = len(uniques) + 1
    values = np.empty(size, dtype=object)
    texts = np.empty(size, dtype=object)
    status = np.zeros(size, dtype=np.int8)
    if len(uniques) and pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        texts[:-1] = clean_many(uniques)
    else:
        texts[:-1] = [clean_str(v) if type(v) is str else normalize_text(v) for v in uniques]
    legacy: np.ndarray | None = None
    if col_type in ("text", "choice") and len(uniques):
        found = detect_many(texts[:-1].tolist(), choices if col_type == "choice" else None)
        if found:
            legacy = np.full(size, None, dtype=object)
            for i, (encoding, converted) in found.items():
                legacy[i] = encoding
                texts[i] = converted
    todo = uniques
    if col_type == "text":
        # plain text: every non-empty value is valid; only the pattern is left to check
        values[:-1] = texts[:-1]
        filled = texts[:-1] != ""
        status[:-1] = np.where(filled, OK, EMPTY)
        if regex is not None:
            match = regex.fullmatch
            bad = [i for i, text in enumerate(texts[:-1].tolist()) if text and match(text) is None]
            status[bad] = BAD_PATTERN
        todo = uniques[:0]
    for i, raw_value in enumerate(todo):
        text = texts[i]
        if text == "" and col_type != "bool":
            status[i] = EMPTY
            continue
        if col_type == "text":
            value: Any = text
        else:
            try:
                value = parse(raw_value if legacy is None or legacy[i] is None else text)
            except Invalid:
                status[i] = BAD_CHOICE if col_type == "choice" else BAD_TYPE
                continue
        if col_type == "bool" and text == "":
            status[i] = EMPTY
        values[i] = value
        if check_range and not _in_range(value, low, high, col_type):
            status[i] = OUT_OF_RANGE
        elif regex is not None and not regex.fullmatch(value if isinstance(value, str) else text):
            status[i] = BAD_PATTERN
    values[-1] = False if col_type == "bool" else None
    texts[-1] = ""
    status[-1] = EMPTY
    uniques_all = np.empty(size, dtype=object)
    uniques_all[:-1] = uniques
    uniques_all[-1] = None
    return NormalizedColumn(
        key, col_type, np.asarray(codes, dtype=np.intp), uniques_all, values, status, texts, legacy
    )
