"""Opening unit workbooks safely and reading their form tabs into grids of raw values."""

from __future__ import annotations

import warnings
import zipfile
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
    from ...campaign import Campaign, Unit

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


def read_workbook(path: Path, campaign: Campaign, unit: Unit, revision: str | None) -> UnitSheets:
    """Every form of the unit's workbook; a problem Finding instead of raising."""
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
