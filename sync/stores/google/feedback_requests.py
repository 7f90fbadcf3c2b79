"""Feedback as ONE `spreadsheets.batchUpdate` per unit (and none when nothing changed).

The previous state (status texts, notes, service colours, the `Kiểm tra` tab) comes from
the same single read the validation used: `read_unit` keeps the parsed tabs, and this
module diffs the wanted feedback against them. Only changed cells are sent; the cached
tabs are updated to what was written, so the same feedback again produces no request.

A note belongs to the service when its cell carries one of the service colours
(`sheetdata.COLOURS`); such notes/colours are cleared when no longer wanted. A note a unit
wrote on a cell the service does not colour is left alone (and replaced only when the
service must put feedback on that very cell).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...feedback import SUMMARY_TAB
from ..grid import find_tab, locate_header
from ..layout import feedback_targets, plan_columns, status_header_text
from .sheetdata import COLOURS, Tab, colour, comparable, extended, new_sheet_id, trimmed

if TYPE_CHECKING:
    from ...campaign import Campaign, Form
    from ...feedback import FormFeedback, UnitFeedback

STATUS_FIELDS = "userEnteredValue,userEnteredFormat.backgroundColorStyle"
NOTE_FIELDS = "note,userEnteredFormat.backgroundColorStyle"


def _get(values: list[list[Any]], row: int, col: int) -> Any:
    if row > len(values) or col >= len(values[row - 1]):
        return None
    return values[row - 1][col]


def _put(values: list[list[Any]], row: int, col: int, value: Any) -> None:
    while len(values) < row:
        values.append([])
    line = values[row - 1]
    while len(line) <= col:
        line.append(None)
    line[col] = value


def _background(severity: str | None) -> dict[str, Any]:
    """userEnteredFormat with the service colour, or empty (= colour cleared)."""
    if severity not in COLOURS:
        return {}
    return {"backgroundColorStyle": {"rgbColor": colour(COLOURS[severity])}}


def _grow(tab: Tab, rows: int, cols: int, out: list[dict[str, Any]]) -> None:
    """Enlarge the grid when a write would fall outside it."""
    if rows > tab.rows or cols > tab.cols:
        tab.rows, tab.cols = max(tab.rows, rows), max(tab.cols, cols)
        out.append(
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": tab.sheet_id,
                        "gridProperties": {"rowCount": tab.rows, "columnCount": tab.cols},
                    },
                    "fields": "gridProperties.rowCount,gridProperties.columnCount",
                }
            }
        )


def form_requests(form: Form, tab: Tab, feedback: FormFeedback) -> list[dict[str, Any]]:
    """Requests updating one form tab's status column, notes and colours."""
    out: list[dict[str, Any]] = []
    values = tab.values
    layout = locate_header(values, form)
    if layout.status is None:
        plan = plan_columns(form, values, layout)
        assert plan is not None
        layout.status = plan.status
        _grow(tab, layout.header_row, plan.status + 1, out)
        _put(values, layout.header_row, plan.status, form.status_header)
        out.append(
            {
                "updateCells": {
                    "start": {
                        "sheetId": tab.sheet_id,
                        "rowIndex": layout.header_row - 1,
                        "columnIndex": plan.status,
                    },
                    "rows": [{"values": [{"userEnteredValue": extended(form.status_header)}]}],
                    "fields": "userEnteredValue",
                }
            }
        )
    col = layout.status
    title = status_header_text(form, feedback)
    if comparable(_get(values, layout.header_row, col)) != comparable(title):
        _put(values, layout.header_row, col, title)
        out.append(
            {
                "updateCells": {
                    "start": {
                        "sheetId": tab.sheet_id,
                        "rowIndex": layout.header_row - 1,
                        "columnIndex": col,
                    },
                    "rows": [{"values": [{"userEnteredValue": extended(title)}]}],
                    "fields": "userEnteredValue",
                }
            }
        )
    status, notes = feedback_targets(form, layout, feedback)
    last = max([len(values), *status])
    changed: list[int] = []
    for row in range(layout.header_row + 1, last + 1):
        wanted = status.get(row)
        text = wanted.text if wanted else None
        severity = wanted.severity if wanted else None
        if comparable(_get(values, row, col)) != comparable(text) or tab.marks.get((row, col)) != (
            severity if severity in COLOURS else None
        ):
            changed.append(row)
    if changed:
        first, end = changed[0], changed[-1]
        _grow(tab, end, col + 1, out)
        rows = []
        for row in range(first, end + 1):
            wanted = status.get(row)
            cell: dict[str, Any] = {
                "userEnteredFormat": _background(wanted.severity if wanted else None)
            }
            if wanted is not None:
                cell["userEnteredValue"] = extended(wanted.text)
            rows.append({"values": [cell]})
            _put(values, row, col, wanted.text if wanted else None)
            if wanted is not None and wanted.severity in COLOURS:
                tab.marks[(row, col)] = wanted.severity
            else:
                tab.marks.pop((row, col), None)
        out.append(
            {
                "updateCells": {
                    "range": {
                        "sheetId": tab.sheet_id,
                        "startRowIndex": first - 1,
                        "endRowIndex": end,
                        "startColumnIndex": col,
                        "endColumnIndex": col + 1,
                    },
                    "rows": rows,
                    "fields": STATUS_FIELDS,
                }
            }
        )
    ours = {
        key
        for key in tab.marks
        if key[0] > layout.header_row and key[1] != col and key not in notes
    }
    for row, idx in sorted(ours | set(notes)):
        wanted_note = notes.get((row, idx))
        if wanted_note is None:
            cell = {"userEnteredFormat": {}}
            tab.notes.pop((row, idx), None)
            tab.marks.pop((row, idx), None)
        else:
            severity, text = wanted_note
            severity = severity if severity in COLOURS else "warning"
            if tab.notes.get((row, idx)) == text and tab.marks.get((row, idx)) == severity:
                continue
            cell = {"note": text, "userEnteredFormat": _background(severity)}
            tab.notes[(row, idx)] = text
            tab.marks[(row, idx)] = severity
        out.append(
            {
                "updateCells": {
                    "start": {"sheetId": tab.sheet_id, "rowIndex": row - 1, "columnIndex": idx},
                    "rows": [{"values": [cell]}],
                    "fields": NOTE_FIELDS,
                }
            }
        )
    return out


