"""Provisioning a unit's spreadsheet: everything in ONE `spreadsheets.batchUpdate`.

Given the tabs as read (one `spreadsheets.get` with protected ranges), this module plans
what is missing — tabs, header cells, header notes (`help`), dropdowns (`choices`), frozen
header, protected header row and status column, the `Hướng dẫn` and `Kiểm tra` tabs — and
never touches a unit's data cells. Protected ranges are recognised by their description,
so re-provisioning never duplicates them; data validation is set per cell (cannot
duplicate) and only on new columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openpyxl.utils import get_column_letter

from ... import i18n
from ...feedback import GUIDE_TAB, SUMMARY_TAB
from ..grid import find_tab, locate_header
from ..layout import STATUS_WIDTH, column_width, guide_rows, plan_columns
from .sheetdata import HEADER_RGB, Tab, colour, extended, new_sheet_id, trimmed

if TYPE_CHECKING:
    from ...campaign import Campaign, Column, Form, Unit

PROTECT_HEADER = "thidua-sync: dòng tiêu đề"
PROTECT_STATUS = "thidua-sync: cột Kết quả kiểm tra"
MAX_LIST_CHOICES = 500
"""Google's dropdown (ONE_OF_LIST) limit; longer lists are checked by the rules only."""
DEFAULT_ROWS = 1000
HEADER_FIELDS = "userEnteredValue,note,userEnteredFormat(textFormat,backgroundColor,wrapStrategy)"


@dataclass
class Plan:
    """Requests for one batchUpdate and the Vietnamese lines describing them."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    taken: set[int] = field(default_factory=set)
    rows: int = DEFAULT_ROWS
    """Rows of a new form tab (Google's default grid is 1000 rows; pasting grows it)."""


def _pixels(width: float) -> int:
    return int(width * 7 + 5)


def _header_cell(text: str, note: str | None) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "userEnteredValue": extended(text),
        "userEnteredFormat": {
            "textFormat": {"bold": True},
            "backgroundColor": colour(HEADER_RGB),
            "wrapStrategy": "WRAP",
        },
    }
    if note:
        cell["note"] = note
    return cell


def _header_write(sheet_id: int, header_row: int, idx: int, cells: list[dict[str, Any]]) -> Any:
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": header_row - 1, "columnIndex": idx},
            "rows": [{"values": cells}],
            "fields": HEADER_FIELDS,
        }
    }


def _width(sheet_id: int, idx: int, pixels: int) -> dict[str, Any]:
    return {
        "updateDimensionProperties": {
            "range": {
                "sheetId": sheet_id,
                "dimension": "COLUMNS",
                "startIndex": idx,
                "endIndex": idx + 1,
            },
            "properties": {"pixelSize": pixels},
            "fields": "pixelSize",
        }
    }


def column_requests(sheet_id: int, header_row: int, col: Column, idx: int) -> list[Any]:
    """Width and dropdown of one form column (data rows only)."""
    out = [_width(sheet_id, idx, _pixels(column_width(col)))]
    if col.choices and len(col.choices) <= MAX_LIST_CHOICES:
        out.append(
            {
                "setDataValidation": {
                    "range": {
                        "sheetId": sheet_id,
                        "startRowIndex": header_row,
                        "startColumnIndex": idx,
                        "endColumnIndex": idx + 1,
                    },
                    "rule": {
                        "condition": {
                            "type": "ONE_OF_LIST",
                            "values": [{"userEnteredValue": c} for c in col.choices],
                        },
                        "inputMessage": i18n.t("sheet.choose_from_list", column=col.header),
                        "strict": True,
                        "showCustomUi": True,
                    },
                }
            }
        )
    return out


def _range_key(rng: dict[str, Any]) -> tuple[Any, ...]:
    return (
        int(rng.get("sheetId") or 0),
        int(rng.get("startRowIndex") or 0),
        rng.get("endRowIndex"),
        int(rng.get("startColumnIndex") or 0),
        rng.get("endColumnIndex"),
    )


def _protect(
    plan: Plan, tab: Tab, description: str, rng: dict[str, Any], editors: Sequence[str]
) -> bool:
    """Keep our protected range if it covers `rng`, else replace it; True when added."""
    mine = [p for p in tab.protected if p.get("description") == description]
    if len(mine) == 1 and _range_key(mine[0].get("range") or {}) == _range_key(rng):
        return False
    for old in mine:
        plan.requests.append(
            {"deleteProtectedRange": {"protectedRangeId": old["protectedRangeId"]}}
        )
    protected: dict[str, Any] = {"range": rng, "description": description, "warningOnly": False}
    if editors:
        protected["editors"] = {"users": list(editors)}
    plan.requests.append({"addProtectedRange": {"protectedRange": protected}})
    return True


