"""Store-independent reading of a form's tab from a grid of cell values.

Every store turns a tab into rows of raw values (`rows[i]` is sheet row `i + 1`) and hands
them to `read_form_grid`, so header matching, blank rows, the STT column, the row limit and
the structural findings (`missing_tab`, `header_mismatch`, `too_many_rows`) behave the same
in the memory, local and Google stores.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl.utils import get_column_letter

from .. import i18n
from ..rules.findings import Finding
from .base import ROW, FormSheet

if TYPE_CHECKING:
    from ..campaign import Form

MAX_DATA_ROWS = 5000
"""Data rows read per form; a longer paste gives `too_many_rows` and only these are read."""

HEADER_SEARCH = 10
"""How many rows below the expected header row are searched when rows were inserted above."""

STT_HEADERS = frozenset({"stt", "tt", "số tt", "số thứ tự", "thứ tự", "no", "no."})
"""Numbering columns people add: ignored (a row with only its number filled is blank)."""

_SPACES = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm(text: Any) -> str:
    """Header / tab matching key: NFC, no zero-width characters, collapsed spaces, casefold."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFC", str(text)).translate(_INVISIBLE)
    return _SPACES.sub(" ", value).strip().casefold()


def is_blank(value: Any) -> bool:
    """An empty cell: None, '' or only whitespace."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.translate(_INVISIBLE).strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def find_tab(names: Iterable[str], tab: str) -> str | None:
    """The actual name of the tab matching `tab` (exact first, then normalised)."""
    names = list(names)
    if tab in names:
        return tab
    wanted = norm(tab)
    return next((n for n in names if norm(n) == wanted), None)


@dataclass
class HeaderLayout:
    """Where a form's columns are in a tab (0-based column indexes)."""

    header_row: int
    """1-based sheet row of the header."""
    columns: dict[str, int] = field(default_factory=dict)
    status: int | None = None
    ignored: set[int] = field(default_factory=set)
    unknown: dict[int, str] = field(default_factory=dict)
    """Non-empty header cells that are neither form columns, STT nor the status column."""
    width: int = 0
    """Number of header cells (last non-empty header column + 1)."""


def header_title(cell: Any) -> Any:
    """A header cell's first line: the status column's header carries the form's state on
    the lines below its title ("Kết quả kiểm tra\nĐã nộp lúc …")."""
    return cell.split("\n", 1)[0] if isinstance(cell, str) else cell


def _layout_at(row_number: int, header: Sequence[Any], form: Form) -> HeaderLayout:
    wanted = {norm(c.header): c.key for c in form.columns}
    status_key = norm(form.status_header)
    layout = HeaderLayout(header_row=row_number)
    for idx, cell in enumerate(header):
        key = norm(cell)
        if not key:
            continue
        layout.width = idx + 1
        if key in wanted and wanted[key] not in layout.columns:
            layout.columns[wanted[key]] = idx
        elif layout.status is None and norm(header_title(cell)) == status_key:
            layout.status = idx
        elif key in STT_HEADERS:
            layout.ignored.add(idx)
        else:
            layout.unknown[idx] = str(cell).strip()
    return layout


def locate_header(rows: Sequence[Sequence[Any]], form: Form) -> HeaderLayout:
    """The header layout; if rows were inserted above the header, the row that matches best."""
    expected = form.header_row
    if len(rows) < expected:
        return HeaderLayout(header_row=expected)
    best = _layout_at(expected, rows[expected - 1], form)
    if len(best.columns) == len(form.columns):
        return best
    last = min(len(rows), expected + HEADER_SEARCH)
    for number in range(1, last + 1):
        if number == expected:
            continue
        layout = _layout_at(number, rows[number - 1], form)
        if len(layout.columns) > len(best.columns):
            best = layout
    return best


def header_cells(rows: Sequence[Sequence[Any]], form: Form) -> Sequence[Any]:
    """The cells of the row that best looks like the form's header row."""
    layout = locate_header(rows, form)
    return rows[layout.header_row - 1] if layout.header_row <= len(rows) else []


def _header_findings(unit_id: str, form: Form, layout: HeaderLayout, lang: str) -> list[Finding]:
    findings: list[Finding] = []
    unknown = dict(layout.unknown)
    for pos, col in enumerate(form.columns):
        if col.key in layout.columns:
            continue
        guess = _guess_renamed(col.header, pos, layout, unknown)
        if guess is not None:
            found = unknown.pop(guess)
            message = i18n.t(
                "header_mismatch.renamed",
                lang,
                tab=form.tab,
                header=col.header,
                header_row=layout.header_row,
                letter=get_column_letter(guess + 1),
                found=found,
            )
            value: Any = found
        else:
            message = i18n.t(
                "header_mismatch.missing",
                lang,
                tab=form.tab,
                header=col.header,
                header_row=layout.header_row,
            )
            value = None
        findings.append(
            Finding(
                unit=unit_id,
                form=form.id,
                row=None,
                column=col.key,
                code="header_mismatch",
                severity="error",
                message=message,
                value=value,
            )
        )
    found_order = [k for k, _ in sorted(layout.columns.items(), key=lambda kv: kv[1])]
    expected_order = [k for k in form.keys if k in layout.columns]
    if found_order != expected_order:
        headers = {c.key: c.header for c in form.columns}
        findings.append(
            Finding(
                unit=unit_id,
                form=form.id,
                row=None,
                column=None,
                code="header_mismatch",
                severity="warning",
                message=i18n.t(
                    "header_mismatch.order",
                    lang,
                    tab=form.tab,
                    expected=", ".join(headers[k] for k in expected_order),
                    found=", ".join(headers[k] for k in found_order),
                ),
            )
        )
    return findings