def summary_requests(tabs: dict[str, Tab], summary: list[list[Any]]) -> list[dict[str, Any]]:
    """Rewrite the `Kiểm tra` tab when its content differs (added when missing)."""
    wanted = trimmed([list(r) for r in summary])
    tab = tabs.get(SUMMARY_TAB)
    out: list[dict[str, Any]] = []
    if tab is not None and trimmed(tab.values) == wanted:
        return out
    width = max([len(r) for r in wanted] + [1])
    if tab is None:
        taken = {t.sheet_id for t in tabs.values()}
        tab = Tab(
            sheet_id=new_sheet_id(SUMMARY_TAB, taken),
            title=SUMMARY_TAB,
            index=len(tabs),
            rows=max(100, len(wanted) + 1),
            cols=max(10, width),
        )
        tabs[SUMMARY_TAB] = tab
        out.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": tab.sheet_id,
                        "title": SUMMARY_TAB,
                        "index": min(1, len(tabs) - 1),
                        "gridProperties": {"rowCount": tab.rows, "columnCount": tab.cols},
                    }
                }
            }
        )
    height = max(len(wanted), len(tab.values), 1)
    width = max(width, *[len(r) for r in tab.values], 1)
    _grow(tab, height, width, out)
    rows = []
    for i in range(height):
        line = wanted[i] if i < len(wanted) else []
        cells = []
        for j in range(width):
            ext = extended(line[j]) if j < len(line) else None
            cells.append({"userEnteredValue": ext} if ext is not None else {})
        rows.append({"values": cells})
    out.append(
        {
            "updateCells": {
                "range": {
                    "sheetId": tab.sheet_id,
                    "startRowIndex": 0,
                    "endRowIndex": height,
                    "startColumnIndex": 0,
                    "endColumnIndex": width,
                },
                "rows": rows,
                "fields": "userEnteredValue",
            }
        }
    )
    tab.values = [list(r) for r in wanted]
    return out


def feedback_requests(
    campaign: Campaign, tabs: dict[str, Tab], feedback: UnitFeedback
) -> list[dict[str, Any]]:
    """Everything to send for a unit's feedback (empty: nothing changed)."""
    out: list[dict[str, Any]] = []
    for form in campaign.forms:
        name = find_tab(tabs, form.tab)
        if name is None or form.id not in feedback.forms:
            continue
        out += form_requests(form, tabs[name], feedback.forms[form.id])
    out += summary_requests(tabs, feedback.summary)
    return out
