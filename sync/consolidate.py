"""Consolidated output: tables built here, written by a store.

See docs/design.md, Consolidated output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import clock
from .feedback import STATES, build_row_statuses, state_label, summary_label

if TYPE_CHECKING:
    from .campaign import Campaign, Column, Form, Unit
    from .form_state import States
    from .rules.engine import ValidationResult

SUMMARY_TAB = "Tổng hợp"
FIX_TAB = "Cần sửa"


@dataclass
class Consolidated:
    """Tabs in order: `Tổng hợp`, one per form (named after its tab), `Cần sửa`.

    Cells hold real values (numbers, shares as fractions, dates, naive local datetimes,
    "x" for ticks); the rest says how a document writer presents them.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    total_rows: dict[str, list[int]] = field(default_factory=dict)
    """Per tab, the 0-based data-row indexes that are totals (styled bold by stores)."""
    titles: dict[str, str] = field(default_factory=dict)
    """Per tab, the document title above the table."""
    groups: dict[str, dict[int, str]] = field(default_factory=dict)
    """Per tab, a sub-heading to put before a 0-based data-row index (`Tổng hợp`: per form)."""
    percent_columns: dict[str, list[str]] = field(default_factory=dict)
    """Per tab, columns holding shares (0.75 shown as 75,0%)."""
    state_column: str | None = None
    """The column (of `Tổng hợp`) whose cells are coloured by state."""
    heading: str = ""
    """The organiser, first line of every tab."""
    subtitle: str = ""
    """The campaign's title, under each tab's title."""
    as_of: datetime | None = None
    """When the data were read (naive local time): "Số liệu đến hh:mm dd/mm/yyyy"."""


# --- building the consolidated tables -------------------------------------------------------

SUMMARY_COLUMNS = [
    "Mã đơn vị",
    "Đơn vị",
    "Biểu mẫu",
    "Chỉ tiêu",
    "Số dòng",
    "Số dòng hợp lệ",
    "Số lỗi",
    "Số cảnh báo",
]
SUMMARY_TAIL = ["Trạng thái", "Cập nhật lúc", "Nộp lúc"]
STATE_COLUMN = "Trạng thái"
SUMMARY_TITLE = "TỔNG HỢP TIẾN ĐỘ NỘP DANH SÁCH CỦA CÁC ĐƠN VỊ"
FIX_TITLE = "DANH SÁCH LỖI, CẢNH BÁO CẦN ĐƠN VỊ SỬA"
STATE_TONES = {
    "not_started": "idle",
    "in_progress": "err",
    "valid": "warn",
    "submitted_on_time": "ok",
    "submitted_late": "warn",
    "locked": "err",
}
"""The colour family of each state, shared by the dashboard and the consolidated workbook."""
TONE_RGB = {
    "ok": ("1A6B32", "E3F4E8"),
    "warn": ("7A4B00", "FFF2CC"),
    "err": ("A4161A", "FDE2E2"),
    "idle": ("39424C", "ECEFF2"),
}
"""Tone → (text, background) colours, the dashboard's badge colours."""


def state_tone(label: str) -> str | None:
    """The tone of a state shown by its label (any language), None when unknown."""
    for state in STATES:
        for known in (state_label(state, "vi"), state_label(state, "en")):
            if label == known or label.startswith(known + " ("):  # "… (bổ sung)"
                return STATE_TONES.get(state)
    return None


FIX_COLUMNS = ["Mã đơn vị", "Đơn vị", "Biểu mẫu", "Dòng", "Cột", "Mức độ", "Nội dung"]
SEVERITY_VI = {"error": "Lỗi", "warning": "Cảnh báo"}


