"""Provisioning of a unit workbook: form tabs, dropdowns, notes, protection, the guide tab."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ... import i18n
from ...feedback import GUIDE_TAB
from ..grid import locate_header
from ..layout import HELP_AUTHOR, STATUS_WIDTH, column_width, guide_rows, plan_columns

if TYPE_CHECKING:
    from ...campaign import Campaign, Column, Form, Unit

LISTS_TAB = "_lists"
DATA_ROWS = 1000
"""Rows below the header left editable (and given dropdowns) on a protected tab."""
INLINE_LIST_LIMIT = 255
HEADER_FILL = PatternFill("solid", fgColor="FFD9E1F2")
STATUS_FILL = PatternFill("solid", fgColor="FFEDEDED")
BOLD = Font(bold=True)
UNLOCKED = Protection(locked=False)
GUIDE_TEXT_WIDTH = 90


def worksheet_rows(ws: Worksheet, max_rows: int | None = None) -> list[list[Any]]:
    """Cell values of a sheet, row i = sheet row i + 1."""
    last = ws.max_row if max_rows is None else min(ws.max_row, max_rows)
    return [list(r) for r in ws.iter_rows(min_row=1, max_row=last, values_only=True)]


def unlock_data_cells(ws: Worksheet, header_row: int, status_col: int | None) -> bool:
    """Unlock every existing cell below the header except the status column (1-based).

    Column styles unlock the cells Excel creates when a unit types; cells written or
    restyled by openpyxl (typed rows, feedback colours and notes) get a record with a
    style of their own, locked by default on a protected sheet. True when one changed.
    """
    changed = False
    for cell in list(getattr(ws, "_cells", {}).values()):
        if cell.row > header_row and cell.column != status_col and cell.protection.locked:
            cell.protection = UNLOCKED
            changed = True
    return changed


def fit_header_height(ws: Worksheet, header_row: int) -> None:
    """A header row tall enough for its wrapped text (Excel does not grow it by itself)."""
    lines = 1
    for cell in ws[header_row]:
        if isinstance(cell.value, str) and cell.value:
            width = ws.column_dimensions[cell.column_letter].width or 10
            per_line = max(1, int(width * 0.95) - 1)
            count = 0
            for paragraph in cell.value.split("\n"):
                line, count = 0, count + 1
                for word in paragraph.split():
                    if line and line + 1 + len(word) > per_line:
                        count, line = count + 1, len(word)
                    else:
                        line += (1 if line else 0) + len(word)
            lines = max(lines, count)
    ws.row_dimensions[header_row].height = 15 * lines + 6


def print_fit_width(ws: Worksheet, landscape: bool = True, title_rows: str | None = None) -> None:
    """A4, fit to the page width, page numbers: the tab prints readably as it is."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "Trang &P/&N"
    if title_rows:
        ws.print_title_rows = title_rows


def protect(ws: Worksheet) -> None:
    """Protect (no password) while allowing formatting, sorting, filtering and inserting rows."""
    prot = ws.protection
    prot.sheet = True
    prot.formatCells = False
    prot.formatColumns = False
    prot.formatRows = False
    prot.insertRows = False
    prot.deleteRows = False
    prot.sort = False
    prot.autoFilter = False
    prot.selectLockedCells = False
    prot.selectUnlockedCells = False


def _list_formula(wb: Workbook, col: Column) -> str | None:
    """Data-validation formula: inline when short, else a range on the hidden `_lists` tab."""
    if not col.choices:
        return None
    inline = ",".join(col.choices)
    if len(inline) + 2 <= INLINE_LIST_LIMIT and not any("," in c or '"' in c for c in col.choices):
        return f'"{inline}"'
    if LISTS_TAB in wb.sheetnames:
        lists = wb[LISTS_TAB]
    else:
        lists = wb.create_sheet(LISTS_TAB)
        lists.sheet_state = "hidden"
    name = col.choice_list or col.key
    for idx in range(1, lists.max_column + 1):
        if lists.cell(row=1, column=idx).value == name:
            letter = get_column_letter(idx)
            break
    else:
        idx = lists.max_column + 1 if lists.cell(row=1, column=1).value is not None else 1
        letter = get_column_letter(idx)
        lists.cell(row=1, column=idx, value=name)
        for i, choice in enumerate(col.choices, start=2):
            lists.cell(row=i, column=idx, value=choice).data_type = "s"
    return f"{quote_sheetname(LISTS_TAB)}!${letter}$2:${letter}${len(col.choices) + 1}"


