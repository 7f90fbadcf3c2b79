"""Spreadsheet JSON ↔ Python: the one-call read's fields, cell values, notes and colours."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..layout import plain_value

CELL_FIELDS = (
    "effectiveValue,formattedValue,note,"
    "userEnteredFormat(backgroundColorStyle,numberFormat),effectiveFormat/numberFormat"
)
SHEET_PROPS = "properties(sheetId,title,index,gridProperties(rowCount,columnCount,frozenRowCount))"
READ_FIELDS = f"sheets({SHEET_PROPS},data(rowData(values({CELL_FIELDS}))))"
"""The one call that reads a unit: every tab's titles and cells (values, notes, colours)."""
PROVISION_FIELDS = (
    f"sheets({SHEET_PROPS},protectedRanges(protectedRangeId,description,range),"
    f"data(rowData(values({CELL_FIELDS})))),"
    "developerMetadata(metadataId,metadataKey,metadataValue,visibility)"
)

EPOCH = datetime(1899, 12, 30)
COLOURS = {"error": (255, 199, 206), "warning": (255, 235, 156)}
"""Background colours of wrong cells (8-bit: Google stores colours as k/255)."""
HEADER_RGB = (217, 234, 211)
DATE_TYPES = ("DATE", "DATE_TIME")


def colour(rgb: tuple[int, int, int]) -> dict[str, float]:
    return {"red": rgb[0] / 255, "green": rgb[1] / 255, "blue": rgb[2] / 255}


def severity_of(fmt: dict[str, Any] | None) -> str | None:
    """'error'/'warning' when a cell's background is one of the service's colours."""
    bg = ((fmt or {}).get("backgroundColorStyle") or {}).get("rgbColor")
    if not bg:
        return None
    rgb = tuple(round(float(bg.get(k, 0)) * 255) for k in ("red", "green", "blue"))
    for name, wanted in COLOURS.items():
        if rgb == wanted:
            return name
    return None


def serial(value: date) -> float:
    """A date/datetime as a spreadsheet serial number."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    delta = value.replace(tzinfo=None) - EPOCH
    days = delta.total_seconds() / 86400
    return int(days) if days.is_integer() else days


def from_serial(number: float) -> datetime:
    seconds = round(float(number) * 86400)
    return EPOCH + timedelta(seconds=seconds)


def cell_value(cell: dict[str, Any]) -> Any:
    """A cell's effective value as the rules engine wants it (dates as datetime)."""
    ev = cell.get("effectiveValue")
    if not ev:
        return None
    if "numberValue" in ev:
        number = ev["numberValue"]
        fmt = (cell.get("effectiveFormat") or {}).get("numberFormat") or (
            cell.get("userEnteredFormat") or {}
        ).get("numberFormat")
        if fmt and fmt.get("type") in DATE_TYPES:
            try:
                return from_serial(number)
            except (OverflowError, ValueError):
                return number
        if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number
    if "boolValue" in ev:
        return bool(ev["boolValue"])
    if "stringValue" in ev:
        return str(ev["stringValue"])
    if "errorValue" in ev:
        return cell.get("formattedValue") or "#ERROR!"
    return None


def extended(value: Any) -> dict[str, Any] | None:
    """An ExtendedValue for a Python value (text stays text: never parsed as a formula)."""
    value = plain_value(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": value}
    if isinstance(value, datetime):
        return {"stringValue": value.strftime("%d/%m/%Y %H:%M")}
    if isinstance(value, date):
        return {"stringValue": value.strftime("%d/%m/%Y")}
    return {"stringValue": str(value)}


def comparable(value: Any) -> Any:
    """What a written value reads back as (for change detection)."""
    ext = extended(value)
    return None if ext is None else cell_value({"effectiveValue": ext})


@dataclass
class Tab:
    """One tab as read: grid of values (rows[i] = sheet row i + 1), notes and colours."""

    sheet_id: int
    title: str
    index: int
    rows: int
    cols: int
    frozen: int = 0
    values: list[list[Any]] = field(default_factory=list)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    """(1-based row, 0-based column) → note text."""
    marks: dict[tuple[int, int], str] = field(default_factory=dict)
    """(1-based row, 0-based column) → severity of the service colour on the cell."""
    protected: list[dict[str, Any]] = field(default_factory=list)


def parse_tabs(payload: dict[str, Any]) -> dict[str, Tab]:
    """Tabs by title from a spreadsheets.get answer (READ_FIELDS / PROVISION_FIELDS)."""
    out: dict[str, Tab] = {}
    for sheet in payload.get("sheets") or []:
        props = sheet.get("properties") or {}
        grid = props.get("gridProperties") or {}
        tab = Tab(
            sheet_id=int(props.get("sheetId") or 0),
            title=str(props.get("title", "")),
            index=int(props.get("index") or 0),
            rows=int(grid.get("rowCount") or 0),
            cols=int(grid.get("columnCount") or 0),
            frozen=int(grid.get("frozenRowCount") or 0),
            protected=list(sheet.get("protectedRanges") or []),
        )
        for data in sheet.get("data") or []:
            r0 = int(data.get("startRow") or 0)
            c0 = int(data.get("startColumn") or 0)
            for i, row in enumerate(data.get("rowData") or []):
                number = r0 + i + 1
                cells = row.get("values") or []
                line = [None] * c0 + [cell_value(c) for c in cells]
                while line and line[-1] is None:
                    line.pop()
                while len(tab.values) < number:
                    tab.values.append([])
                tab.values[number - 1] = line
                for j, c in enumerate(cells):
                    if c.get("note"):
                        tab.notes[(number, c0 + j)] = str(c["note"])
                    mark = severity_of(c.get("userEnteredFormat"))
                    if mark:
                        tab.marks[(number, c0 + j)] = mark
        while tab.values and not tab.values[-1]:
            tab.values.pop()
        out[tab.title] = tab
    return out


def trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows compared as they read back: trailing empties dropped, values normalised."""
    out = []
    for row in rows:
        line = [comparable(v) for v in row]
        while line and line[-1] is None:
            line.pop()
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def new_sheet_id(title: str, taken: set[int]) -> int:
    """A stable sheet id for a new tab (so later requests in the same batch can use it)."""
    sid = zlib.crc32(title.encode("utf-8")) % 2_000_000_000 + 1
    while sid in taken:
        sid += 1
    taken.add(sid)
    return sid


def row_data(values: list[Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """RowData with userEnteredValue per cell (None = cleared)."""
    cells = []
    for v in values:
        cell: dict[str, Any] = {}
        ext = extended(v)
        if ext is not None:
            cell["userEnteredValue"] = ext
        if extra:
            cell.update(extra)
        cells.append(cell)
    return {"values": cells}
