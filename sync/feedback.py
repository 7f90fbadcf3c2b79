"""Feedback for a unit's own sheet, built from findings (DESIGN §5, issue 3 §4).

This module decides *what* to show; stores decide *how* to write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .campaign import Campaign
    from .rules.engine import ValidationResult

SUMMARY_TAB = "Kiểm tra"
GUIDE_TAB = "Hướng dẫn"
OK_STATUS = "✓ Hợp lệ"


@dataclass(frozen=True)
class CellNote:
    """A note on one wrong cell (row = sheet row, column = column key)."""

    row: int
    column: str
    severity: str
    text: str


@dataclass(frozen=True)
class RowStatus:
    """The status-column text of one data row and its severity (None when valid)."""

    text: str
    severity: str | None = None


@dataclass
class FormFeedback:
    """Everything written into one form's tab."""

    form_id: str
    status: dict[int, RowStatus] = field(default_factory=dict)
    notes: list[CellNote] = field(default_factory=list)


@dataclass
class UnitFeedback:
    """Everything written into one unit's spreadsheet."""

    unit_id: str
    forms: dict[str, FormFeedback] = field(default_factory=dict)
    summary: list[list[Any]] = field(default_factory=list)
    """Rows of the `Kiểm tra` tab, header block included."""


# --- building feedback from a validation result -------------------------------------------

_TEXT = {
    "vi": {
        "ok": OK_STATUS,
        "errors": "✗ {n} lỗi",
        "warnings": "⚠ {n} cảnh báo",
        "title": "KẾT QUẢ KIỂM TRA — {unit}",
        "campaign": "Đợt: {title}",
        "form_head": [
            "Biểu mẫu",
            "Chỉ tiêu",
            "Số dòng",
            "Số dòng hợp lệ",
            "Số lỗi",
            "Số cảnh báo",
            "Hạn nộp",
            "Trạng thái",
        ],
        "shares": "Tỷ lệ",
        "list_head": ["Biểu mẫu", "Dòng", "Cột", "Mức độ", "Nội dung"],
        "no_findings": "Không có lỗi nào. Cảm ơn đơn vị!",
        "error": "Lỗi",
        "warning": "Cảnh báo",
        "findings": "Danh sách cần sửa",
        "notices": "Bản chính thức",
    },
    "en": {
        "ok": "✓ Valid",
        "errors": "✗ {n} errors",
        "warnings": "⚠ {n} warnings",
        "title": "CHECK RESULTS — {unit}",
        "campaign": "Campaign: {title}",
        "form_head": [
            "Form",
            "Quota",
            "Rows",
            "Valid rows",
            "Errors",
            "Warnings",
            "Due",
            "State",
        ],
        "shares": "Shares",
        "list_head": ["Form", "Row", "Column", "Severity", "Message"],
        "no_findings": "No problems found. Thank you!",
        "error": "Error",
        "warning": "Warning",
        "findings": "To fix",
        "notices": "Official record",
    },
}

STATE_LABELS = {
    "vi": {
        "not_applicable": "Không áp dụng",
        "not_started": "Chưa nhập",
        "in_progress": "Đang nhập, còn lỗi",
        "valid": "Hợp lệ, chưa nộp",
        "submitted_on_time": "Đã nộp đúng hạn",
        "submitted_late": "Đã nộp trễ hạn",
        "returned": "Bị trả lại để sửa",
        "approved": "Đã duyệt",
        "locked": "Đã khoá sổ, chưa nộp",
    },
    "en": {
        "not_applicable": "Not applicable",
        "not_started": "Not started",
        "in_progress": "In progress, has errors",
        "valid": "Valid, not submitted",
        "submitted_on_time": "Submitted on time",
        "submitted_late": "Submitted late",
        "returned": "Returned for correction",
        "approved": "Approved",
        "locked": "Locked, not submitted",
    },
}

