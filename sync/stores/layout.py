"""Store-independent layout decisions: the guide tab, where new columns go, feedback targets.

Re-provisioning policy for columns a template gained (documented decision):
- a missing form column is placed where the status column is, and the status column moves
  right, **only if** the status column holds no text below its header yet and the columns
  it moves into are completely empty;
- otherwise the missing columns are appended after the last used column (after the status
  column). Nothing a unit typed is ever moved; data are read by header, so the position
  only affects looks (a `header_mismatch` warning reports an order differing from the form).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import i18n
from .grid import HeaderLayout, is_blank

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..campaign import Campaign, Column, Form, Unit
    from ..feedback import FormFeedback, RowStatus

FEEDBACK_AUTHOR = "thidua-sync"
HELP_AUTHOR = "Hướng dẫn"
STATUS_WIDTH = 45
_SEVERITY_RANK = {"error": 2, "warning": 1}


def column_width(col: Column) -> float:
    """Width fitting the (Vietnamese) header: `Column.width`, else 10…50 by header length."""
    if col.width:
        return float(col.width)
    return float(max(10, min(50, round(len(col.header) * 1.15) + 3)))


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return "—" if value is None else value.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def guide_rows(campaign: Campaign, unit: Unit) -> list[list[Any]]:
    """Rows of the `Hướng dẫn` tab for one unit."""
    tz = campaign.tz
    lang = campaign.language

    def label(key: str, **params: Any) -> str:
        return i18n.t(f"guide.{key}", lang, **params)

    rows: list[list[Any]] = [
        [label("title")],
        [label("unit"), f"{unit.name} ({unit.id})"],
        [label("campaign"), campaign.info.title],
        [label("organizer"), campaign.info.organizer],
        [label("contact"), campaign.info.contact or campaign.info.organizer],
        [],
        [label("how"), label("how_text")],
    ]
    for form in campaign.forms:
        quota = campaign.quota(unit.id, form.id)
        rows += [
            [],
            [label("form"), form.title],
            [label("tab"), form.tab],
            [
                label("header_row"),
                label("header_row_text", row=form.header_row, first=form.header_row + 1),
            ],
            [label("quota"), label("unlimited") if quota is None else quota],
            [label("opens"), _when(form.opens, tz)],
            [label("due"), _when(form.due, tz)],
            [label("late_until"), _when(form.closes, tz) if form.grace else label("no_grace")],
            [
                label("lock"),
                label("lock_after", when=_when(form.closes, tz)) if form.lock else label("no_lock"),
            ],
        ]
        rows += [[None if i else label("note"), line] for i, line in enumerate(form.instructions)]
    return rows


@dataclass
class ColumnPlan:
    """Where missing columns go (0-based indexes) and where the status column ends up."""

    placements: dict[str, int]
    status: int
    old_status: int | None
    """The status column's old index when it moves (its header cell is cleared)."""


def _column_empty(rows: list[list[Any]], idx: int, first_row: int) -> bool:
    return all(idx >= len(r) or is_blank(r[idx]) for r in rows[first_row - 1 :])


def plan_columns(form: Form, rows: list[list[Any]], layout: HeaderLayout) -> ColumnPlan | None:
    """Placement of the form's missing columns and status column; None when none is missing."""
    missing = [c.key for c in form.columns if c.key not in layout.columns]
    if not missing and layout.status is not None:
        return None
    status = layout.status
    header = layout.header_row
    if status is not None and missing:
        free = _column_empty(rows, status, header + 1) and all(
            _column_empty(rows, status + i + 1, 1) for i in range(len(missing))
        )
        if free:
            placements = {k: status + i for i, k in enumerate(missing)}
            return ColumnPlan(placements, status + len(missing), status)
    used = max((len(r) for r in rows), default=0)
    while used > 0 and _column_empty(rows, used - 1, 1):
        used -= 1
    start = max(used, layout.width)
    placements = {k: start + i for i, k in enumerate(missing)}
    new_status = status if status is not None else start + len(missing)
    return ColumnPlan(placements, new_status, None)


def status_header_text(form: Form, feedback: FormFeedback | None) -> str:
    """The status column's header: its title, then the form's state on the next line
    (the header row repeats on every printed page, so the state prints with the list)."""
    line = feedback.state_line if feedback is not None else None
    return f"{form.status_header}\n{line}" if line else form.status_header


def feedback_targets(
    form: Form, layout: HeaderLayout, feedback: FormFeedback | None
) -> tuple[dict[int, RowStatus], dict[tuple[int, int], tuple[str, str]]]:
    """Status per row and notes per (row, 0-based column): (severity, text), merged per cell."""
    if feedback is None:
        return {}, {}
    notes: dict[tuple[int, int], tuple[str, str]] = {}
    for note in feedback.notes:
        idx = layout.columns.get(note.column)
        if idx is None or note.row <= layout.header_row:
            continue
        key = (note.row, idx)
        if key in notes:
            severity, text = notes[key]
            if _SEVERITY_RANK.get(note.severity, 0) > _SEVERITY_RANK.get(severity, 0):
                severity = note.severity
            notes[key] = (severity, f"{text}\n{note.text}")
        else:
            notes[key] = (note.severity, note.text)
    status = {r: s for r, s in feedback.status.items() if r > layout.header_row}
    return status, notes


def plain_value(value: Any, tz: ZoneInfo | None = None) -> Any:
    """A cell value for a spreadsheet: None for NaN/NaT, Python scalars, naive local datetimes."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple, dict, set)):
        return str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes, date)):
        value = value.item()
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = (value.astimezone(tz) if tz else value).replace(tzinfo=None)
    return value


FORMULA_PREFIXES = ("=", "+", "-", "@")


def looks_like_formula(value: Any) -> bool:
    """Text a spreadsheet might evaluate: starts with = + - @ (e.g. a pasted name)."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
