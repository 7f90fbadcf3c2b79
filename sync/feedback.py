"""Feedback for a unit's own sheet, built from findings (issue 3 §4).

This module decides *what* to show (texts from the message catalogue, in the campaign's
language); stores decide *how* to write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import i18n
from .rules.engine import STATES

if TYPE_CHECKING:
    from .campaign import Campaign
    from .rules.engine import ValidationResult

SUMMARY_TAB = "Kiểm tra"
GUIDE_TAB = "Hướng dẫn"


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
    state_line: str | None = None
    """The form's state as the unit reads it under the status column's title (None: none)."""


@dataclass
class UnitFeedback:
    """Everything written into one unit's spreadsheet."""

    unit_id: str
    forms: dict[str, FormFeedback] = field(default_factory=dict)
    summary: list[list[Any]] = field(default_factory=list)
    """Rows of the `Kiểm tra` tab, header block included."""


# --- building feedback from a validation result -------------------------------------------

FORM_HEAD = ("form", "quota", "rows", "valid_rows", "errors", "warnings", "due", "state")
"""Columns of the per-form table of the `Kiểm tra` tab (message ids `feedback.form_head.*`)."""
LIST_HEAD = ("form", "row", "column", "severity", "message")
"""Columns of the findings list of the `Kiểm tra` tab (message ids `feedback.list_head.*`)."""

STATUS_MAX_CHARS = 300


def state_label(state: str, language: str = "vi") -> str:
    """The label of a form state in `language` (an unknown state is shown as is)."""
    return i18n.t(f"state.{state}", language) if state in STATES else state


def _get(summary: Any) -> Any:
    """Field access on a `UnitSummary` or a recorded summary dict."""
    if isinstance(summary, dict):
        return summary.get
    return lambda k, d=None: getattr(summary, k, d)


def summary_label(summary: Any, language: str = "vi") -> str:
    """The state as a reader sees it, with what qualifies it: "Đã nộp đúng hạn (gia hạn,
    bổ sung)" — an extended deadline, a correction after the first submission."""
    get = _get(summary)
    state = str(get("state", "not_started"))
    extra = []
    if get("extended", False) and state in ("submitted_on_time", "approved", "returned"):
        extra.append(i18n.t("state.qualifier.extended", language))
    if (get("corrections", 0) or 0) and state in (
        "submitted_on_time",
        "submitted_late",
        "approved",
    ):
        extra.append(i18n.t("state.qualifier.corrected", language))
    label = state_label(state, language)
    return f"{label} ({', '.join(extra)})" if extra else label


def state_notices(summary: Any, language: str = "vi", tz: Any = None) -> list[str]:
    """Sentences a unit must read about its form's official record (returned, changed)."""
    get = _get(summary)
    out = []
    review = get("review") or {}
    if get("state") == "returned" and review.get("decision") == "returned":
        reason = review.get("reason") or ""
        until = review.get("until")
        if until:
            when = datetime.fromisoformat(until)
            when = when.astimezone(tz) if tz is not None else when
            out.append(
                i18n.t(
                    "state.notice.returned_until",
                    language,
                    reason=reason,
                    until=when.strftime("%d/%m/%Y %H:%M"),
                )
            )
        else:
            out.append(i18n.t("state.notice.returned", language, reason=reason))
    if get("changed_since_submit", False):
        out.append(i18n.t("state.notice.changed", language))
    return out


def _stamp(value: Any, tz: Any) -> str:
    """dd/mm/YYYY HH:MM of a datetime or ISO text, in `tz` ("" when unknown)."""
    if not value:
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if tz is not None and when.tzinfo is not None:
        when = when.astimezone(tz)
    return str(when.strftime("%d/%m/%Y %H:%M"))


def sheet_state_line(summary: Any, language: str = "vi", tz: Any = None) -> str | None:
    """One line on the form's state for the unit's own sheet (under the status column's
    title): submitted when, edited since, returned with the reason, approved… (message ids
    `sheet_state.*`). None for a form that does not apply or was not checked."""
    get = _get(summary)
    state = str(get("state", "not_started"))
    if state not in STATES or state == "not_applicable":
        return None
    label = summary_label(summary, language)
    review = get("review") or {}
    changed = bool(get("changed_since_submit", False))
    deadline = get("deadline")
    due = _stamp(deadline.due if deadline is not None else get("due"), tz)

    def text(key: str, **params: Any) -> str:
        return i18n.t(f"sheet_state.{key}", language, **params)

    if state == "returned":
        reason = review.get("reason") or ""
        until = _stamp(review.get("until"), tz)
        return (
            text("returned_until", reason=reason, until=until)
            if until
            else text("returned", reason=reason)
        )
    if state == "approved":
        at = _stamp(review.get("at"), tz)
        return text("approved_changed" if changed else "approved", label=label, at=at)
    if state in ("submitted_on_time", "submitted_late"):
        at = _stamp(get("submitted_at"), tz)
        return text("submitted_changed" if changed else "submitted", label=label, at=at)
    if state == "locked":
        return text("locked", label=label)
    if state == "in_progress":
        return text("in_progress", errors=get("errors", 0), due=due)
    return text(state, due=due)