def _guess_renamed(
    header: str, pos: int, layout: HeaderLayout, unknown: dict[int, str]
) -> int | None:
    """The unknown header cell most likely to be the renamed `header`."""
    if not unknown:
        return None
    offset = min(layout.ignored) + 1 if layout.ignored and min(layout.ignored) == 0 else 0
    if pos + offset in unknown:
        return pos + offset
    scored = [
        (difflib.SequenceMatcher(None, norm(header), norm(text)).ratio(), idx)
        for idx, text in unknown.items()
    ]
    score, idx = max(scored)
    return idx if score >= 0.6 else None


def empty_frame(form: Form) -> pd.DataFrame:
    frame = pd.DataFrame({k: pd.Series(dtype=object) for k in [ROW, *form.keys]})
    frame[ROW] = frame[ROW].astype("int64")
    return frame


def missing_tab(
    unit_id: str, form: Form, tabs: Sequence[str], candidate: str | None, *, lang: str
) -> FormSheet:
    """FormSheet for a tab that is not there (renamed or deleted); texts in `lang`."""
    shown = ", ".join(f"'{t}'" for t in tabs if not t.startswith("_")) or i18n.t(
        "missing_tab.no_tabs", lang
    )
    hint = (
        i18n.t("missing_tab.candidate", lang, candidate=candidate, tab=form.tab)
        if candidate
        else i18n.t("missing_tab.rename", lang, tab=form.tab)
    )
    finding = Finding(
        unit=unit_id,
        form=form.id,
        row=None,
        column=None,
        code="missing_tab",
        severity="error",
        message=i18n.t("missing_tab", lang, tab=form.tab, title=form.title, tabs=shown, hint=hint),
        value=candidate,
    )
    return FormSheet(form_id=form.id, frame=empty_frame(form), findings=[finding])


def renamed_candidate(form: Form, headers_by_tab: dict[str, Sequence[Any]]) -> str | None:
    """A tab (not the form's) whose header row holds at least half of the form's headers."""
    wanted = {norm(h) for h in form.headers}
    best: tuple[int, str] | None = None
    for tab, header in headers_by_tab.items():
        hits = len(wanted & {norm(c) for c in header})
        if hits * 2 >= len(wanted) and hits > 0 and (best is None or hits > best[0]):
            best = (hits, tab)
    return best[1] if best else None


def read_form_grid(
    unit_id: str, form: Form, rows: Sequence[Sequence[Any]], *, lang: str
) -> FormSheet:
    """Turn a tab's rows of raw values (rows[i] = sheet row i + 1) into a FormSheet; the
    structural findings are in `lang` (the campaign's language)."""
    layout = locate_header(rows, form)
    findings = _header_findings(unit_id, form, layout, lang)
    status: dict[int, str] = {}
    records: list[list[Any]] = []
    total = 0
    for number in range(layout.header_row + 1, len(rows) + 1):
        row = rows[number - 1]
        if layout.status is not None and layout.status < len(row):
            text = row[layout.status]
            if not is_blank(text):
                status[number] = str(text)
        values = [_cell(row, layout.columns[k]) if k in layout.columns else None for k in form.keys]
        if all(is_blank(v) for v in values):
            continue
        total += 1
        if total <= MAX_DATA_ROWS:
            records.append([number, *(None if is_blank(v) else v for v in values)])
    if total > MAX_DATA_ROWS:
        findings.append(
            Finding(
                unit=unit_id,
                form=form.id,
                row=None,
                column=None,
                code="too_many_rows",
                severity="error",
                message=i18n.t(
                    "too_many_rows",
                    lang,
                    tab=form.tab,
                    count=i18n.num(total, lang),
                    limit=i18n.num(MAX_DATA_ROWS, lang),
                    excess=i18n.num(total - MAX_DATA_ROWS, lang),
                ),
                value=total,
            )
        )
    if records:
        frame = pd.DataFrame(records, columns=[ROW, *form.keys], dtype=object)
        frame[ROW] = frame[ROW].astype("int64")
    else:
        frame = empty_frame(form)
    return FormSheet(form_id=form.id, frame=frame, findings=findings, status=status)


def _cell(row: Sequence[Any], idx: int) -> Any:
    return row[idx] if idx < len(row) else None
