"""Tong-hop.xlsx as a document: title rows, STT, typed cells, colours, print setup.

Written with openpyxl's write-only (streaming) workbook and styled `WriteOnlyCell`s, so
memory stays flat for large campaigns; every format below is a cell or sheet property a
streaming writer can set. Layout of each tab:

    row 1  organiser (upper case)         row 2  tab title
    row 3  campaign title                 row 4  "Số liệu đến hh:mm dd/mm/yyyy"
    row 5  header: STT + the contract columns (docs/design.md), repeated on every page
    rows   data; `Tổng hợp` has a sub-heading row before each form's units
"""

from __future__ import annotations

import copy
import functools
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.properties import PageSetupProperties

from ...consolidate import TONE_RGB, state_tone
from ..layout import looks_like_formula, plain_value
from .files import atomic_save, workbook_lock
from .reader import open_workbook

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from ...campaign import Campaign
    from ...consolidate import Consolidated

MAX_TAB_NAME = 31
HEADER_ROW = 5
STT = "STT"
FONT = "Times New Roman"
DATE_FORMAT = "dd/mm/yyyy"
TIME_FORMAT = "dd/mm/yyyy hh:mm"
PERCENT_FORMAT = "0.0%"  # shown "75,0%" by a Vietnamese-locale spreadsheet
INTEGER_FORMAT = "#,##0"
NUMBER_FORMAT = "#,##0.##"
THIN = Side(style="thin", color="FF808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="FFD9E1F2")
GROUP_FILL = PatternFill("solid", fgColor="FFF2F2F2")
TOTAL_FILL = PatternFill("solid", fgColor="FFF7F7F7")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="top")
TOP = Alignment(vertical="top")
MAX_WIDTH = 40
EMPTY_NOTE = "Chưa có dữ liệu."
WIDTH_SAMPLE = 500


def _font(**kw: Any) -> Font:
    return Font(name=FONT, size=kw.pop("size", 11), **kw)


BODY = _font()
BOLD = _font(bold=True)


@functools.cache
def _tone(tone: str) -> tuple[Font, PatternFill]:
    """Font and fill of a state cell in the dashboard's colours."""
    text, background = TONE_RGB[tone]
    return _font(color="FF" + text), PatternFill("solid", fgColor="FF" + background)


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 8
    return max((len(part) for part in str(value).split("\n")), default=0)


