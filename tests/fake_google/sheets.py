"""Sheets API v4: spreadsheets.create/get and spreadsheets.values.*."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import cells as C
from . import metadata
from .discovery import drop_defaults
from .errors import sheets_error
from .fields import mask_mentions, parse_mask
from .state import (
    DEFAULT_FORMAT,
    SPREADSHEET_THEME,
    GridRange,
    RangeError,
    Sheet,
    Spreadsheet,
    new_sheet,
    parse_range,
)

if TYPE_CHECKING:
    from .app import FakeGoogle

Query = dict[str, list[str]]


def q1(query: Query, name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


def qbool(query: Query, name: str) -> bool:
    return (q1(query, name) or "false").lower() in ("true", "1")


def resolve(book: Spreadsheet, text: str) -> GridRange:
    try:
        return parse_range(book, text)
    except RangeError:
        raise sheets_error(400, f"Unable to parse range: {text}") from None


# ------------------------------------------------------------ spreadsheets


def create(
    fake: FakeGoogle,
    body: dict[str, Any],
    title_default: str = "Untitled spreadsheet",
    file_id: str | None = None,
) -> Spreadsheet:
    """Create a spreadsheet (also a Drive file) from a Spreadsheet body."""
    props = copy.deepcopy(body.get("properties") or {})
    sid = file_id or fake.ids.file_id()
    properties = {
        "title": props.get("title") or title_default,
        "locale": props.get("locale") or "en_US",
        "autoRecalc": props.get("autoRecalc") or "ON_CHANGE",
        "timeZone": props.get("timeZone") or "Etc/GMT",
        "defaultFormat": copy.deepcopy(DEFAULT_FORMAT),
        "spreadsheetTheme": copy.deepcopy(SPREADSHEET_THEME),
    }
    sheets: list[Sheet] = []
    for i, s in enumerate(body.get("sheets") or []):
        p = s.get("properties") or {}
        sheet_id = p.get("sheetId")
        sheet_id = int(sheet_id) if sheet_id is not None else (0 if i == 0 else fake.ids.sheet_id())
        props = drop_defaults("SheetProperties", p)
        sheets.append(new_sheet(sheet_id, p.get("title") or f"Sheet{i + 1}", i, props))
    if not sheets:
        sheets.append(new_sheet(0, "Sheet1", 0))
    book = Spreadsheet(id=sid, properties=properties, sheets=sheets)
    fake.books[sid] = book
    return book


def _sheet_json(
    sheet: Sheet, data: list[dict[str, Any]] | None, book: Spreadsheet | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
    if data is not None:
        out["data"] = data
    for key in ("merges", "conditionalFormats", "filterViews", "basicFilter"):
        if sheet.extra.get(key):
            out[key] = copy.deepcopy(sheet.extra[key])
    if sheet.protected_ranges:
        out["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
    for key in ("rowGroups", "columnGroups"):
        if sheet.extra.get(key):
            out[key] = copy.deepcopy(sheet.extra[key])
    if book is not None and (found := metadata.for_sheet(book, sheet.id)):
        out["developerMetadata"] = copy.deepcopy(found)
    return out


def grid_data(gr: GridRange) -> dict[str, Any]:
    """GridData for one range: rowData (trailing empties trimmed) + metadata."""
    sheet = gr.sheet
    by_row: dict[int, dict[int, dict[str, Any]]] = {}
    for (r, c), cell in sheet.cells.items():
        if gr.r0 <= r < gr.r1 and gr.c0 <= c < gr.c1:
            by_row.setdefault(r, {})[c] = cell
    rows: list[dict[str, Any]] = []
    last = max(by_row, default=gr.r0 - 1)
    for r in range(gr.r0, last + 1):
        found = by_row.get(r)
        if not found:
            rows.append({})
            continue
        values = [C.grid_cell(found.get(c, {})) for c in range(gr.c0, max(found) + 1)]
        while values and not values[-1]:
            values.pop()
        rows.append({"values": values} if values else {})
    while rows and not rows[-1]:
        rows.pop()
    out: dict[str, Any] = {}
    if gr.r0:
        out["startRow"] = gr.r0
    if gr.c0:
        out["startColumn"] = gr.c0
    if rows:
        out["rowData"] = rows
    out["rowMetadata"] = [
        {"pixelSize": 21, **sheet.row_meta.get(r, {})} for r in range(gr.r0, gr.r1)
    ]
    out["columnMetadata"] = [
        {"pixelSize": 100, **sheet.col_meta.get(c, {})} for c in range(gr.c0, gr.c1)
    ]
    return out


def spreadsheet_json(book: Spreadsheet, query: Query) -> dict[str, Any]:
    """The Spreadsheet resource as spreadsheets.get answers (before the fields mask)."""
    fields = q1(query, "fields")
    mask = parse_mask(fields) if fields else {}
    ranges = query.get("ranges") or []
    want_data = qbool(query, "includeGridData") or bool(
        fields and "sheets" in mask and mask["sheets"] and mask_mentions(mask, "sheets", "data")
    )
    sheets_out: list[dict[str, Any]] = []
    if ranges:
        by_sheet: dict[int, list[GridRange]] = {}
        for text in ranges:
            gr = resolve(book, text)
            by_sheet.setdefault(gr.sheet.id, []).append(gr)
        for sheet in book.sheets:
            if sheet.id in by_sheet:
                data = [grid_data(g) for g in by_sheet[sheet.id]] if want_data else None
                sheets_out.append(_sheet_json(sheet, data, book))
    else:
        for sheet in book.sheets:
            data = None
            if want_data:
                data = [grid_data(GridRange(sheet, 0, 0, sheet.rows, sheet.cols))]
            sheets_out.append(_sheet_json(sheet, data, book))
    out: dict[str, Any] = {
        "spreadsheetId": book.id,
        "properties": copy.deepcopy(book.properties),
        "sheets": sheets_out,
    }
    if book.named_ranges:
        out["namedRanges"] = copy.deepcopy(book.named_ranges)
    if found := metadata.for_spreadsheet(book):
        out["developerMetadata"] = copy.deepcopy(found)
    out["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{book.id}/edit"
    return out


# ------------------------------------------------------------ values


def _read(gr: GridRange, major: str, render: str, date_opt: str) -> dict[str, Any]:
    rows: list[list[Any]] = []
    for r in range(gr.r0, gr.r1):
        row = [C.render(gr.sheet.cells.get((r, c)), render, date_opt) for c in range(gr.c0, gr.c1)]
        while row and row[-1] == "":
            row.pop()
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    if major == "COLUMNS" and rows:
        width = max(len(r) for r in rows)
        cols = [[r[c] if c < len(r) else "" for r in rows] for c in range(width)]
        for col in cols:
            while col and col[-1] == "":
                col.pop()
        rows = cols
        while rows and not rows[-1]:
            rows.pop()
    out: dict[str, Any] = {"range": gr.a1(), "majorDimension": major}
    if rows:
        out["values"] = rows
    return out


def values_get(book: Spreadsheet, rng: str, query: Query) -> dict[str, Any]:
    gr = resolve(book, rng)
    return _read(
        gr,
        q1(query, "majorDimension", "ROWS") or "ROWS",
        q1(query, "valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE",
        q1(query, "dateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER",
    )


def values_batch_get(book: Spreadsheet, query: Query) -> dict[str, Any]:
    out: dict[str, Any] = {"spreadsheetId": book.id}
    ranges = [values_get(book, r, query) for r in query.get("ranges", [])]
    if ranges:
        out["valueRanges"] = ranges
    return out


def _orient(values: list[Any], major: str | None) -> list[list[Any]]:
    rows = [list(r) if isinstance(r, list) else [r] for r in values or []]
    if major == "COLUMNS":
        width = max((len(r) for r in rows), default=0)
        rows = [[col[i] if i < len(col) else None for col in rows] for i in range(width)]
    return rows


def _check_option(option: str | None) -> str:
    if option not in ("RAW", "USER_ENTERED"):
        raise sheets_error(400, "'valueInputOption' is required but not specified")
    return option


def write(
    book: Spreadsheet,
    gr: GridRange,
    values: list[Any],
    major: str | None,
    option: str,
    grow: bool = False,
) -> dict[str, Any]:
    """Write values at the range's top-left; returns an UpdateValuesResponse."""
    rows = _orient(values, major)
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    sheet = gr.sheet
    grid = sheet.properties["gridProperties"]
    if gr.r0 + height > sheet.rows or gr.c0 + width > sheet.cols:
        if not grow:
            raise sheets_error(
                400,
                f"Range ({gr.a1()}) exceeds grid limits. Max rows: {sheet.rows}, "
                f"max columns: {sheet.cols}",
            )
        grid["rowCount"] = max(sheet.rows, gr.r0 + height)
        grid["columnCount"] = max(sheet.cols, gr.c0 + width)
    cells = 0
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    locale = str(book.properties.get("locale", "en_US"))
    for i, row in enumerate(rows):
        for j, val in enumerate(row):
            if val is None:
                continue
            cell = sheet.cell(gr.r0 + i, gr.c0 + j)
            parsed = C.parse_input(val, option, locale)
            if val == "":
                cell.pop("userEnteredValue", None)
            else:
                cell["userEnteredValue"] = parsed["userEnteredValue"]
            if "userEnteredFormat" in parsed:
                cell.setdefault("userEnteredFormat", {}).update(parsed["userEnteredFormat"])
            cells += 1
            used_rows.add(i)
            used_cols.add(j)
    sheet.prune()
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if height and width:
        done = GridRange(sheet, gr.r0, gr.c0, gr.r0 + height, gr.c0 + width)
        out["updatedRange"] = done.a1()
        if cells:
            out["updatedRows"] = len(used_rows)
            out["updatedColumns"] = len(used_cols)
            out["updatedCells"] = cells
    return out


