"""The consolidated spreadsheet: one structure batchUpdate + one RAW values write.

1. `spreadsheets.batchUpdate`: add missing tabs, order them, size their grids, clear old
   values and formats, bold header and totals, date formats on date columns, freeze row 1,
   delete the tabs this store wrote before and no longer writes (other tabs are kept);
2. `spreadsheets.values.batchUpdate` with `valueInputOption=RAW`: a unit's
   `=IMPORTXML(…)` arrives as text, never as a formula.

See docs/design.md, Consolidated output.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..layout import plain_value
from .sheetdata import Tab, new_sheet_id, serial

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ...consolidate import Consolidated

TITLE_FIELDS = "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)))"
READ_FIELDS = (
    "sheets(properties(title,index),data(rowData(values(effectiveValue,formattedValue,"
    "userEnteredFormat/numberFormat,effectiveFormat/numberFormat))))"
)
MAX_TITLE = 100


def a1_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _cell(value: Any) -> Any:
    """A JSON value for RAW input (dates as serials; their format is set beforehand)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date):
        return serial(value)
    return str(value)


def table_rows(consolidated: Consolidated, tz: ZoneInfo) -> dict[str, list[list[Any]]]:
    """Tab title → rows of plain values (header first)."""
    out: dict[str, list[list[Any]]] = {}
    for tab, frame in consolidated.tables.items():
        rows: list[list[Any]] = [[str(c) for c in frame.columns]]
        for rec in frame.itertuples(index=False, name=None):
            rows.append([plain_value(v, tz) for v in rec])
        out[tab[:MAX_TITLE]] = rows
    return out


def _date_columns(rows: list[list[Any]]) -> dict[int, bool]:
    """Column index → True when it holds datetimes with a time part (False: dates only)."""
    found: dict[int, bool] = {}
    for row in rows[1:]:
        for j, value in enumerate(row):
            if isinstance(value, date):
                timed = isinstance(value, datetime) and (value.hour, value.minute) != (0, 0)
                found[j] = found.get(j, False) or timed
    return found


def plan(
    tables: dict[str, list[list[Any]]],
    tabs: dict[str, Tab],
    totals: dict[str, list[int]],
    previous: list[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(structure requests, RAW value ranges) for the two write calls."""
    requests: list[dict[str, Any]] = []
    data: list[dict[str, Any]] = []
    taken = {t.sheet_id for t in tabs.values()}
    for index, (title, rows) in enumerate(tables.items()):
        height = max(len(rows) + 1, 100)
        width = max([len(r) for r in rows] + [1])
        grid = {"rowCount": height, "columnCount": max(width, 26), "frozenRowCount": 1}
        tab = tabs.get(title)
        if tab is None:
            sheet_id = new_sheet_id(title, taken)
            requests.append(
                {
                    "addSheet": {
                        "properties": {
                            "sheetId": sheet_id,
                            "title": title,
                            "index": index,
                            "gridProperties": grid,
                        }
                    }
                }
            )
        else:
            sheet_id = tab.sheet_id
            grid["rowCount"] = max(height, tab.rows)
            grid["columnCount"] = max(grid["columnCount"], tab.cols)
            requests.append(
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": sheet_id, "index": index, "gridProperties": grid},
                        "fields": "index,gridProperties(rowCount,columnCount,frozenRowCount)",
                    }
                }
            )
            requests.append(
                {
                    "updateCells": {
                        "range": {"sheetId": sheet_id},
                        "fields": "userEnteredValue,userEnteredFormat",
                    }
                }
            )
        requests.append(_bold(sheet_id, 0))
        for i in totals.get(title, []):
            requests.append(_bold(sheet_id, i + 1))
        for j, timed in _date_columns(rows).items():
            pattern = "dd/mm/yyyy hh:mm" if timed else "dd/mm/yyyy"
            requests.append(
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": sheet_id,
                            "startRowIndex": 1,
                            "endRowIndex": len(rows),
                            "startColumnIndex": j,
                            "endColumnIndex": j + 1,
                        },
                        "cell": {
                            "userEnteredFormat": {
                                "numberFormat": {
                                    "type": "DATE_TIME" if timed else "DATE",
                                    "pattern": pattern,
                                }
                            }
                        },
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            )
        data.append(
            {"range": f"{a1_title(title)}!A1", "values": [[_cell(v) for v in r] for r in rows]}
        )
    for title in previous:
        if title not in tables and title in tabs:
            requests.append({"deleteSheet": {"sheetId": tabs[title].sheet_id}})
    return requests, data


def _bold(sheet_id: int, row: int) -> dict[str, Any]:
    return {
        "repeatCell": {
            "range": {"sheetId": sheet_id, "startRowIndex": row, "endRowIndex": row + 1},
            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
            "fields": "userEnteredFormat.textFormat.bold",
        }
    }


def padded(tab: Tab) -> list[list[Any]]:
    """A consolidated tab's rows, each as wide as the header (None for empty cells)."""
    rows = [list(r) for r in tab.values]
    width = max([len(r) for r in rows[:1]] + [0])
    return [r + [None] * (width - len(r)) for r in rows]
