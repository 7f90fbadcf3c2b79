"""Opening unit workbooks safely and reading their form tabs into grids of raw values."""

from __future__ import annotations

import warnings
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from ... import i18n
from ...errors import PermissionDenied, SheetNotFound, StoreError, WorkbookUnreadable
from ...feedback import GUIDE_TAB, SUMMARY_TAB
from ...rules.findings import Finding
from ..base import FormSheet, UnitSheets
from ..grid import (
    find_tab,
    header_cells,
    locate_header,
    missing_tab,
    read_form_grid,
    renamed_candidate,
)
from .files import sniff
from .workbook import LISTS_TAB, worksheet_rows

if TYPE_CHECKING:
    from ...campaign import Campaign, Form, Unit

SERVICE_TABS = frozenset({GUIDE_TAB, SUMMARY_TAB, LISTS_TAB})


def open_workbook(path: Path, data_only: bool = False) -> Workbook:
    """Load an xlsx or raise a StoreError subclass with a Vietnamese message saying what to do."""
    name = path.name
    if not path.exists():
        raise SheetNotFound(i18n.t("local.no_workbook", name=name, folder=path.parent))
    try:
        kind = sniff(path)
        if kind == "ole2":
            raise WorkbookUnreadable(i18n.t("local.encrypted", name=name))
        if kind != "xlsx-zip":
            key = "local.not_xlsx.empty" if kind == "empty" else "local.not_xlsx.renamed"
            raise WorkbookUnreadable(i18n.t(key, name=name))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(path, data_only=data_only, rich_text=False)
    except StoreError:
        raise
    except PermissionError:
        raise PermissionDenied(i18n.t("local.locked", name=name)) from None
    except (zipfile.BadZipFile, KeyError) as exc:
        raise WorkbookUnreadable(
            i18n.t("local.bad_zip", name=name, error=type(exc).__name__)
        ) from None
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise WorkbookUnreadable(
            i18n.t("local.damaged", name=name, error=type(exc).__name__)
        ) from None


def unavailable(unit: Unit, exc: StoreError) -> Finding:
    return Finding(
        unit=unit.id,
        form="",
        row=None,
        column=None,
        code="sheet_unavailable",
        severity="error",
        message=i18n.t("store.unit_problem", unit=unit.name, problem=exc),
    )


def _formula_text(value: Any) -> Any:
    return value.text if isinstance(value, ArrayFormula) else value


def sheet_grid(ws: Worksheet, cached: Worksheet | None) -> list[list[Any]]:
    """Values of a tab: formulas replaced by cached results (or kept as text if none)."""
    rows = worksheet_rows(ws)
    formulas = [c for c in getattr(ws, "_cells", {}).values() if c.data_type == "f"]
    for cell in formulas:
        value = None if cached is None else cached.cell(row=cell.row, column=cell.column).value
        rows[cell.row - 1][cell.column - 1] = _formula_text(cell.value) if value is None else value
    return rows


def fill_merged(ws: Worksheet, rows: list[list[Any]], header_row: int) -> None:
    """In data rows, a merged area takes the value of its top-left cell."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= header_row:
            continue
        value = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(rows) else None
        for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
            line = rows[r - 1]
            for c in range(rng.min_col, rng.max_col + 1):
                if c - 1 < len(line):
                    line[c - 1] = value


class ValuesBook:
    """A workbook's values read by calamine (Rust): no styles, an order of magnitude faster
    than openpyxl. Values come as openpyxl gives them: whole numbers as int, dates at
    midnight as datetime, empty cells as None."""

    def __init__(self, path: Path) -> None:
        from python_calamine import CalamineWorkbook

        self._book = CalamineWorkbook.from_path(str(path))
        self.sheetnames: list[str] = list(self._book.sheet_names)

    def rows(self, name: str, max_rows: int | None = None) -> list[list[Any]]:
        sheet = self._book.get_sheet_by_name(name)
        raw = sheet.to_python(skip_empty_area=False, nrows=max_rows)
        return [[_plain(v) for v in row] for row in raw]

    def form_rows(self, name: str, form: Form) -> list[list[Any]]:
        """A form tab's values; in data rows a merged area takes its top-left value."""
        rows = self.rows(name)
        header_row = locate_header(rows, form).header_row
        merged = self._book.get_sheet_by_name(name).merged_cell_ranges or []
        for (r0, c0), (r1, c1) in merged:
            _fill(rows, r0 + 1, c0 + 1, r1 + 1, c1 + 1, header_row)
        return rows

    def close(self) -> None:
        self._book.close()