def state_fields(summary: Any, language: str = "vi", tz: Any = None) -> dict[str, Any]:
    """The state of a unit's form as every view shows it (CLI JSON, API, sidebar, pages)."""
    get = _get(summary)
    return {
        "state": str(get("state", "not_started")),
        "state_label": summary_label(summary, language),
        "changed_since_submit": bool(get("changed_since_submit", False)),
        "review": get("review"),
        "notices": state_notices(summary, language, tz),
    }


def severity_label(severity: str, language: str = "vi") -> str:
    """ "Lỗi" / "Cảnh báo" (or English) for a finding's severity."""
    key = f"severity.{severity}"
    return i18n.t(key, language) if i18n.has(key) else severity


def _row_status(messages: list[tuple[str, str]], lang: str) -> RowStatus:
    errors = [m for sev, m in messages if sev == "error"]
    warnings = [m for sev, m in messages if sev == "warning"]
    if errors:
        head, severity = i18n.t("feedback.errors", lang, count=len(errors)), "error"
    else:
        head, severity = i18n.t("feedback.warnings", lang, count=len(warnings)), "warning"
    body = "; ".join(errors + warnings)
    status = f"{head}: {body}"
    if len(status) > STATUS_MAX_CHARS:
        status = status[: STATUS_MAX_CHARS - 1] + "…"
    return RowStatus(text=status, severity=severity)


def build_row_statuses(
    campaign: Campaign, form_id: str, result: ValidationResult, unit_id: str | None = None
) -> dict[tuple[str, int], RowStatus]:
    """Status-column text for every data row of a form, keyed by (unit, sheet row)."""
    lang = campaign.language
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
    ok = RowStatus(i18n.t("feedback.ok", lang), None)
    out = {}
    for unit, row in zip(frame["_unit"], frame["_row"], strict=True):
        key = (unit, int(row))
        msgs = per_row.get(key)
        out[key] = _row_status(msgs, lang) if msgs else ok
    return out


def build_feedback(campaign: Campaign, unit_id: str, result: ValidationResult) -> UnitFeedback:
    """Status per data row, a note per wrong cell, and the `Kiểm tra` summary for one unit."""
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
    for s in result.summaries:
        if s.unit == unit_id and s.form in feedback.forms:
            feedback.forms[s.form].state_line = sheet_state_line(s, campaign.language, campaign.tz)
    feedback.summary = _summary(campaign, unit.name, unit_id, result, unit_findings)
    return feedback


def _summary(
    campaign: Campaign,
    unit_name: str,
    unit_id: str,
    result: ValidationResult,
    findings: pd.DataFrame,
) -> list[list[Any]]:
    tz = campaign.tz
    lang = campaign.language
    out: list[list[Any]] = [
        [i18n.t("feedback.title", lang, unit=unit_name)],
        [i18n.t("feedback.campaign", lang, title=campaign.info.title)],
        [],
        [i18n.t(f"feedback.form_head.{key}", lang) for key in FORM_HEAD],
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
                summary_label(s, lang),
            ]
        )
        notices += [[form.title, line] for line in state_notices(s, lang, tz)]
        for label, share in s.shares.items():
            if share is not None:
                share_lines.append([form.title, label, f"{share * 100:.1f} %".replace(".", ",")])
    if notices:
        out += [[], [i18n.t("feedback.notices", lang)], *notices]
    if share_lines:
        out += [[], [i18n.t("feedback.shares", lang)], *share_lines]
    out += [[], [i18n.t("feedback.findings", lang)]]
    if findings.empty:
        out.append([i18n.t("feedback.no_findings", lang)])
        return out
    out.append([i18n.t(f"feedback.list_head.{key}", lang) for key in LIST_HEAD])
    forms = {f.id: f for f in campaign.forms}
    for rec in findings.to_dict("records"):
        found = forms.get(str(rec["form"]))
        row = rec["row"]
        out.append(
            [
                found.title if found else rec["form"],
                "" if pd.isna(row) else int(row),
                found.header_of(rec["column"]) if found and isinstance(rec["column"], str) else "",
                severity_label(str(rec["severity"]), lang),
                rec["message"],
            ]
        )
    return out