def tree_order(campaign: Campaign) -> list[tuple[Unit, int]]:
    """Units depth-first by `parent`, in file order, with their depth."""
    out: list[tuple[Unit, int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for unit in campaign.children(parent):
            out.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return out


def subtree(campaign: Campaign, unit_id: str) -> list[str]:
    ids = [unit_id]
    for child in campaign.children(unit_id):
        ids += subtree(campaign, child.id)
    return ids


def _fmt_time(value: str | None, campaign: Campaign) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(campaign.tz).strftime("%d/%m/%Y %H:%M")


def _local_time(value: str | None, campaign: Campaign) -> datetime | None:
    """An ISO instant as a naive local datetime (a spreadsheet date-time), None if empty."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(campaign.tz).replace(tzinfo=None)


def typed_value(column: Column, value: Any) -> Any:
    """A cell of a form column as a document holds it: numbers, dates, "x" for ticks.

    Accepts normalised values and the display values of official snapshots ("12/03/2020").
    """
    value = display_value(value)
    if value == "" or value is None:
        return None
    if column.type == "date" and isinstance(value, str):
        try:
            return datetime.strptime(value, "%d/%m/%Y").date()
        except ValueError:
            return value
    if column.type in ("integer", "year") and isinstance(value, (int, float, str)):
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    if column.type == "number" and isinstance(value, (int, float, str)):
        try:
            return float(str(value).replace(",", "."))
        except ValueError:
            return value
    return value


def display_value(value: Any) -> Any:
    """A normalised cell value as leadership should read it."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NaT or value is pd.NA:
        return ""
    if hasattr(value, "item") and not isinstance(value, (str, pd.Timestamp)):
        value = value.item()  # numpy scalars (np.True_, np.int64) → Python
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.strftime("%d/%m/%Y")
    if hasattr(value, "item"):
        return value.item()
    return value


def _document_value(column: Column, value: Any) -> Any:
    """Like `typed_value`, but dates stay dates (not the display text)."""
    if value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date()
    if isinstance(value, date):
        return value
    return typed_value(column, value)


def build_consolidated(
    campaign: Campaign,
    result: ValidationResult,
    states: States | None = None,
    now: datetime | None = None,
) -> Consolidated:
    """The three kinds of tabs from a validation result and submission states.

    See docs/design.md, Consolidated output.
    """
    moment = (now or clock.now(campaign.tz)).astimezone(campaign.tz).replace(tzinfo=None)
    out = Consolidated(
        heading=campaign.info.organizer.upper(),
        subtitle=campaign.info.title,
        as_of=moment,
        state_column=STATE_COLUMN,
    )
    labels: list[str] = []
    for s in result.summaries:
        for label in s.shares:
            if label not in labels:
                labels.append(label)
    (
        out.tables[SUMMARY_TAB],
        out.total_rows[SUMMARY_TAB],
        out.groups[SUMMARY_TAB],
    ) = _summary_table(campaign, result, states, labels)
    out.titles[SUMMARY_TAB] = SUMMARY_TITLE
    out.percent_columns[SUMMARY_TAB] = list(labels)
    for form in campaign.forms:
        out.tables[form.tab] = _form_table(campaign, form, result, states)
        out.titles[form.tab] = form.official_title
    out.tables[FIX_TAB] = _fix_table(campaign, result)
    out.titles[FIX_TAB] = FIX_TITLE
    return out


def _summary_table(
    campaign: Campaign, result: ValidationResult, states: States | None, labels: list[str]
) -> tuple[pd.DataFrame, list[int], dict[int, str]]:
    summaries = {(s.unit, s.form): s for s in result.summaries}
    columns = [*SUMMARY_COLUMNS, *labels, *SUMMARY_TAIL]
    rows: list[list[Any]] = []
    totals: list[int] = []
    groups: dict[int, str] = {}
    order = tree_order(campaign)

    def total_row(name: str, form: Form, ids: list[str]) -> list[Any]:
        items = [
            summaries[(u, form.id)]
            for u in ids
            if (u, form.id) in summaries and summaries[(u, form.id)].applicable
        ]
        quotas = [s.quota for s in items if s.quota is not None]
        submitted = sum(1 for s in items if s.submitted)
        return [
            None,
            name,
            form.title,
            sum(quotas) if quotas else None,
            sum(s.rows for s in items),
            sum(s.valid_rows for s in items),
            sum(s.errors for s in items),
            sum(s.warnings for s in items),
            *[None] * len(labels),
            f"{submitted}/{len(items)} đơn vị đã nộp",
            None,
            None,
        ]

    for form in campaign.forms:
        groups[len(rows)] = form.title
        for unit, _depth in order:
            s = summaries.get((unit.id, form.id))
            if s is None or not s.applicable:
                continue
            st = states.get(unit.id, form.id) if states is not None else None
            rows.append(
                [
                    unit.id,
                    unit.name,
                    form.title,
                    s.quota,
                    s.rows,
                    s.valid_rows,
                    s.errors,
                    s.warnings,
                    *[s.shares.get(label) for label in labels],
                    summary_label(s, "vi"),
                    _local_time(st.last_change_at if st else None, campaign),
                    _local_time(st.submitted_at if st else None, campaign),
                ]
            )
        for unit, _depth in order:
            if campaign.children(unit.id):
                totals.append(len(rows))
                rows.append(total_row(f"Cộng: {unit.name}", form, subtree(campaign, unit.id)))
        totals.append(len(rows))
        rows.append(total_row("Tổng cộng", form, [u.id for u, _ in order]))
    return pd.DataFrame(rows, columns=columns, dtype=object), totals, groups


def _form_table(
    campaign: Campaign, form: Form, result: ValidationResult, states: States | None
) -> pd.DataFrame:
    columns = ["Mã đơn vị", "Đơn vị", *form.headers, form.status_header]
    fres = result.forms.get(form.id)
    statuses = build_row_statuses(campaign, form.id, result)
    rows: list[list[Any]] = []
    for unit, _depth in tree_order(campaign):
        st = states.get(unit.id, form.id) if states is not None else None
        live = (
            fres.frame[fres.frame["_unit"] == unit.id]
            if fres is not None and len(fres.frame)
            else pd.DataFrame(columns=["_row", *form.keys])
        )
        if (
            st is not None
            and st.submitted_at
            and st.snapshot is not None
            and st.submitted_hash != st.content_hash
        ):
            when = _fmt_time(st.submitted_at, campaign)
            for values in st.snapshot:
                cells = [typed_value(c, v) for c, v in zip(form.columns, values, strict=False)]
                rows.append([unit.id, unit.name, *cells, f"Bản đã nộp lúc {when}"])
            continue
        prefix = "Đã nộp" if st is not None and st.submitted_at else "Chưa nộp"
        for rec in live[["_row", *form.keys]].itertuples(index=False, name=None):
            row, *values = rec
            status = statuses.get((unit.id, int(row)))
            rows.append(
                [
                    unit.id,
                    unit.name,
                    *[_document_value(c, v) for c, v in zip(form.columns, values, strict=True)],
                    f"{prefix} · {status.text}" if status else prefix,
                ]
            )
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _fix_table(campaign: Campaign, result: ValidationResult) -> pd.DataFrame:
    names = {u.id: u.name for u in campaign.units}
    forms = {f.id: f for f in campaign.forms}
    rows = []
    for rec in result.report.frame.to_dict("records"):
        form = forms.get(str(rec["form"]))
        unit, row, column = str(rec["unit"]), rec["row"], rec["column"]
        rows.append(
            [
                unit,
                names.get(unit, unit),
                form.title if form else rec["form"],
                None if pd.isna(row) else int(row),
                form.header_of(column) if form and isinstance(column, str) else None,
                SEVERITY_VI.get(str(rec["severity"]), rec["severity"]),
                rec["message"],
            ]
        )
    return pd.DataFrame(rows, columns=FIX_COLUMNS, dtype=object)