def _widths(headers: list[str], rows: list[tuple[Any, ...]]) -> list[float]:
    """Column widths (characters): text up to MAX_WIDTH (then it wraps); headers wrap
    onto up to three lines, so number columns stay narrow."""
    out = []
    for j, header in enumerate(headers):
        content = max([_width(r[j]) for r in rows[:WIDTH_SAMPLE]] + [0])
        words = max((len(w) for w in header.split()), default=4)
        head = max(words, -(-len(header) // 3))
        out.append(float(max(6, min(MAX_WIDTH, max(content, head) + 2))))
    return out


_Seen = dict[tuple[tuple[str, int], ...], tuple[StyleArray, tuple[Any, ...]]]
_STYLES: WeakKeyDictionary[Any, _Seen] = WeakKeyDictionary()
"""Per workbook: the style array of each combination of style objects already applied.
openpyxl hashes every style object on every assignment; with 80 000 cells that was most of
the time of writing Tong-hop.xlsx. Keys are object ids, kept valid by holding the objects."""


def _cell(ws: WriteOnlyWorksheet, value: Any, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if style:
        key = tuple((name, id(item)) for name, item in style.items())
        seen = _STYLES.setdefault(ws.parent, {})
        found = seen.get(key)
        if found is None:
            for name, item in style.items():
                setattr(cell, name, item)
            seen[key] = (copy.copy(cell._style), tuple(style.values()))
        else:
            cell._style = copy.copy(found[0])
    if looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _value_format(value: Any, percent: bool) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return TIME_FORMAT if (value.hour, value.minute) != (0, 0) else DATE_FORMAT
    if isinstance(value, date):
        return DATE_FORMAT
    if isinstance(value, (int, float)):
        if percent:
            return PERCENT_FORMAT
        return INTEGER_FORMAT if isinstance(value, int) else NUMBER_FORMAT
    return None


def _setup_print(ws: WriteOnlyWorksheet, last_col: str, last_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = 0.5
    ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_area = f"A1:{last_col}{max(last_row, HEADER_ROW)}"
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddFooter.center.font = f"{FONT},Regular"
    ws.oddFooter.center.size = 10


def _write_tab(wb: Workbook, tab: str, consolidated: Consolidated, campaign: Campaign) -> None:
    frame = consolidated.tables[tab]
    tz = campaign.tz
    ws = wb.create_sheet(tab[:MAX_TAB_NAME])
    headers = [STT, *[str(c) for c in frame.columns]]
    records = [tuple(plain_value(v, tz) for v in rec) for rec in frame.itertuples(index=False)]
    totals = set(consolidated.total_rows.get(tab, []))
    groups = consolidated.groups.get(tab, {})
    percent = {headers.index(c) for c in consolidated.percent_columns.get(tab, []) if c in headers}
    state_at = (
        headers.index(consolidated.state_column) if consolidated.state_column in headers else None
    )
    width = len(headers)
    last_col = get_column_letter(width)
    last_row = HEADER_ROW + max(1, len(records) + len(groups))

    widths = _widths(headers, [(None, *r) for r in records])
    widths[0] = 5.0
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = f"C{HEADER_ROW + 1}" if width > 2 else f"A{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{last_row}"
    _setup_print(ws, last_col, last_row)

    title_lines = [
        (consolidated.heading, _font(bold=True, size=11)),
        (consolidated.titles.get(tab, tab.upper()), _font(bold=True, size=14)),
        (consolidated.subtitle, _font(italic=True, size=11)),
        (
            f"Số liệu đến {consolidated.as_of:%H:%M %d/%m/%Y}" if consolidated.as_of else "",
            _font(italic=True, size=10),
        ),
    ]
    for r, (text, font) in enumerate(title_lines, start=1):
        ws.append([_cell(ws, text or None, font=font, alignment=Alignment(horizontal="center"))])
        ws.merged_cells.add(CellRange(f"A{r}:{last_col}{r}"))
    ws.row_dimensions[2].height = 21
    header_height = 15 * max(
        (-(-len(h) // max(1, int(widths[j] - 1))) for j, h in enumerate(headers)), default=1
    )
    ws.row_dimensions[HEADER_ROW].height = min(48, max(18, header_height + 3))
    ws.append(
        [
            _cell(
                ws,
                h,
                font=BOLD,
                fill=HEADER_FILL,
                border=GRID,
                alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
            )
            for h in headers
        ]
    )
    row_number = HEADER_ROW
    stt = 0
    if not records:
        note = [_cell(ws, EMPTY_NOTE, font=_font(italic=True), border=GRID)]
        ws.append(note + [_cell(ws, None, border=GRID) for _ in headers[1:]])
        ws.merged_cells.add(CellRange(f"A{HEADER_ROW + 1}:{last_col}{HEADER_ROW + 1}"))
    for i, rec in enumerate(records):
        if i in groups:
            row_number += 1
            heading = [_cell(ws, groups[i], font=BOLD, fill=GROUP_FILL, border=GRID)]
            heading += [_cell(ws, None, fill=GROUP_FILL, border=GRID) for _ in headers[1:]]
            ws.append(heading)
            ws.merged_cells.add(CellRange(f"A{row_number}:{last_col}{row_number}"))
        row_number += 1
        total = i in totals
        if not total:
            stt += 1
        cells = [
            _cell(
                ws,
                None if total else stt,
                font=BOLD if total else BODY,
                border=GRID,
                alignment=CENTER,
            )
        ]
        for j, value in enumerate(rec, start=1):
            fmt = _value_format(value, j in percent)
            style: dict[str, Any] = {
                "font": BOLD if total else BODY,
                "border": GRID,
                "alignment": WRAP_TOP if isinstance(value, str) else TOP,
            }
            if fmt:
                style["number_format"] = fmt
            if total:
                style["fill"] = TOTAL_FILL
            elif j == state_at and isinstance(value, str):
                tone = state_tone(value)
                if tone:
                    style["font"], style["fill"] = _tone(tone)
            cells.append(_cell(ws, value, **style))
        ws.append(cells)


def write_consolidated(path: Path, campaign: Campaign, consolidated: Consolidated) -> None:
    """Tong-hop.xlsx: one document tab per table, in order (see the module docstring)."""
    wb = Workbook(write_only=True)
    for tab in consolidated.tables:
        _write_tab(wb, tab, consolidated, campaign)
    if not consolidated.tables:
        ws = wb.create_sheet("Tổng hợp")
        ws.append(["Chưa có dữ liệu"])
    with workbook_lock(path):
        atomic_save(wb, path)


def _is_heading(row: list[Any]) -> bool:
    return isinstance(row[0], str) and all(v is None for v in row[1:])


def read_consolidated(path: Path) -> dict[str, list[list[Any]]]:
    """Per tab: the header row then the data rows (no title rows, STT or sub-headings)."""
    if not path.exists():
        return {}
    wb = open_workbook(path, data_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        start = next((i for i, r in enumerate(rows[:10]) if r and r[0] == STT), None)
        if start is not None:
            rows = [rows[start][1:]] + [r[1:] for r in rows[start + 1 :] if not _is_heading(r)]
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        out[ws.title] = rows
    return out
