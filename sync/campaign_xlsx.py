"""The campaign workbook as an Excel file: write it, mark its errors, edit it in place.

The layout (tabs, headers, how cells are read) is `sync.campaign.workbook`; this module
adds what needs a spreadsheet library (openpyxl): header notes, dropdowns, formats, the
checked copy with errors on the cells, and in-place edits that keep the formatting.

Public API (small on purpose; the settings page and the CLI use it):

- `write_workbook(grid, path, notes=None)` — a new workbook from `to_grid`'s rows;
- `convert(src, dst, copy_templates=())` — `.yaml` ↔ `.xlsx` (returns warnings);
- `annotate(src, issues, dst)` — the checked copy (`campaign-kiem-tra.xlsx`);
- `checked_copy_path(path)` — where `thidua check` writes it;
- `edit_workbook(path, units=…, forms=…, new_units=…)` — change cells of «Đơn vị» and
  «Biểu mẫu» (quota, staff, editors, level, due, grace…) keeping everything else;
- `write_quotas(path, form_id, parts)` — `thidua allocate --write` for a workbook.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from . import i18n
from .campaign import builtin_names, load_campaign
from .campaign.convert import Converted, source_to_yaml, yaml_to_grid
from .campaign.loader import builtin_rules, is_workbook
from .campaign.workbook import (
    DEADLINE_PREFIX,
    FORMS,
    QUOTA_PREFIX,
    SETTING_ROWS,
    SETTINGS,
    TABS,
    UNITS,
    YES_NO,
    GridOut,
    Place,
    Tab,
    applies_text,
    duration_text,
    fold,
    read_grid,
    read_xlsx_grid,
    when_cell,
)
from .errors import ConfigError, ConfigIssue

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
CHOICES_SHEET = "Danh sách chọn"
"""Hidden tab holding the values of dropdowns that are not a range of another tab."""
RESULT_SHEET = "Kết quả kiểm tra"
NOTE_AUTHOR = "thidua"
MAX_ROWS = 500


def _note(text: str, width: int = 320) -> Comment:
    comment = Comment(text, NOTE_AUTHOR)
    lines = sum(1 + len(line) // 48 for line in text.split("\n"))
    comment.width = width
    comment.height = min(600, 24 + 16 * lines)
    return comment


def _save(book: Workbook, path: Path) -> None:
    """Write atomically: a temporary file beside the target, then replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".~", suffix=".xlsx")
    os.close(fd)
    try:
        book.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(i18n.t("cli.cannot_write", path=path, reason=exc.strerror)) from exc


