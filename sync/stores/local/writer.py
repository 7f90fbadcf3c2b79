"""Writing feedback into a unit workbook and the consolidated workbook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ... import i18n
from ...errors import StoreError, WorkbookLocked
from ...feedback import GUIDE_TAB, SUMMARY_TAB
from ..grid import find_tab, locate_header
from ..layout import (
    FEEDBACK_AUTHOR,
    feedback_targets,
    looks_like_formula,
    plain_value,
    plan_columns,
    status_header_text,
)
from .consolidated import read_consolidated, write_consolidated
from .files import atomic_save, owner_file, workbook_lock
from .reader import open_workbook
from .workbook import (
    BOLD,
    fit_header_height,
    print_fit_width,
    style_status,
    unlock_data_cells,
    worksheet_rows,
)

if TYPE_CHECKING:
    from ...campaign import Campaign, Form
    from ...feedback import FormFeedback, UnitFeedback

ERROR_RGB = "FFFFC7CE"
WARNING_RGB = "FFFFEB9C"
FILLS = {"error": ERROR_RGB, "warning": WARNING_RGB}
SERVICE_RGBS = frozenset(FILLS.values())
NO_FILL = PatternFill(fill_type=None)
STATUS_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
SUMMARY_LIMITS = {"A": 60, "E": 60}
"""Widest columns of the `Kiểm tra` tab (form titles; finding messages)."""


def _fill_of(cell: Any) -> str | None:
    """The service colour on a cell (one of SERVICE_RGBS) or None."""
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    rgb = getattr(fill.fgColor, "rgb", None)
    return rgb if isinstance(rgb, str) and rgb in SERVICE_RGBS else None


def _ours(cell: Any) -> bool:
    return cell.comment is not None and cell.comment.author == FEEDBACK_AUTHOR


def cached_formula_values(path: Path, wb: Workbook) -> dict[str, dict[str, Any]]:
    """Sheet → cell ref → cached result of every formula cell (to keep them on save)."""
    sheets = {
        ws.title: [c for c in getattr(ws, "_cells", {}).values() if c.data_type == "f"]
        for ws in wb.worksheets
    }
    if not any(sheets.values()):
        return {}
    values = open_workbook(path, data_only=True)
    return {
        title: {c.coordinate: values[title][c.coordinate].value for c in cells}
        for title, cells in sheets.items()
        if cells
    }


def _apply_form(wb: Workbook, ws: Worksheet, form: Form, feedback: FormFeedback) -> bool:
    layout = locate_header(worksheet_rows(ws, form.header_row + 10), form)
    changed = False
    if layout.status is None:
        plan = plan_columns(form, worksheet_rows(ws), layout)
        assert plan is not None
        style_status(ws, form, layout.header_row, plan.status)
        layout.status = plan.status
        changed = True
    status, notes = feedback_targets(form, layout, feedback)
    scol = layout.status + 1
    head = ws.cell(row=layout.header_row, column=scol)
    title = status_header_text(form, feedback)
    if head.value != title:
        head.value = title
        head.alignment = Alignment(wrap_text=True, vertical="top")
        fit_header_height(ws, layout.header_row)
        changed = True
    last = max([ws.max_row, *status])
    for row in range(layout.header_row + 1, last + 1):
        wanted = status.get(row)
        text = wanted.text if wanted else None
        cell = ws.cell(row=row, column=scol)
        if cell.value != text and not (cell.value in ("", None) and text is None):
            cell.value = text
            if looks_like_formula(text):
                cell.data_type = "s"
            if text and not cell.alignment.wrap_text:
                cell.alignment = STATUS_ALIGNMENT
            changed = True
        rgb = FILLS.get(wanted.severity or "") if wanted else None
        if _fill_of(cell) != rgb and (rgb is not None or _fill_of(cell) is not None):
            cell.fill = PatternFill("solid", fgColor=rgb) if rgb else NO_FILL
            changed = True
    cells = getattr(ws, "_cells", {})
    targets = {
        (c.row, c.column - 1)
        for c in cells.values()
        if c.row > layout.header_row and c.column != scol and (_ours(c) or _fill_of(c))
    }
    for row, idx in sorted(targets | set(notes)):
        cell = ws.cell(row=row, column=idx + 1)
        note = notes.get((row, idx))
        if note is None:
            if _ours(cell):
                cell.comment = None
                changed = True
            if _fill_of(cell):
                cell.fill = NO_FILL
                changed = True
            continue
        severity, text = note
        if cell.comment is None or (_ours(cell) and cell.comment.text != text):
            cell.comment = Comment(text, FEEDBACK_AUTHOR, width=320, height=110)
            changed = True
        rgb = FILLS.get(severity, WARNING_RGB)
        if _fill_of(cell) != rgb:
            cell.fill = PatternFill("solid", fgColor=rgb)
            changed = True
    # cells created or restyled above must stay editable on the protected sheet
    changed |= unlock_data_cells(ws, layout.header_row, scol)
    return changed


def _trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        row = [None if v == "" else v for v in row]
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def _apply_summary(wb: Workbook, summary: list[list[Any]]) -> bool:
    wanted = _trimmed([[plain_value(v) for v in r] for r in summary])
    if SUMMARY_TAB in wb.sheetnames:
        old = wb[SUMMARY_TAB]
        if _trimmed(worksheet_rows(old)) == wanted:
            return False
        index = wb.sheetnames.index(SUMMARY_TAB)
        wb.remove(old)
    else:
        index = 1 if wb.sheetnames and wb.sheetnames[0] == GUIDE_TAB else 0
    ws = wb.create_sheet(SUMMARY_TAB, index)
    for r, row in enumerate(wanted, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if looks_like_formula(value):
                cell.data_type = "s"
    for cell in ws[1]:
        cell.font = BOLD
    lines: dict[int, int] = {}
    for column in ws.iter_cols(min_row=1, max_row=ws.max_row):
        letter = column[0].column_letter
        limit = SUMMARY_LIMITS.get(letter, 30)
        # a line alone in column A (a title) may run over the empty cells to its right
        cells = [
            c
            for c in column
            if c.value is not None
            and (letter != "A" or ws.cell(row=c.row, column=2).value is not None)
        ]
        longest = max((len(str(c.value)) for c in cells), default=0)
        width = max(12, min(limit, longest + 2))
        ws.column_dimensions[letter].width = width
        for c in cells:
            if isinstance(c.value, str) and len(c.value) > width - 2:
                c.alignment = STATUS_ALIGNMENT
                lines[c.row] = max(lines.get(c.row, 1), -(-len(c.value) // int(width - 2)))
    for number, count in lines.items():
        ws.row_dimensions[number].height = 15 * count + 2
    print_fit_width(ws, landscape=True)
    ws.sheet_view.tabSelected = False
    return True


def write_feedback(path: Path, campaign: Campaign, feedback: UnitFeedback) -> bool:
    """Write status texts, notes, colours and the summary tab; False (no write) if unchanged."""
    with workbook_lock(path):
        wb = open_workbook(path)
        changed = False
        for form in campaign.forms:
            name = find_tab(wb.sheetnames, form.tab)
            if name is not None and form.id in feedback.forms:
                changed |= _apply_form(wb, wb[name], form, feedback.forms[form.id])
        changed |= _apply_summary(wb, feedback.summary)
        if not changed:
            return False
        if owner_file(path).exists():
            raise WorkbookLocked(
                i18n.t("local.open_in_excel", workbook=path.name, owner=owner_file(path).name)
            )
        atomic_save(wb, path, cached_formula_values(path, wb))
        return True


def put_rows(
    path: Path,
    form: Form,
    rows: Sequence[Mapping[str, Any] | Sequence[Any] | None],
    start_row: int | None = None,
) -> None:
    """Type rows into a form's tab as a unit would (demo and tests), by header position."""
    with workbook_lock(path):
        wb = open_workbook(path)
        name = find_tab(wb.sheetnames, form.tab)
        if name is None:
            raise StoreError(i18n.t("local.no_tab", workbook=path.name, tab=form.tab))
        ws = wb[name]
        layout = locate_header(worksheet_rows(ws, form.header_row + 10), form)
        row_number = start_row or layout.header_row + 1
        for row in rows:
            if row is not None:
                values = (
                    row if isinstance(row, Mapping) else dict(zip(form.keys, row, strict=False))
                )
                for key, value in values.items():
                    if key in layout.columns:
                        ws.cell(row=row_number, column=layout.columns[key] + 1, value=value)
            row_number += 1
        unlock_data_cells(
            ws, layout.header_row, None if layout.status is None else layout.status + 1
        )
        atomic_save(wb, path, cached_formula_values(path, wb))


__all__ = ["put_rows", "read_consolidated", "write_consolidated", "write_feedback"]