def style_column(wb: Workbook, ws: Worksheet, form: Form, col: Column, idx: int) -> None:
    """Header cell, width, note, dropdown and unlocked data cells of one form column."""
    header_row = locate_header(worksheet_rows(ws, form.header_row + 10), form).header_row
    number = idx + 1
    cell = ws.cell(row=header_row, column=number, value=col.header)
    cell.font = BOLD
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    if col.help:
        cell.comment = Comment(col.help, HELP_AUTHOR, width=300, height=120)
    letter = get_column_letter(number)
    ws.column_dimensions[letter].width = column_width(col)
    first, last = header_row + 1, header_row + DATA_ROWS
    # A column style unlocks every cell of the column that has no record of its own, so
    # data cells stay editable without writing thousands of empty styled cells (which made
    # every later read parse ~60 000 cells per workbook). Header cells have records: locked.
    ws.column_dimensions[letter].protection = UNLOCKED
    formula = _list_formula(wb, col)
    if formula:
        dv = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showDropDown=False,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle=i18n.t("sheet.not_in_list"),
            error=i18n.t("sheet.choose_header", column=col.header),
        )
        dv.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(dv)


def style_status(ws: Worksheet, form: Form, header_row: int, idx: int) -> None:
    cell = ws.cell(row=header_row, column=idx + 1, value=form.status_header)
    cell.font = BOLD
    cell.fill = STATUS_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.comment = Comment(
        i18n.t("sheet.status_column_note"),
        HELP_AUTHOR,
        width=300,
        height=80,
    )
    ws.column_dimensions[get_column_letter(idx + 1)].width = STATUS_WIDTH


def new_form_tab(wb: Workbook, form: Form) -> Worksheet:
    ws = wb.create_sheet(form.tab)
    width = len(form.columns) + 1
    for i, line in enumerate(form.title_block, start=1):
        cell = ws.cell(row=i, column=1, value=line)
        cell.font = Font(bold=True, size=12)
        cell.alignment = Alignment(horizontal="center")
        if width > 1:
            ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
    header_row = form.header_row
    for idx, col in enumerate(form.columns):
        ws.cell(row=header_row, column=idx + 1, value=col.header)
    ws.cell(row=header_row, column=width, value=form.status_header)
    for idx, col in enumerate(form.columns):
        style_column(wb, ws, form, col, idx)
    style_status(ws, form, header_row, len(form.columns))
    fit_header_height(ws, header_row)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    print_fit_width(ws, landscape=True, title_rows=f"{header_row}:{header_row}")
    protect(ws)
    return ws


def add_missing_columns(wb: Workbook, ws: Worksheet, form: Form) -> list[str]:
    """Add the form's missing columns (and status column); returns what was done."""
    rows = worksheet_rows(ws)
    layout = locate_header(rows, form)
    plan = plan_columns(form, rows, layout)
    if plan is None:
        return []
    actions = []
    if plan.old_status is not None and plan.old_status not in plan.placements.values():
        ws.cell(row=layout.header_row, column=plan.old_status + 1).value = None
    for key, idx in plan.placements.items():
        col = form.column(key)
        if plan.old_status is not None and idx == plan.old_status:
            old = ws.cell(row=layout.header_row, column=idx + 1)
            old.comment = None
        ws.cell(row=layout.header_row, column=idx + 1, value=col.header)
        style_column(wb, ws, form, col, idx)
        actions.append(
            i18n.t(
                "plan.add_column",
                column=col.header,
                tab=ws.title,
                letter=get_column_letter(idx + 1),
            )
        )
    if plan.old_status is not None or layout.status is None:
        style_status(ws, form, layout.header_row, plan.status)
        if layout.status is None:
            actions.append(
                i18n.t("plan.add_status_column", column=form.status_header, tab=ws.title)
            )
    return actions


def lists_last(wb: Workbook) -> None:
    """Keep the hidden `_lists` tab last."""
    if LISTS_TAB in wb.sheetnames:
        index = wb.sheetnames.index(LISTS_TAB)
        wb.move_sheet(LISTS_TAB, offset=len(wb.sheetnames) - 1 - index)


def write_guide(wb: Workbook, campaign: Campaign, unit: Unit) -> bool:
    """(Re)write the `Hướng dẫn` tab as the first tab; False when it was already current."""
    rows = guide_rows(campaign, unit)
    if GUIDE_TAB in wb.sheetnames:
        old = wb[GUIDE_TAB]
        current = [[v for v in r] for r in old.iter_rows(values_only=True)]
        wanted = [r + [None] * (max(len(x) for x in rows) - len(r)) for r in rows]
        if _trim(current) == _trim(wanted) and wb.sheetnames[0] == GUIDE_TAB:
            return False
        wb.remove(old)
    ws = wb.create_sheet(GUIDE_TAB, 0)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if c == 1:
                cell.font = BOLD
            else:
                cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = GUIDE_TEXT_WIDTH
    for r, row in enumerate(rows, start=1):
        text = row[1] if len(row) > 1 else None
        if isinstance(text, str) and len(text) > GUIDE_TEXT_WIDTH:
            # LibreOffice and Excel do not grow a row for wrapped text written by a program
            ws.row_dimensions[r].height = 15 * -(-len(text) // int(GUIDE_TEXT_WIDTH * 1.05)) + 2
    print_fit_width(ws, landscape=False)
    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == GUIDE_TAB
    return True


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        row = [None if v == "" else v for v in row]
        while row and row[-1] in (None, ""):
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out
