"""Consolidated output (DESIGN §8): tables built here, written by a store."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from .feedback import state_label

if TYPE_CHECKING:
    from .campaign import Campaign, Form, Unit
    from .form_state import States
    from .rules.engine import ValidationResult

SUMMARY_TAB = "Tổng hợp"
FIX_TAB = "Cần sửa"


@dataclass
class Consolidated:
    """Tabs in order: `Tổng hợp`, one per form (named after its tab), `Cần sửa`."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    total_rows: dict[str, list[int]] = field(default_factory=dict)
    """Per tab, the 0-based data-row indexes that are totals (styled bold by stores)."""


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


def display_value(value: Any) -> Any:
    """A normalised cell value as leadership should read it."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.strftime("%d/%m/%Y")
    if hasattr(value, "item"):
        return value.item()
    return value


def build_consolidated(
    campaign: Campaign, result: ValidationResult, states: States | None = None
) -> Consolidated:
    """The three kinds of tabs of DESIGN §8 from a validation result and submission states."""
    out = Consolidated()
    labels: list[str] = []
    for s in result.summaries:
        for label in s.shares:
            if label not in labels:
                labels.append(label)
    out.tables[SUMMARY_TAB], out.total_rows[SUMMARY_TAB] = _summary_table(
        campaign, result, states, labels
    )
    for form in campaign.forms:
        out.tables[form.tab] = _form_table(campaign, form, result, states)
    out.tables[FIX_TAB] = _fix_table(campaign, result)
    return out


def _summary_table(
    campaign: Campaign, result: ValidationResult, states: States | None, labels: list[str]
) -> tuple[pd.DataFrame, list[int]]:
    summaries = {(s.unit, s.form): s for s in result.summaries}
    columns = [*SUMMARY_COLUMNS, *labels, *SUMMARY_TAIL]
    rows: list[list[Any]] = []
    totals: list[int] = []
    order = tree_order(campaign)

    def total_row(name: str, form: Form, ids: list[str]) -> list[Any]:
        items = [summaries[(u, form.id)] for u in ids if (u, form.id) in summaries]
        quotas = [s.quota for s in items if s.quota is not None]
        submitted = sum(1 for s in items if s.state.startswith("submitted"))
        return [
            "",
            name,
            form.title,
            sum(quotas) if quotas else "",
            sum(s.rows for s in items),
            sum(s.valid_rows for s in items),
            sum(s.errors for s in items),
            sum(s.warnings for s in items),
            *[""] * len(labels),
            f"{submitted}/{len(items)} đơn vị đã nộp",
            "",
            "",
        ]

    for form in campaign.forms:
        for unit, _depth in order:
            s = summaries.get((unit.id, form.id))
            if s is None:
                continue
            st = states.get(unit.id, form.id) if states is not None else None
            rows.append(
                [
                    unit.id,
                    unit.name,
                    form.title,
                    "" if s.quota is None else s.quota,
                    s.rows,
                    s.valid_rows,
                    s.errors,
                    s.warnings,
                    *[_pct(s.shares.get(label)) for label in labels],
                    state_label(s.state, "vi"),
                    _fmt_time(st.last_change_at if st else None, campaign),
                    _fmt_time(st.submitted_at if st else None, campaign),
                ]
            )
        for unit, _depth in order:
            if campaign.children(unit.id):
                totals.append(len(rows))
                rows.append(total_row(f"Cộng: {unit.name}", form, subtree(campaign, unit.id)))
        totals.append(len(rows))
        rows.append(total_row("Tổng cộng", form, [u.id for u, _ in order]))
    return pd.DataFrame(rows, columns=columns), totals


def _pct(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f} %".replace(".", ",")


def _form_table(
    campaign: Campaign, form: Form, result: ValidationResult, states: States | None
) -> pd.DataFrame:
    from .feedback import build_row_statuses

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
                rows.append([unit.id, unit.name, *values, f"Bản đã nộp lúc {when}"])
            continue
        prefix = "Đã nộp" if st is not None and st.submitted_at else "Chưa nộp"
        for rec in live[["_row", *form.keys]].itertuples(index=False, name=None):
            row, *values = rec
            status = statuses.get((unit.id, int(row)))
            rows.append(
                [
                    unit.id,
                    unit.name,
                    *[display_value(v) for v in values],
                    f"{prefix} · {status.text}" if status else prefix,
                ]
            )
    return pd.DataFrame(rows, columns=columns)


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
                "" if pd.isna(row) else int(row),
                form.header_of(column) if form and isinstance(column, str) else "",
                SEVERITY_VI.get(str(rec["severity"]), rec["severity"]),
                rec["message"],
            ]
        )
    return pd.DataFrame(rows, columns=FIX_COLUMNS)