def _cell_value(value: Any) -> Any:
    if isinstance(value, timedelta):
        return duration_text(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


def _format_of(value: Any) -> str | None:
    if isinstance(value, datetime):
        return "dd/mm/yyyy hh:mm"
    if isinstance(value, date):
        return "dd/mm/yyyy"
    return None


def _dropdown_formula(kind: str, grid: GridOut, lists_at: Mapping[str, str]) -> str | None:
    if kind == "units":
        return f"={quote_sheetname(UNITS.name)}!$A$2:$A${MAX_ROWS}"
    if kind == "forms":
        return f"={quote_sheetname(FORMS.name)}!$A$2:$A${MAX_ROWS}"
    return lists_at.get(kind)


def _page(ws: Worksheet) -> None:
    """Printed (or exported to PDF) landscape, as wide as the page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _style_header(ws: Worksheet, headers: Sequence[Any]) -> None:
    for i, _h in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=i)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "B2"
    ws.row_dimensions[1].height = 45
    _page(ws)


def write_workbook(grid: GridOut, path: Path, notes: Mapping[Place, str] | None = None) -> None:
    """A new campaign workbook: every tab with its headers, notes, dropdowns and formats."""
    notes = notes or {}
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    choices = book.create_sheet(CHOICES_SHEET)
    lists_at: dict[str, str] = {}
    for n, (name, values) in enumerate(sorted(grid.lists.items()), start=1):
        choices.cell(row=1, column=n, value=name)
        for r, value in enumerate(values, start=2):
            choices.cell(row=r, column=n, value=value)
        letter = get_column_letter(n)
        lists_at[name] = (
            f"={quote_sheetname(CHOICES_SHEET)}!${letter}$2:${letter}${max(2, len(values) + 1)}"
        )
    choices.sheet_state = "hidden"
    for tab in TABS:
        rows = grid.tabs[tab.name]
        ws = book.create_sheet(tab.name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=_cell_value(value))
                fmt = grid.formats.get((tab.name, r, c - 1)) or _format_of(value)
                if fmt:
                    cell.number_format = fmt
                if r > 1 and isinstance(value, str):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif r > 1 and isinstance(value, date):
                    cell.alignment = Alignment(horizontal="left", vertical="top")
                elif r > 1:
                    cell.alignment = Alignment(vertical="top")
        _style_header(ws, rows[0])
        headers = [str(h) for h in rows[0]]
        _row_heights(ws, tab, rows)
        by_header = {fold(c.header): c for c in tab.columns}
        for c, header in enumerate(headers, start=1):
            col = by_header.get(fold(header))
            letter = get_column_letter(c)
            if col is None:  # a quota or due-date column of «Đơn vị»
                form_id = header.split(":", 1)[1].strip()
                is_due = fold(header).startswith(fold(DEADLINE_PREFIX))
                note = "workbook.note.units.deadline" if is_due else "workbook.note.units.quota"
                ws.cell(row=1, column=c).comment = _note(i18n.t(note, form=form_id))
                ws.column_dimensions[letter].width = 16
                continue
            ws.cell(row=1, column=c).comment = _note(i18n.t(col.note_id))
            ws.column_dimensions[letter].width = col.width
            if col.dropdown is None:
                continue
            if col.dropdown == "enum" and col.enum is not None:
                formula = '"' + ",".join(col.enum.labels()) + '"'
            else:
                found = _dropdown_formula(col.dropdown, grid, lists_at)
                if found is None:
                    continue
                formula = found
            # a warning, not a stop: a value typed outside the list is reported by `check`
            dv = DataValidation(
                type="list", formula1=formula.lstrip("="), allow_blank=True, errorStyle="warning"
            )
            dv.error = i18n.t("workbook.dropdown_error")
            dv.errorTitle = header
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{MAX_ROWS}")
        if tab is SETTINGS:
            _settings_notes(ws)
        ws.auto_filter.ref = None
    book.move_sheet(CHOICES_SHEET, offset=len(TABS))
    for place, text in notes.items():
        ws = book[place.sheet]
        column = _column_index(ws, place.column) if place.column else 1
        cell = ws.cell(row=place.row or 1, column=column or 1)
        old = cell.comment.text if cell.comment else ""
        label = i18n.t("workbook.from_yaml")
        joined = f"{old}\n\n{label}\n{text}" if old else f"{label}\n{text}"
        cell.comment = _note(joined, 420)
    book.active = 0
    _save(book, path)


def _row_heights(ws: Worksheet, tab: Tab, rows: Sequence[Sequence[Any]]) -> None:
    """Rows tall enough for their wrapped text (spreadsheets do not always grow them)."""
    by_header = {fold(c.header): c.width for c in tab.columns}
    widths = [by_header.get(fold(str(h)), 16) for h in rows[0]]
    for r, row in enumerate(rows[1:], start=2):
        lines = 1
        for value, width in zip(row, widths, strict=False):
            if isinstance(value, str):
                need = sum(1 + len(part) // max(1, int(width * 1.1)) for part in value.split("\n"))
                lines = max(lines, need)
        if lines > 1:
            ws.row_dimensions[r].height = 15 * min(lines, 12)


def _settings_notes(ws: Worksheet) -> None:
    """Notes on the «Mục» cells of «Đợt» and dropdowns on the values that are lists."""
    labels = {fold(label): (path, enum) for label, path, _k, enum in SETTING_ROWS}
    for r in range(2, ws.max_row + 1):
        label = ws.cell(row=r, column=1).value
        if label is None:
            continue
        found = labels.get(fold(str(label)))
        if found is None:
            key = "workbook.note.setting.signer"
            enum = None
        else:
            path, enum = found
            key = f"workbook.note.setting.{'.'.join(str(p) for p in path)}"
        ws.cell(row=r, column=1).comment = _note(i18n.t(key))
        ws.cell(row=r, column=1).font = Font(bold=True)
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        if enum is not None:
            dv = DataValidation(
                type="list", formula1='"' + ",".join(enum.labels()) + '"', allow_blank=True
            )
            ws.add_data_validation(dv)
            dv.add(f"B{r}")


def _column_index(ws: Worksheet, header: str | None) -> int | None:
    if header is None:
        return None
    wanted = fold(header)
    for cell in ws[1]:
        if cell.value is not None and fold(str(cell.value)) == wanted:
            return int(cell.column)
    return None


# ----------------------------------------------------------------------------- conversion
def convert(src: Path, dst: Path, copy_templates: tuple[str, ...] = ()) -> list[str]:
    """`.yaml` → `.xlsx` or `.xlsx` → `.yaml` (plus one `.yaml` per own template beside it).

    The source is checked first (a broken campaign is refused with its messages). Returns
    warnings (YAML comments that had no place in the workbook)."""
    if is_workbook(src) and not is_workbook(dst):
        load_campaign(src)  # refused with tab/row/column messages when broken
        source = read_grid(read_xlsx_grid(src), str(src), builtin_rules(src.parent))
        converted = source_to_yaml(source)
        files = dict(converted.files)
        main = files.pop("campaign.yaml")
        dst.parent.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            _write_text(dst.parent / name, text)
        _write_text(dst, main)
        return converted.warnings
    if not is_workbook(src) and is_workbook(dst):
        result: Converted = yaml_to_grid(src, copy_templates)
        assert result.grid is not None
        write_workbook(result.grid, dst, result.notes)
        return result.warnings
    raise ConfigError(i18n.t("workbook.convert_suffixes", src=src.name, dst=dst.name))


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".~", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- checked copy
def checked_copy_path(path: Path) -> Path:
    """`campaign.xlsx` → `campaign-kiem-tra.xlsx` beside it."""
    return path.with_name(f"{path.stem}-kiem-tra{path.suffix}")


def annotate(src: Path, issues: Iterable[ConfigIssue], dst: Path) -> int:
    """A copy of the workbook with each issue as a note on its cell, the cell filled red,
    and a first tab «Kết quả kiểm tra» listing them all. Returns how many were placed."""
    book = load_workbook(src)
    if RESULT_SHEET in book.sheetnames:
        del book[RESULT_SHEET]
    summary = book.create_sheet(RESULT_SHEET, 0)
    headers = [
        i18n.t("workbook.result.sheet"),
        i18n.t("workbook.result.row"),
        i18n.t("workbook.result.column"),
        i18n.t("workbook.result.message"),
    ]
    summary.append(headers)
    _style_header(summary, headers)
    for letter, width in zip("ABCD", (14, 8, 22, 100), strict=True):
        summary.column_dimensions[letter].width = width
    placed = 0
    for issue in issues:
        summary.append([issue.sheet or issue.file, issue.row, issue.column, issue.message])
        at = summary.max_row
        summary.cell(row=at, column=4).alignment = Alignment(wrap_text=True, vertical="top")
        summary.cell(row=at, column=2).alignment = Alignment(horizontal="center", vertical="top")
        if issue.sheet is None or issue.sheet not in book.sheetnames:
            continue
        ws = book[issue.sheet]
        column = _column_index(ws, issue.column) or 1
        cell = ws.cell(row=issue.row or 1, column=column)
        old = cell.comment.text if cell.comment and cell.comment.author == "kiem-tra" else ""
        text = f"{old}\n{issue.message}" if old else issue.message
        comment = _note(text)
        comment.author = "kiem-tra"
        cell.comment = comment
        cell.fill = ERROR_FILL
        link = f"#{quote_sheetname(issue.sheet)}!{cell.coordinate}"
        summary.cell(row=at, column=1).hyperlink = link
        placed += 1
    book.active = 0
    _save(book, dst)
    return placed


# ----------------------------------------------------------------------------- edits
def _find_row(ws: Worksheet, key: str) -> int | None:
    for r in range(2, ws.max_row + 1):
        value = ws.cell(row=r, column=1).value
        if value is not None and str(value).strip() == key:
            return r
    return None


def _header_of(tab: Tab, key: str) -> str:
    if key.startswith("quotas."):
        return f"{QUOTA_PREFIX} {key.split('.', 1)[1]}"
    return tab.col(f"{tab.id}.{key}").header


def _edit_value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in ("opens", "due"):
        return when_cell(value)
    if key == "grace":
        return duration_text(value) if isinstance(value, timedelta) else value
    if key == "lock":
        return YES_NO.label(bool(value))
    if key == "applies_to":
        return applies_text(value)
    if isinstance(value, Mapping) and "policy" in value:
        return value["policy"]
    return _cell_value(value)


def _set_row(ws: Worksheet, tab: Tab, r: int, changes: Mapping[str, Any]) -> None:
    for key, value in changes.items():
        header = _header_of(tab, key)
        c = _column_index(ws, header)
        if c is None:
            c = ws.max_column + 1
            ws.cell(row=1, column=c, value=header)
            ws.cell(row=1, column=c).fill = HEADER_FILL
            ws.cell(row=1, column=c).font = HEADER_FONT
            if key.startswith("quotas."):
                ws.cell(row=1, column=c).comment = _note(
                    i18n.t("workbook.note.units.quota", form=key.split(".", 1)[1])
                )
        cell = ws.cell(row=r, column=c, value=_edit_value(key.split(".")[0], value))
        fmt = _format_of(cell.value)
        if fmt:
            cell.number_format = fmt


def edit_workbook(
    path: Path,
    *,
    units: Mapping[str, Mapping[str, Any]] | None = None,
    forms: Mapping[str, Mapping[str, Any]] | None = None,
    new_units: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Change cells of a campaign workbook in place (formatting, notes, other tabs kept).

    `units`: unit id → {key: value} with the YAML keys of a unit (`name`, `parent`, `level`,
    `tags`, `staff`, `editors`, `spreadsheet`) or `quotas.<form>`; `forms`: form id →
    {`title`, `opens`, `due`, `grace`, `lock`, `applies_to`, `quota`…}; `new_units`: whole
    units appended to «Đơn vị». Values are model values (int, list, datetime, timedelta,
    `{policy: name}`); None empties the cell. Written atomically; the caller checks the
    result (`load_campaign`) and keeps the previous file if it fails.
    """
    book = load_workbook(path)
    ws_units = book[_sheet_name(book, UNITS.name)]
    for unit_id, changes in (units or {}).items():
        r = _find_row(ws_units, unit_id)
        if r is None:
            raise ConfigError(i18n.t("workbook.no_such_unit_row", unit=unit_id))
        _set_row(ws_units, UNITS, r, changes)
    for unit in new_units:
        r = ws_units.max_row + 1
        flat: dict[str, Any] = {}
        for key, value in unit.items():
            if key == "quotas":
                for form_id, quota in (value or {}).items():
                    flat[f"quotas.{form_id}"] = quota
            else:
                flat[key] = value
        _set_row(ws_units, UNITS, r, flat)
    if forms:
        ws_forms = book[_sheet_name(book, FORMS.name)]
        for form_id, changes in forms.items():
            r = _find_row(ws_forms, form_id)
            if r is None:
                raise ConfigError(i18n.t("workbook.no_such_form_row", form=form_id))
            _set_row(ws_forms, FORMS, r, changes)
    _save(book, path)


def _sheet_name(book: Workbook, name: str) -> str:
    for sheet in book.sheetnames:
        if fold(sheet) == fold(name):
            return sheet
    raise ConfigError(i18n.t("workbook.missing_tab", tab=name))


def write_quotas(path: Path, form_id: str, parts: Mapping[str, int]) -> None:
    """`thidua allocate --write` for a workbook: the «Chỉ tiêu: <form>» column of «Đơn vị»."""
    edit_workbook(path, units={unit: {f"quotas.{form_id}": n} for unit, n in parts.items()})
    load_campaign(path)  # the written workbook must still be valid


__all__ = [
    "CHOICES_SHEET",
    "RESULT_SHEET",
    "annotate",
    "builtin_names",
    "checked_copy_path",
    "convert",
    "edit_workbook",
    "write_quotas",
    "write_workbook",
]
