"""The official list of a form (print page and Word document), as Nghị định 30/2020/NĐ-CP
lays out an administrative document: issuing body beside the national title, place and
date, title, a table grouped by unit, signature blocks.

Built from one consistent read of the audit database (`sync.audit.records.official_rows_of`):
per unit the rows as officially submitted (or, when asked, the rows last read), and which of
them still carry errors.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .consolidate import tree_order

if TYPE_CHECKING:
    from .campaign import Campaign, Form
    from .campaign.model import Signer

NATION = "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
DEFAULT_SIGNER_TITLE = "TM. BAN TỔ CHỨC"
SIGN_HINT = "(Ký, ghi rõ họ tên, đóng dấu)"


def vn_date(day: date) -> str:
    """'ngày 21 tháng 4 năm 2025': days below 10 and months 1, 2 get a leading zero (NĐ 30)."""
    d = f"{day.day:02d}" if day.day < 10 else str(day.day)
    m = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {d} tháng {m} năm {day.year}"


# --- Vietnamese collation -------------------------------------------------------------------

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
"""huyền, hỏi, ngã, sắc, nặng (after the level tone), the dictionary order."""


def collation_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sort key in Vietnamese alphabetical order: letters first (a < ă < â < b … đ …),
    tones second (a < à < ả < ã < á < ạ); case and spacing ignored."""
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFC", text.strip().lower()):
        parts = unicodedata.normalize("NFD", char)
        tone = next((_TONES[c] for c in parts if c in _TONES), 0)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        letters.append(_RANK.get(base, 100 + ord(base[0]) if base else 0))
        tones.append(tone)
    return tuple(letters), tuple(tones)


def given_name_key(text: str) -> tuple[Any, ...]:
    """Vietnamese names by the given name (last word), then the whole name."""
    words = text.split()
    return (collation_key(words[-1]) if words else ((), ()), collation_key(text))


# --- the list -------------------------------------------------------------------------------


@dataclass
class OfficialColumn:
    header: str
    share: float
    """Fraction of the table width (STT included in the total)."""
    numeric: bool = False


@dataclass
class OfficialRow:
    number: int
    values: list[str]
    errors: bool = False
    """The row still carries errors (marked on the list)."""


@dataclass
class OfficialGroup:
    unit: str
    rows: list[OfficialRow]
    official: bool = True
    """False: the unit has not submitted; these are the rows last read."""


@dataclass
class OfficialList:
    parent_body: str
    organizer: str
    place: str
    date_text: str
    title: str
    subtitles: list[str]
    columns: list[OfficialColumn]
    stt_share: float
    groups: list[OfficialGroup] = field(default_factory=list)
    signers: list[Signer] = field(default_factory=list)
    all_valid: bool = False
    submitted_units: int = 0
    unit_count: int = 0

    @property
    def row_count(self) -> int:
        return sum(len(g.rows) for g in self.groups)

    @property
    def error_rows(self) -> int:
        return sum(1 for g in self.groups for r in g.rows if r.errors)

    @property
    def date_line(self) -> str:
        return f"{self.place or '……'}, {self.date_text}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.strftime("%d/%m/%Y")
    return str(value)


NUMERIC = {"integer", "number", "year"}
STT_WIDTH = 5.5


def build_official_list(
    campaign: Campaign,
    form: Form,
    rows_by_unit: dict[str, list[list[Any]]],
    official_units: set[str],
    error_rows: dict[str, set[int]],
    when: datetime,
    all_valid: bool = False,
    unit: str | None = None,
) -> OfficialList:
    """The official list of `form` from per-unit rows (form keys order, as snapshots hold
    them). Rows of units not in `official_units` are shown (marked) only with `all_valid`.
    `error_rows`: per unit, indexes (0-based) of rows that still carry errors."""
    columns = form.print_columns
    keys = form.keys
    picks = [keys.index(c.key) for c in columns]
    weights = [c.print_width or c.width or max(6, len(c.header) // 2) for c in columns]
    total = STT_WIDTH + sum(weights)
    sort = [(keys.index(k), by) for k, by in form.print_sort]
    subtitles = []
    if form.id != form.template_id and form.title.upper() != form.official_title:
        subtitles.append(form.title)
    subtitles.append(campaign.info.title)
    out = OfficialList(
        parent_body=(campaign.info.parent_body or "").upper(),
        organizer=campaign.info.organizer.upper(),
        place=campaign.info.place or "",
        date_text=vn_date(when.date()),
        title=form.official_title,
        subtitles=subtitles,
        columns=[
            OfficialColumn(c.header, w / total, c.type in NUMERIC or c.type == "bool")
            for c, w in zip(columns, weights, strict=True)
        ],
        stt_share=STT_WIDTH / total,
        signers=list(campaign.info.signers),
        all_valid=all_valid,
        submitted_units=sum(1 for u in campaign.units if u.id in official_units),
        unit_count=len(campaign.units),
    )
    number = 0
    for u, _depth in tree_order(campaign):
        if unit is not None and u.id != unit:
            continue
        official = u.id in official_units
        if not official and not all_valid:
            continue
        rows = rows_by_unit.get(u.id) or []
        bad = error_rows.get(u.id, set())
        indexed = list(enumerate(rows))
        for idx, by in reversed(sort):
            key = given_name_key if by == "given_name" else collation_key
            indexed.sort(key=lambda item, i=idx, k=key: k(_text(item[1][i])))  # type: ignore[misc]
        lines = []
        for i, values in indexed:
            if not official and i in bad:
                continue  # "all valid rows": a draft row with errors is not listed
            number += 1
            lines.append(
                OfficialRow(
                    number=number,
                    values=[_text(values[p]) if p < len(values) else "" for p in picks],
                    errors=i in bad,
                )
            )
        if lines:
            out.groups.append(OfficialGroup(u.name, lines, official))
    return out