def _protections(plan: Plan, tab: Tab, form: Form, status: int, editors: Sequence[str]) -> bool:
    header = {"sheetId": tab.sheet_id, "startRowIndex": 0, "endRowIndex": form.header_row}
    column = {
        "sheetId": tab.sheet_id,
        "startRowIndex": form.header_row,
        "startColumnIndex": status,
        "endColumnIndex": status + 1,
    }
    added = _protect(plan, tab, PROTECT_HEADER, header, editors)
    return _protect(plan, tab, PROTECT_STATUS, column, editors) or added


def new_form_tab(plan: Plan, form: Form, index: int | None, editors: Sequence[str]) -> None:
    """addSheet + title block + header row (notes, colours) + dropdowns + protection."""
    sheet_id = new_sheet_id(form.tab, plan.taken)
    width = len(form.columns) + 1
    props: dict[str, Any] = {
        "sheetId": sheet_id,
        "title": form.tab,
        "gridProperties": {
            "rowCount": plan.rows,
            "columnCount": max(26, width),
            "frozenRowCount": form.header_row,
        },
    }
    if index is not None:
        props["index"] = index
    plan.requests.append({"addSheet": {"properties": props}})
    for i, line in enumerate(form.title_block[: form.header_row - 1]):
        plan.requests.append(
            {
                "updateCells": {
                    "start": {"sheetId": sheet_id, "rowIndex": i, "columnIndex": 0},
                    "rows": [
                        {
                            "values": [
                                {
                                    "userEnteredValue": extended(line),
                                    "userEnteredFormat": {"textFormat": {"bold": i == 0}},
                                }
                            ]
                        }
                    ],
                    "fields": "userEnteredValue,userEnteredFormat.textFormat.bold",
                }
            }
        )
    cells = [_header_cell(c.header, c.help) for c in form.columns]
    cells.append(_header_cell(form.status_header, None))
    plan.requests.append(_header_write(sheet_id, form.header_row, 0, cells))
    for idx, col in enumerate(form.columns):
        plan.requests += column_requests(sheet_id, form.header_row, col, idx)
    plan.requests.append(_width(sheet_id, len(form.columns), _pixels(STATUS_WIDTH)))
    tab = Tab(sheet_id=sheet_id, title=form.tab, index=0, rows=plan.rows, cols=width)
    _protections(plan, tab, form, len(form.columns), editors)


def existing_form_tab(plan: Plan, name: str, tab: Tab, form: Form, editors: Sequence[str]) -> None:
    """Add missing columns / status column, restore frozen header and protections."""
    layout = locate_header(tab.values, form)
    col_plan = plan_columns(form, tab.values, layout)
    status = layout.status
    if col_plan is not None:
        needed = max([col_plan.status, *col_plan.placements.values()]) + 1
        if needed > tab.cols:
            plan.requests.append(
                {
                    "appendDimension": {
                        "sheetId": tab.sheet_id,
                        "dimension": "COLUMNS",
                        "length": needed - tab.cols,
                    }
                }
            )
            tab.cols = needed
        for key, idx in col_plan.placements.items():
            col = form.column(key)
            plan.requests.append(
                _header_write(
                    tab.sheet_id, layout.header_row, idx, [_header_cell(col.header, col.help)]
                )
            )
            plan.requests += column_requests(tab.sheet_id, layout.header_row, col, idx)
            plan.actions.append(
                i18n.t(
                    "plan.add_column",
                    column=col.header,
                    tab=name,
                    letter=get_column_letter(idx + 1),
                )
            )
        if col_plan.old_status is not None or layout.status is None:
            old = col_plan.old_status
            if old is not None and old not in col_plan.placements.values():
                plan.requests.append(
                    {
                        "updateCells": {
                            "start": {
                                "sheetId": tab.sheet_id,
                                "rowIndex": layout.header_row - 1,
                                "columnIndex": old,
                            },
                            "rows": [{"values": [{}]}],
                            "fields": HEADER_FIELDS,
                        }
                    }
                )
            plan.requests.append(
                _header_write(
                    tab.sheet_id,
                    layout.header_row,
                    col_plan.status,
                    [_header_cell(form.status_header, None)],
                )
            )
            if layout.status is None:
                plan.actions.append(
                    i18n.t("plan.add_status_column", column=form.status_header, tab=name)
                )
        status = col_plan.status
    assert status is not None
    if tab.frozen != layout.header_row:
        plan.requests.append(
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": tab.sheet_id,
                        "gridProperties": {"frozenRowCount": layout.header_row},
                    },
                    "fields": "gridProperties.frozenRowCount",
                }
            }
        )
        plan.actions.append(i18n.t("plan.freeze_header", header_row=layout.header_row, tab=name))
    if _protections(plan, tab, form, status, editors) and col_plan is None:
        plan.actions.append(i18n.t("plan.protect_header", column=form.status_header, tab=name))