def _plain(value: Any) -> Any:
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def has_formulas(path: Path) -> bool:
    """True when a worksheet of the xlsx holds a formula (then openpyxl reads it: a formula
    without a cached value is read as its text)."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                data = zf.read(name)
                if b"<f>" in data or b"<f " in data:
                    return True
    return False


def _fill(rows: list[list[Any]], r0: int, c0: int, r1: int, c1: int, header_row: int = 0) -> None:
    """Rows r0..r1 (1-based, inclusive) of a merged area take its top-left value."""
    if r0 <= header_row or r0 > len(rows):
        return
    value = rows[r0 - 1][c0 - 1] if c0 - 1 < len(rows[r0 - 1]) else None
    for r in range(r0, min(r1, len(rows)) + 1):
        line = rows[r - 1]
        for c in range(c0, c1 + 1):
            if c - 1 < len(line):
                line[c - 1] = value


def read_workbook(path: Path, campaign: Campaign, unit: Unit, revision: str | None) -> UnitSheets:
    """Every form of the unit's workbook; a problem Finding instead of raising.

    Values only, so calamine reads them; a workbook with formulas, or one calamine cannot
    open, goes through openpyxl (which also words the error when the file is damaged).
    """
    from python_calamine import CalamineError

    try:
        fast = path.exists() and sniff(path) == "xlsx-zip" and not has_formulas(path)
        if fast:
            book = ValuesBook(path)
            try:
                return _read_forms(book, campaign, unit, revision)
            finally:
                book.close()
    except (CalamineError, zipfile.BadZipFile, OSError):
        pass  # damaged or unreadable: openpyxl's path words the message
    return _read_openpyxl(path, campaign, unit, revision)


def _read_forms(
    book: ValuesBook, campaign: Campaign, unit: Unit, revision: str | None
) -> UnitSheets:
    sheetnames = book.sheetnames
    forms: dict[str, FormSheet] = {}
    own_tabs = {f.tab for f in campaign.forms}
    for form in campaign.forms_for(unit.id):  # a form that does not apply has no tab
        name = find_tab(sheetnames, form.tab)
        if name is None:
            others = {
                t: header_cells(book.rows(t, form.header_row + 10), form)
                for t in sheetnames
                if t not in own_tabs and t not in SERVICE_TABS
            }
            candidate = renamed_candidate(form, others)
            forms[form.id] = missing_tab(
                unit.id, form, sheetnames, candidate, lang=campaign.language
            )
            continue
        rows = book.form_rows(name, form)
        forms[form.id] = read_form_grid(unit.id, form, rows, lang=campaign.language)
    return UnitSheets(unit_id=unit.id, forms=forms, revision=revision)


def _read_openpyxl(path: Path, campaign: Campaign, unit: Unit, revision: str | None) -> UnitSheets:
    try:
        wb = open_workbook(path)
        has_formulas = any(
            c.data_type == "f" for ws in wb.worksheets for c in getattr(ws, "_cells", {}).values()
        )
        values = open_workbook(path, data_only=True) if has_formulas else None
    except StoreError as exc:
        return UnitSheets(
            unit_id=unit.id, forms={}, revision=revision, problem=unavailable(unit, exc)
        )
    forms: dict[str, FormSheet] = {}
    own_tabs = {f.tab for f in campaign.forms}
    for form in campaign.forms_for(unit.id):
        name = find_tab(wb.sheetnames, form.tab)
        if name is None:
            others = {
                t: header_cells(worksheet_rows(wb[t], form.header_row + 10), form)
                for t in wb.sheetnames
                if t not in own_tabs and t not in SERVICE_TABS
            }
            candidate = renamed_candidate(form, others)
            forms[form.id] = missing_tab(
                unit.id, form, wb.sheetnames, candidate, lang=campaign.language
            )
            continue
        ws = wb[name]
        rows = sheet_grid(ws, values[name] if values is not None else None)
        fill_merged(ws, rows, locate_header(rows, form).header_row)
        forms[form.id] = read_form_grid(unit.id, form, rows, lang=campaign.language)
    return UnitSheets(unit_id=unit.id, forms=forms, revision=revision)