def values_update(
    book: Spreadsheet, rng: str, query: Query, body: dict[str, Any]
) -> dict[str, Any]:
    option = _check_option(q1(query, "valueInputOption"))
    gr = resolve(book, rng)
    return write(book, gr, body.get("values") or [], body.get("majorDimension"), option)


def values_batch_update(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    option = _check_option(body.get("valueInputOption"))
    responses = []
    for vr in body.get("data") or []:
        gr = resolve(book, vr.get("range") or "")
        responses.append(write(book, gr, vr.get("values") or [], vr.get("majorDimension"), option))
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if responses:
        sheets = {r["updatedRange"].rsplit("!", 1)[0] for r in responses if "updatedRange" in r}
        out.update(
            totalUpdatedRows=sum(r.get("updatedRows", 0) for r in responses),
            totalUpdatedColumns=max(r.get("updatedColumns", 0) for r in responses),
            totalUpdatedCells=sum(r.get("updatedCells", 0) for r in responses),
            totalUpdatedSheets=len(sheets),
            responses=responses,
        )
    return out


def values_append(
    book: Spreadsheet, rng: str, query: Query, body: dict[str, Any]
) -> dict[str, Any]:
    option = _check_option(q1(query, "valueInputOption"))
    gr = resolve(book, rng)
    sheet = gr.sheet
    whole_rows = gr.r1 - gr.r0 > 1 or (gr.r0 == 0 and gr.c1 - gr.c0 == sheet.cols)
    filled: dict[int, list[int]] = {}
    for (r, c), cell in sheet.cells.items():
        if cell.get("userEnteredValue") and r >= gr.r0 and gr.c0 <= c < gr.c1:
            filled.setdefault(r, []).append(c)
    out: dict[str, Any] = {"spreadsheetId": book.id}
    start_row, start_col = gr.r0, gr.c0
    first = min(filled) if filled else None
    if first is not None and (first == gr.r0 or whole_rows):
        last = first
        while last + 1 in filled:
            last += 1
        cols = [c for r in range(first, last + 1) for c in filled[r]]
        c_lo = gr.c0 if gr.c1 - gr.c0 < sheet.cols else min(cols)
        c_hi = gr.c1 if gr.c1 - gr.c0 < sheet.cols else max(cols) + 1
        out["tableRange"] = GridRange(sheet, first, c_lo, last + 1, c_hi).a1()
        start_row, start_col = last + 1, c_lo
    if q1(query, "insertDataOption") == "INSERT_ROWS":
        n = len(_orient(body.get("values") or [], body.get("majorDimension")))
        from .batch import shift_rows

        shift_rows(sheet, start_row, n)
    target = GridRange(sheet, start_row, start_col, start_row + 1, start_col + 1)
    updates = write(
        book, target, body.get("values") or [], body.get("majorDimension"), option, grow=True
    )
    out["updates"] = updates
    return out


def values_clear(book: Spreadsheet, rng: str) -> dict[str, Any]:
    gr = resolve(book, rng)
    for (r, c), cell in list(gr.sheet.cells.items()):
        if gr.r0 <= r < gr.r1 and gr.c0 <= c < gr.c1:
            cell.pop("userEnteredValue", None)
    gr.sheet.prune()
    return {"spreadsheetId": book.id, "clearedRange": gr.a1()}


def values_batch_clear(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    cleared = [values_clear(book, r)["clearedRange"] for r in body.get("ranges") or []]
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if cleared:
        out["clearedRanges"] = cleared
    return out