def rewrite_block(plan: Plan, sheet_id: int, rows: list[list[Any]], old: list[list[Any]]) -> None:
    """Write `rows` from A1, clearing what is left of `old`."""
    height = max(len(rows), len(old), 1)
    width = max([len(r) for r in rows] + [len(r) for r in old] + [1])
    data = []
    for i in range(height):
        line = rows[i] if i < len(rows) else []
        cells = []
        for j in range(width):
            ext = extended(line[j]) if j < len(line) else None
            cells.append({"userEnteredValue": ext} if ext is not None else {})
        data.append({"values": cells})
    plan.requests.append(
        {
            "updateCells": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": 0,
                    "endRowIndex": height,
                    "startColumnIndex": 0,
                    "endColumnIndex": width,
                },
                "rows": data,
                "fields": "userEnteredValue",
            }
        }
    )


def _add_tab(plan: Plan, title: str, index: int | None, rows: int, cols: int) -> int:
    sheet_id = new_sheet_id(title, plan.taken)
    props: dict[str, Any] = {
        "sheetId": sheet_id,
        "title": title,
        "gridProperties": {"rowCount": rows, "columnCount": cols},
    }
    if index is not None:
        props["index"] = index
    plan.requests.append({"addSheet": {"properties": props}})
    return sheet_id


def plan_unit(
    campaign: Campaign,
    unit: Unit,
    tabs: dict[str, Tab],
    created: bool,
    editors: Sequence[str],
    rows: int = DEFAULT_ROWS,
) -> Plan:
    """All requests provisioning one unit's spreadsheet (empty when nothing is missing)."""
    plan = Plan(taken={t.sheet_id for t in tabs.values()}, rows=rows)
    guide = guide_rows(campaign, unit)
    if GUIDE_TAB not in tabs:
        sheet_id = _add_tab(plan, GUIDE_TAB, 0, max(100, len(guide) + 10), 6)
        rewrite_block(plan, sheet_id, guide, [])
        plan.requests.append(_width(sheet_id, 0, 170))
        plan.requests.append(_width(sheet_id, 1, 640))
        if not created:
            plan.actions.append(i18n.t("plan.add_tab", tab=GUIDE_TAB))
    elif trimmed(tabs[GUIDE_TAB].values) != trimmed(guide):
        tab = tabs[GUIDE_TAB]
        if len(guide) > tab.rows:
            plan.requests.append(
                {
                    "appendDimension": {
                        "sheetId": tab.sheet_id,
                        "dimension": "ROWS",
                        "length": len(guide) - tab.rows,
                    }
                }
            )
        rewrite_block(plan, tab.sheet_id, guide, tab.values)
        plan.actions.append(i18n.t("plan.update_tab", tab=GUIDE_TAB))
    if SUMMARY_TAB not in tabs:
        _add_tab(plan, SUMMARY_TAB, 1 if created else None, 100, 10)
        if not created:
            plan.actions.append(i18n.t("plan.add_tab", tab=SUMMARY_TAB))
    for i, form in enumerate(campaign.forms_for(unit.id)):
        name = find_tab(tabs, form.tab)
        if name is None:
            new_form_tab(plan, form, 2 + i if created else None, editors)
            if not created:
                plan.actions.append(i18n.t("plan.add_tab", tab=form.tab))
        else:
            existing_form_tab(plan, name, tabs[name], form, editors)
    if created:
        own = {GUIDE_TAB, SUMMARY_TAB, *(f.tab for f in campaign.forms)}
        for title, tab in tabs.items():
            if title not in own and not any(tab.values):
                plan.requests.append({"deleteSheet": {"sheetId": tab.sheet_id}})
    return plan


def addon_metadata(current: list[dict[str, Any]], wanted: dict[str, str]) -> list[dict[str, Any]]:
    """Requests that leave exactly one spreadsheet-level developer metadata entry per key of
    `wanted` with its value (document visibility: the bound add-on reads it through
    SpreadsheetApp under `spreadsheets.currentonly`)."""
    out: list[dict[str, Any]] = []
    for key, value in wanted.items():
        mine = [m for m in current if m.get("metadataKey") == key]
        if len(mine) == 1 and mine[0].get("metadataValue") == value:
            continue
        for old in mine:
            out.append(
                {
                    "deleteDeveloperMetadata": {
                        "dataFilter": {"developerMetadataLookup": {"metadataId": old["metadataId"]}}
                    }
                }
            )
        out.append(
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": key,
                        "metadataValue": value,
                        "location": {"spreadsheet": True},
                        "visibility": "DOCUMENT",
                    }
                }
            }
        )
    return out