_QUALIFIERS = {
    "vi": {
        "extended": "gia hạn",
        "corrected": "bổ sung",
        "changed": "Bảng đã thay đổi sau khi nộp: nộp lại để cập nhật bản chính thức",
        "returned": "Ban tổ chức trả lại để sửa: {reason}",
        "returned_until": "Ban tổ chức trả lại để sửa: {reason} (sửa và nộp lại trước {until})",
        "approved": "Đã được duyệt",
    },
    "en": {
        "extended": "extended",
        "corrected": "corrected",
        "changed": "The sheet changed after submission: submit again to update the official copy",
        "returned": "Returned by the organiser for correction: {reason}",
        "returned_until": "Returned by the organiser for correction: {reason} (fix and submit again by {until})",
        "approved": "Approved",
    },
}

STATUS_MAX_CHARS = 300


def text(language: str) -> dict[str, Any]:
    return _TEXT.get(language, _TEXT["vi"])


def state_label(
    state: str, language: str = "vi", *, extended: bool = False, corrections: int = 0
) -> str:
    """The state as a reader sees it: "Đã nộp đúng hạn (gia hạn, bổ sung)"."""
    label = STATE_LABELS.get(language, STATE_LABELS["vi"]).get(state, state)
    q = _QUALIFIERS.get(language, _QUALIFIERS["vi"])
    extra = []
    if extended and state in ("submitted_on_time", "approved", "returned"):
        extra.append(q["extended"])
    if corrections and state in ("submitted_on_time", "submitted_late", "approved"):
        extra.append(q["corrected"])
    return f"{label} ({', '.join(extra)})" if extra else label


def summary_label(summary: Any, language: str = "vi") -> str:
    """`state_label` of a `UnitSummary` (or a recorded summary dict)."""
    get = summary.get if isinstance(summary, dict) else lambda k, d=None: getattr(summary, k, d)
    return state_label(
        str(get("state", "not_started")),
        language,
        extended=bool(get("extended", False)),
        corrections=int(get("corrections", 0) or 0),
    )


def state_fields(summary: Any, language: str = "vi", tz: Any = None) -> dict[str, Any]:
    """The state of a unit's form as every view shows it (CLI JSON, API, sidebar, pages)."""
    get = summary.get if isinstance(summary, dict) else lambda k, d=None: getattr(summary, k, d)
    return {
        "state": str(get("state", "not_started")),
        "state_label": summary_label(summary, language),
        "changed_since_submit": bool(get("changed_since_submit", False)),
        "review": get("review"),
        "notices": state_notices(summary, language, tz),
    }


def state_notices(summary: Any, language: str = "vi", tz: Any = None) -> list[str]:
    """Sentences a unit must read about its form's official record (changed, returned…)."""
    get = summary.get if isinstance(summary, dict) else lambda k, d=None: getattr(summary, k, d)
    q = _QUALIFIERS.get(language, _QUALIFIERS["vi"])
    out = []
    review = get("review") or {}
    if get("state") == "returned" and review.get("decision") == "returned":
        until = review.get("until")
        if until:
            when = datetime.fromisoformat(until)
            if tz is not None:
                when = when.astimezone(tz)
            out.append(
                q["returned_until"].format(
                    reason=review.get("reason") or "", until=when.strftime("%d/%m/%Y %H:%M")
                )
            )
        else:
            out.append(q["returned"].format(reason=review.get("reason") or ""))
    if get("changed_since_submit"):
        out.append(q["changed"])
    return out


def _row_status(messages: list[tuple[str, str]], t: dict[str, Any]) -> RowStatus:
    errors = [m for sev, m in messages if sev == "error"]
    warnings = [m for sev, m in messages if sev == "warning"]
    if errors:
        head, severity = t["errors"].format(n=len(errors)), "error"
    else:
        head, severity = t["warnings"].format(n=len(warnings)), "warning"
    body = "; ".join(errors + warnings)
    status = f"{head}: {body}"
    if len(status) > STATUS_MAX_CHARS:
        status = status[: STATUS_MAX_CHARS - 1] + "…"
    return RowStatus(text=status, severity=severity)


