"""Sheets API v4: spreadsheets.batchUpdate requests (atomic, one reply per request)."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import metadata
from .discovery import drop_defaults
from .errors import ApiError, sheets_error
from .fields import Mask, clean, merge_masked, parse_mask
from .state import (
    SERVICE_ACCOUNT,
    GridRange,
    RangeError,
    Sheet,
    Spreadsheet,
    grid_range_from_json,
    grid_range_json,
    new_sheet,
)

if TYPE_CHECKING:
    from .app import FakeGoogle

Reply = dict[str, Any]


class RequestFailed(Exception):
    """A request inside batchUpdate is invalid (message without the prefix)."""


def _range(book: Spreadsheet, gr: dict[str, Any]) -> GridRange:
    try:
        return grid_range_from_json(book, gr)
    except RangeError as exc:
        raise RequestFailed(str(exc)) from None


def _sheet(book: Spreadsheet, sheet_id: Any) -> Sheet:
    sheet = book.sheet_by_id(int(sheet_id or 0))
    if sheet is None:
        raise RequestFailed(f"No grid with id: {sheet_id}")
    return sheet


def _mirror_styles(fmt: dict[str, Any]) -> None:
    """Google echoes colours as *Style twins; keep both in step."""
    if "backgroundColor" in fmt:
        fmt["backgroundColorStyle"] = {"rgbColor": copy.deepcopy(fmt["backgroundColor"])}
    text = fmt.get("textFormat")
    if isinstance(text, dict) and "foregroundColor" in text:
        text["foregroundColorStyle"] = {"rgbColor": copy.deepcopy(text["foregroundColor"])}


def _set_cell(sheet: Sheet, r: int, c: int, data: dict[str, Any], mask: Mask) -> None:
    cell = sheet.cell(r, c)
    merge_masked(cell, drop_defaults("CellData", clean(data)), mask)
    if isinstance(cell.get("userEnteredFormat"), dict):
        _mirror_styles(cell["userEnteredFormat"])
    for key in [k for k, v in cell.items() if v in (None, {}, "")]:
        del cell[key]


def _fields(req: dict[str, Any]) -> Mask:
    if not req.get("fields"):
        raise RequestFailed("At least one field must be updated, but none were specified.")
    return parse_mask(req["fields"])


def update_cells(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    mask = _fields(req)
    rows = req.get("rows") or []
    if req.get("range"):
        gr = _range(book, req["range"])
        for r in range(gr.r0, gr.r1):
            row = rows[r - gr.r0].get("values") or [] if r - gr.r0 < len(rows) else []
            for c in range(gr.c0, gr.c1):
                data = row[c - gr.c0] if c - gr.c0 < len(row) else {}
                _set_cell(gr.sheet, r, c, data or {}, mask)
    else:
        start = req.get("start") or {}
        sheet = _sheet(book, start.get("sheetId"))
        r0, c0 = int(start.get("rowIndex") or 0), int(start.get("columnIndex") or 0)
        for i, row in enumerate(rows):
            for j, data in enumerate(row.get("values") or []):
                if r0 + i >= sheet.rows or c0 + j >= sheet.cols:
                    raise RequestFailed("Attempting to write outside the grid.")
                _set_cell(sheet, r0 + i, c0 + j, data or {}, mask)
    return {}


def repeat_cell(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    mask = _fields(req)
    gr = _range(book, req.get("range") or {})
    for r in range(gr.r0, gr.r1):
        for c in range(gr.c0, gr.c1):
            _set_cell(gr.sheet, r, c, req.get("cell") or {}, mask)
    return {}


def set_data_validation(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    gr = _range(book, req.get("range") or {})
    rule = req.get("rule")
    stored = drop_defaults("DataValidationRule", clean(rule)) if rule else None
    for r in range(gr.r0, gr.r1):
        for c in range(gr.c0, gr.c1):
            cell = gr.sheet.cell(r, c)
            if stored:
                cell["dataValidation"] = copy.deepcopy(stored)
            else:
                cell.pop("dataValidation", None)
    gr.sheet.prune()
    return {}


def add_sheet(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    props = copy.deepcopy(req.get("properties") or {})
    title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
    if book.sheet_by_title(title):
        raise RequestFailed(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
    sheet_id = props.get("sheetId")
    sheet_id = int(sheet_id) if sheet_id is not None else fake.ids.sheet_id()
    if book.sheet_by_id(sheet_id):
        raise RequestFailed(f"Sheet with id {sheet_id} already exists.")
    index = props.get("index")
    index = len(book.sheets) if index is None else min(int(index), len(book.sheets))
    sheet = new_sheet(sheet_id, title, index, drop_defaults("SheetProperties", props))
    book.sheets.insert(index, sheet)
    book.reindex()
    return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}


def delete_sheet(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    sheet = _sheet(book, req.get("sheetId"))
    if len(book.sheets) == 1:
        raise RequestFailed("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    book.reindex()
    book.developer_metadata = [
        m for m in book.developer_metadata if m not in metadata.for_sheet(book, sheet.id)
    ]
    return {}


def update_sheet_properties(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    mask = _fields(req)
    props = req.get("properties") or {}
    sheet = _sheet(book, props.get("sheetId"))
    new_title = props.get("title")
    if (
        "title" in mask
        and new_title
        and new_title != sheet.title
        and book.sheet_by_title(new_title)
    ):
        raise RequestFailed(
            f'A sheet with the name "{new_title}" already exists. Please enter another name.'
        )
    if "hidden" in mask and props.get("hidden"):
        visible = [s for s in book.sheets if not s.properties.get("hidden") and s is not sheet]
        if not visible:
            raise RequestFailed("You can't hide all the sheets in a document.")
    index = props.get("index") if "index" in mask else None
    rest = {k: v for k, v in mask.items() if k != "index"}
    if rest:
        merge_masked(sheet.properties, drop_defaults("SheetProperties", clean(props)), rest)
    sheet.properties.setdefault("sheetId", sheet.id)
    if index is not None:
        book.sheets.remove(sheet)
        book.sheets.insert(min(int(index), len(book.sheets)), sheet)
        book.reindex()
    return {}


def update_spreadsheet_properties(
    fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]
) -> Reply:
    props = drop_defaults("SpreadsheetProperties", clean(req.get("properties") or {}))
    merge_masked(book.properties, props, _fields(req))
    fake.drive_files[book.id]["name"] = book.properties.get("title", "")
    return {}


def add_protected_range(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    pr = copy.deepcopy(req.get("protectedRange") or {})
    gr = _range(book, pr.get("range") or {})
    stored: dict[str, Any] = {
        "protectedRangeId": int(fake.ids.sheet_id()),
        "range": grid_range_json(pr.get("range") or {}),
    }
    for key in ("description", "namedRangeId", "unprotectedRanges"):
        if pr.get(key):
            stored[key] = pr[key]
    if pr.get("warningOnly"):
        stored["warningOnly"] = True
    stored["requestingUserCanEdit"] = True
    editors = {k: v for k, v in (pr.get("editors") or {}).items() if v}
    reply = copy.deepcopy(stored)
    reply["editors"] = copy.deepcopy(editors)
    users = list(editors.get("users", []))
    stored["editors"] = {**editors, "users": [SERVICE_ACCOUNT, *users]}
    gr.sheet.protected_ranges.append(stored)
    return {"addProtectedRange": {"protectedRange": reply}}


def delete_protected_range(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    wanted = int(req.get("protectedRangeId") or 0)
    for sheet in book.sheets:
        for pr in sheet.protected_ranges:
            if pr["protectedRangeId"] == wanted:
                sheet.protected_ranges.remove(pr)
                return {}
    raise RequestFailed(f"No protected range with id: {wanted}")


def _dim_meta(sheet: Sheet, dim: str) -> tuple[dict[int, dict[str, Any]], int]:
    if dim == "ROWS":
        return sheet.row_meta, sheet.rows
    return sheet.col_meta, sheet.cols


def update_dimension_properties(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    mask = _fields(req)
    dr = req.get("range") or {}
    sheet = _sheet(book, dr.get("sheetId"))
    meta, size = _dim_meta(sheet, dr.get("dimension") or "ROWS")
    for i in range(int(dr.get("startIndex") or 0), int(dr.get("endIndex") or size)):
        node = meta.setdefault(i, {})
        merge_masked(node, drop_defaults("DimensionProperties", req.get("properties") or {}), mask)
    return {}


def auto_resize_dimensions(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    dr = req.get("dimensions") or {}
    sheet = _sheet(book, dr.get("sheetId"))
    dim = dr.get("dimension") or "COLUMNS"
    meta, size = _dim_meta(sheet, dim)
    for i in range(int(dr.get("startIndex") or 0), int(dr.get("endIndex") or size)):
        texts = [
            str(next(iter(cell.get("userEnteredValue", {"": ""}).values())))
            for (r, c), cell in sheet.cells.items()
            if (c if dim == "COLUMNS" else r) == i
        ]
        longest = max((len(t) for t in texts), default=0)
        base = 100 if dim == "COLUMNS" else 21
        meta.setdefault(i, {})["pixelSize"] = max(base, 7 * longest + 10) if texts else base
    return {}


def shift(sheet: Sheet, dim: str, start: int, n: int) -> None:
    """Insert (n > 0) or delete (n < 0) rows/columns at ``start``."""
    axis = 0 if dim == "ROWS" else 1
    moved: dict[tuple[int, int], dict[str, Any]] = {}
    for key, cell in sheet.cells.items():
        pos = key[axis]
        if n < 0 and start <= pos < start - n:
            continue
        if pos >= start:
            pos += n
        moved[(pos, key[1]) if axis == 0 else (key[0], pos)] = cell
    sheet.cells = moved
    grid = sheet.properties["gridProperties"]
    name = "rowCount" if axis == 0 else "columnCount"
    grid[name] = max(1, int(grid[name]) + n)


def shift_rows(sheet: Sheet, start: int, n: int) -> None:
    shift(sheet, "ROWS", start, n)


def insert_dimension(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    dr = req.get("range") or {}
    start, end = int(dr.get("startIndex") or 0), int(dr.get("endIndex") or 0)
    shift(_sheet(book, dr.get("sheetId")), dr.get("dimension") or "ROWS", start, end - start)
    return {}


def delete_dimension(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    dr = req.get("range") or {}
    sheet = _sheet(book, dr.get("sheetId"))
    _, size = _dim_meta(sheet, dr.get("dimension") or "ROWS")
    start, end = int(dr.get("startIndex") or 0), int(dr.get("endIndex") or size)
    shift(sheet, dr.get("dimension") or "ROWS", start, -(end - start))
    return {}


def append_dimension(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    sheet = _sheet(book, req.get("sheetId"))
    _, size = _dim_meta(sheet, req.get("dimension") or "ROWS")
    shift(sheet, req.get("dimension") or "ROWS", size, int(req.get("length") or 0))
    return {}


def add_named_range(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    nr = copy.deepcopy(req.get("namedRange") or {})
    _range(book, nr.get("range") or {})
    stored = {
        "namedRangeId": nr.get("namedRangeId") or str(fake.ids.sheet_id()),
        "name": nr.get("name"),
        "range": grid_range_json(nr.get("range") or {}),
    }
    book.named_ranges.append(stored)
    return {"addNamedRange": {"namedRange": copy.deepcopy(stored)}}


def delete_named_range(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    before = len(book.named_ranges)
    book.named_ranges = [
        n for n in book.named_ranges if n["namedRangeId"] != req.get("namedRangeId")
    ]
    if len(book.named_ranges) == before:
        raise RequestFailed(f"No named range with id: {req.get('namedRangeId')}")
    return {}


def update_named_range(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
    nr = req.get("namedRange") or {}
    found = next(
        (n for n in book.named_ranges if n["namedRangeId"] == nr.get("namedRangeId")), None
    )
    if found is None:
        raise RequestFailed(f"No named range with id: {nr.get('namedRangeId')}")
    merge_masked(found, drop_defaults("NamedRange", clean(nr)), _fields(req))
    found["range"] = grid_range_json(found.get("range") or {})
    return {}


def _metadata(
    action: Callable[[FakeGoogle, Spreadsheet, dict[str, Any]], Reply],
) -> Callable[[FakeGoogle, Spreadsheet, dict[str, Any]], Reply]:
    def handler(fake: FakeGoogle, book: Spreadsheet, req: dict[str, Any]) -> Reply:
        try:
            return action(fake, book, req)
        except metadata.MetadataError as exc:
            raise RequestFailed(str(exc)) from None

    return handler


HANDLERS: dict[str, Callable[[FakeGoogle, Spreadsheet, dict[str, Any]], Reply]] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "setDataValidation": set_data_validation,
    "addProtectedRange": add_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "updateDimensionProperties": update_dimension_properties,
    "autoResizeDimensions": auto_resize_dimensions,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "appendDimension": append_dimension,
    "addNamedRange": add_named_range,
    "deleteNamedRange": delete_named_range,
    "updateNamedRange": update_named_range,
    "createDeveloperMetadata": _metadata(metadata.create),
    "updateDeveloperMetadata": _metadata(metadata.update),
    "deleteDeveloperMetadata": _metadata(metadata.delete),
}


def batch_update(fake: FakeGoogle, book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    """Apply all requests atomically; any failure leaves the spreadsheet untouched."""
    snapshot = pickle.loads(pickle.dumps(book, pickle.HIGHEST_PROTOCOL))  # faster than deepcopy
    name_before = fake.drive_files[book.id].get("name")
    replies: list[Reply] = []
    try:
        for i, req in enumerate(body.get("requests") or []):
            kinds = [k for k, v in req.items() if v is not None]
            if len(kinds) != 1:
                raise sheets_error(400, f"Invalid requests[{i}]: No request set.")
            kind = kinds[0]
            handler = HANDLERS.get(kind)
            if handler is None:
                raise sheets_error(501, f"The fake does not implement requests[{i}].{kind}.")
            try:
                replies.append(handler(fake, book, req[kind]))
            except RequestFailed as exc:
                raise sheets_error(400, f"Invalid requests[{i}].{kind}: {exc}") from None
    except ApiError:
        book.__dict__.update(snapshot.__dict__)
        fake.drive_files[book.id]["name"] = name_before
        raise
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if replies:
        out["replies"] = replies
    if body.get("includeSpreadsheetInResponse"):
        from .sheets import spreadsheet_json

        out["updatedSpreadsheet"] = spreadsheet_json(book, {})
    return out