def build_row_statuses(
    campaign: Campaign, form_id: str, result: ValidationResult, unit_id: str | None = None
) -> dict[tuple[str, int], RowStatus]:
    """Status-column text for every data row of a form, keyed by (unit, sheet row)."""
    t = text(campaign.language)
    fres = result.forms.get(form_id)
    if fres is None or not len(fres.frame):
        return {}
    frame = fres.frame
    if unit_id is not None:
        frame = frame[frame["_unit"] == unit_id]
    report = result.report.frame
    found = report[(report["form"] == form_id) & report["row"].notna()]
    if unit_id is not None:
        found = found[found["unit"] == unit_id]
    per_row: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for unit, row, severity, message in zip(
        found["unit"], found["row"], found["severity"], found["message"], strict=True
    ):
        per_row.setdefault((unit, int(row)), []).append((severity, str(message)))
    ok = RowStatus(t["ok"], None)
    out = {}
    for unit, row in zip(frame["_unit"], frame["_row"], strict=True):
        key = (unit, int(row))
        msgs = per_row.get(key)
        out[key] = _row_status(msgs, t) if msgs else ok
    return out


def build_feedback(campaign: Campaign, unit_id: str, result: ValidationResult) -> UnitFeedback:
    """Status per data row, a note per wrong cell, and the `Kiểm tra` summary for one unit."""
    t = text(campaign.language)
    unit = campaign.unit(unit_id)
    feedback = UnitFeedback(unit_id=unit_id)
    report = result.report.frame
    unit_findings = report[report["unit"] == unit_id]
    for form in campaign.forms_for(unit_id):
        form_fb = FormFeedback(form_id=form.id)
        for (_unit, row), status in build_row_statuses(campaign, form.id, result, unit_id).items():
            form_fb.status[row] = status
        found = unit_findings[
            (unit_findings["form"] == form.id)
            & unit_findings["row"].notna()
            & unit_findings["column"].notna()
        ]
        per_cell: dict[tuple[int, str], list[tuple[str, str]]] = {}
        for row, column, severity, message in zip(
            found["row"], found["column"], found["severity"], found["message"], strict=True
        ):
            per_cell.setdefault((int(row), str(column)), []).append((severity, str(message)))
        for (row, column), msgs in sorted(per_cell.items()):
            severity = "error" if any(s == "error" for s, _ in msgs) else "warning"
            form_fb.notes.append(CellNote(row, column, severity, "\n".join(m for _, m in msgs)))
        feedback.forms[form.id] = form_fb
    feedback.summary = _summary(campaign, unit.name, unit_id, result, unit_findings, t)
    return feedback


def _summary(
    campaign: Campaign,
    unit_name: str,
    unit_id: str,
    result: ValidationResult,
    findings: pd.DataFrame,
    t: dict[str, Any],
) -> list[list[Any]]:
    tz = campaign.tz
    out: list[list[Any]] = [
        [t["title"].format(unit=unit_name)],
        [t["campaign"].format(title=campaign.info.title)],
        [],
        list(t["form_head"]),
    ]
    summaries = {(s.unit, s.form): s for s in result.summaries}
    share_lines: list[list[Any]] = []
    notices: list[list[Any]] = []
    for form in campaign.forms_for(unit_id):
        s = summaries.get((unit_id, form.id))
        if s is None:
            continue
        deadline = s.deadline if s.deadline is not None else form.deadline_for(unit_id)
        due = deadline.due.astimezone(tz).strftime("%d/%m/%Y %H:%M")
        out.append(
            [
                form.title,
                "" if s.quota is None else s.quota,
                s.rows,
                s.valid_rows,
                s.errors,
                s.warnings,
                due,
                summary_label(s, campaign.language),
            ]
        )
        notices += [[form.title, line] for line in state_notices(s, campaign.language, tz)]
        for label, share in s.shares.items():
            if share is not None:
                share_lines.append([form.title, label, f"{share * 100:.1f} %".replace(".", ",")])
    if notices:
        out += [[], [t["notices"]], *notices]
    if share_lines:
        out += [[], [t["shares"]], *share_lines]
    out += [[], [t["findings"]]]
    if findings.empty:
        out.append([t["no_findings"]])
        return out
    out.append(list(t["list_head"]))
    forms = {f.id: f for f in campaign.forms}
    for rec in findings.to_dict("records"):
        found = forms.get(str(rec["form"]))
        row = rec["row"]
        out.append(
            [
                found.title if found else rec["form"],
                "" if pd.isna(row) else int(row),
                found.header_of(rec["column"]) if found and isinstance(rec["column"], str) else "",
                t.get(str(rec["severity"]), rec["severity"]),
                rec["message"],
            ]
        )
    return out
