"""The rules engine: validate every form of a campaign on pandas DataFrames (vectorised).

Input per form: one DataFrame for all units with `_unit`, `_row` and the form's column keys
holding raw cell values. Each column is normalised once (unique values only), every rule
kind runs in its own module, and findings come back as one `Report` plus per-form
normalised frames and per-(unit, form) summaries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from ..campaign.campaign import Campaign, Deadline, Form
from ..normalize import normalize_column
from . import columns, deadline
from .base import FormContext, Reference
from .deadline import UnitTimes
from .findings import FINDING_COLUMNS, Finding, Report
from .registry import KINDS

STATES = (  # the form states (docs/design.md); labels: message ids `state.<state>`
    "not_applicable",
    "not_started",
    "in_progress",
    "valid",
    "submitted_on_time",
    "submitted_late",
    "returned",
    "approved",
    "locked",
)


@dataclass
class UnitSummary:
    """One (unit, form): counts, shares and submission state."""

    unit: str
    form: str
    quota: int | None
    rows: int
    valid_rows: int
    errors: int
    warnings: int
    shares: dict[str, float | None]
    state: str
    changed_since_submit: bool = False
    extended: bool = False
    """The unit's deadline was extended by the organiser (on time = "đúng hạn (gia hạn)")."""
    corrections: int = 0
    """Submissions after the first (*bổ sung*); timeliness stays that of the first."""
    on_time: bool | None = None
    """First submission met the unit's deadline (None: never submitted)."""
    review: dict[str, Any] | None = None
    """The last review: {decision, reason, by, at} (None: not reviewed)."""
    deadline: Deadline | None = None
    """The unit's own deadline (override, extension, return)."""
    submitted_at: datetime | None = None
    """The latest submission: when the official snapshot was frozen (None: never)."""

    @property
    def applicable(self) -> bool:
        return self.state != "not_applicable"

    @property
    def submitted(self) -> bool:
        """Has an official submission that stands (returned ones are sent back)."""
        return self.state in ("submitted_on_time", "submitted_late", "approved")

    def as_record(self) -> dict[str, Any]:
        """JSON-safe fields kept in the audit database (the last check of a unit's form)."""
        return {
            "quota": self.quota,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "errors": self.errors,
            "warnings": self.warnings,
            "state": self.state,
            "shares": {k: _plain(v) for k, v in self.shares.items()},
            "changed_since_submit": self.changed_since_submit,
            "extended": self.extended,
            "corrections": self.corrections,
            "on_time": self.on_time,
            "review": self.review,
            "due": self.deadline.due.isoformat() if self.deadline is not None else None,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
        }


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


@dataclass
class FormResult:
    """A form's normalised rows (`_unit`, `_row`, typed keys, `_errors`, `_warnings`) and findings."""

    form: Form
    frame: pd.DataFrame
    report: Report


@dataclass
class ValidationResult:
    report: Report
    forms: dict[str, FormResult]
    summaries: list[UnitSummary]
    keys: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    """form → unit → keys of campaign-wide unique rules seen in this pass."""

    def summary(self, unit: str, form: str) -> UnitSummary:
        for s in self.summaries:
            if s.unit == unit and s.form == form:
                return s
        raise KeyError((unit, form))


def _unit_order(campaign: Campaign, units: Collection[str] | None) -> list[str]:
    known = [u.id for u in campaign.units]
    if units is None:
        return known
    wanted = set(units)
    extra = sorted(wanted - set(known))
    return [u for u in known if u in wanted] + extra


def build_context(
    campaign: Campaign, form: Form, frame: pd.DataFrame | None, unit_order: list[str]
) -> FormContext:
    """Normalise one form's raw rows."""
    if frame is None:
        frame = pd.DataFrame({"_unit": [], "_row": []})
    n = len(frame)
    unit_ids = (
        frame["_unit"].to_numpy(dtype=object) if "_unit" in frame else np.full(n, "", dtype=object)
    )
    if "_row" in frame:
        rows = pd.to_numeric(frame["_row"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    else:
        rows = np.arange(form.header_row + 1, form.header_row + 1 + n, dtype=np.int64)
    ucodes, uniq = pd.factorize(unit_ids)
    index = {u: i for i, u in enumerate(unit_order)}
    lookup = np.array([index.get(str(u), -1) for u in uniq] + [-1], dtype=np.int64)
    unit_codes = lookup[ucodes] if n else np.zeros(0, dtype=np.int64)
    unit_ids = np.asarray(uniq, dtype=object)[ucodes] if n else unit_ids
    normalized = {
        col.key: normalize_column(
            frame.get(col.key),
            col.key,
            col.type,
            choices=col.choices,
            low=col.min,
            high=col.max,
            pattern=col.pattern,
            length=n,
        )
        for col in form.columns
    }
    evaluated = unit_codes >= 0
    per_unit = np.bincount(unit_codes[evaluated], minlength=len(unit_order))
    return FormContext(
        campaign=campaign,
        form=form,
        columns=normalized,
        unit_ids=unit_ids,
        rows=rows,
        evaluated=evaluated,
        units=unit_order,
        counts={u: int(per_unit[i]) for i, u in enumerate(unit_order)},
        unit_codes=unit_codes,
    )


def validate(
    campaign: Campaign,
    data: Mapping[str, pd.DataFrame],
    *,
    now: datetime,
    times: Mapping[tuple[str, str], UnitTimes] | None = None,
    units: Collection[str] | None = None,
    extra: Iterable[Finding] = (),
    official: Mapping[str, tuple[pd.DataFrame, Mapping[str, tuple[str, str]]]] | None = None,
    claims: Mapping[str, Mapping[str, Mapping[str, tuple[float, bool]]]] | None = None,
) -> ValidationResult:
    """Validate all forms for `units` (default: every unit of the campaign).

    `official`: per form id, the rows that count on the official record (and per unit which
    version), for cross-form rules; `claims`: per form id, when each campaign-wide unique key
    was first seen per unit and whether it is in that unit's submitted snapshot.
    """
    order = _unit_order(campaign, units)
    times = times or {}
    tz = campaign.tz
    contexts = {
        f.id: build_context(campaign, f, data.get(f.id), [u for u in order if f.applies(u)])
        for f in campaign.forms
    }
    references = {
        form_id: Reference(
            build_context(campaign, campaign.form(form_id), frame, [u.id for u in campaign.units]),
            versions,
        )
        for form_id, (frame, versions) in (official or {}).items()
    }
    for ctx in contexts.values():
        ctx.others = contexts
        ctx.official = references
        ctx.claims = (claims or {}).get(ctx.form.id, {})
    extras: dict[str | None, list[Finding]] = {}
    for finding in extra:
        key = finding.form if finding.form in contexts else None
        extras.setdefault(key, []).append(finding)

    results: dict[str, FormResult] = {}
    all_parts: list[pd.DataFrame | Finding] = []
    summaries: dict[tuple[str, str], UnitSummary] = {}
    for form in campaign.forms:
        ctx = contexts[form.id]
        parts = columns.check(ctx)
        for rule in form.rules:
            parts.extend(KINDS[rule.kind].check(ctx, rule))
        items = []
        for unit in ctx.units:
            items += deadline.findings(
                form, unit, ctx.counts[unit], times.get((unit, form.id)), now, tz, campaign.language
            )
        if items:
            parts.append(ctx.unit_findings(items))
        form_extra = extras.get(form.id, [])
        own_extra = [f for f in form_extra if f.unit in ctx.counts]
        all_parts.extend(f for f in form_extra if f.unit not in ctx.counts)
        if own_extra:
            parts.append(_extra_frame(ctx, own_extra))
        found = pd.concat(parts, ignore_index=True) if parts else ctx.unit_findings([])
        result = _form_result(ctx, found)
        results[form.id] = result
        all_parts.append(result.report.frame)
        for s in _summaries(ctx, found, result.frame, times, now):
            summaries[(s.unit, s.form)] = s
    all_parts.extend(extras.get(None, []))
    ordered = [
        summaries.get((u, f.id)) or _not_applicable(u, f.id) for u in order for f in campaign.forms
    ]
    only = all_parts[0] if len(all_parts) == 1 else None
    return ValidationResult(
        report=Report.of_sorted(only) if isinstance(only, pd.DataFrame) else Report(all_parts),
        forms=results,
        summaries=ordered,
        keys={f: ctx.keys for f, ctx in contexts.items() if ctx.keys},
    )


def _not_applicable(unit: str, form: str) -> UnitSummary:
    return UnitSummary(unit, form, None, 0, 0, 0, 0, {}, "not_applicable")


def _extra_frame(ctx: FormContext, findings: list[Finding]) -> pd.DataFrame:
    """Findings from elsewhere, with `_pos` looked up from (unit, row)."""
    lookup: dict[tuple[str, int], int] = {}
    if any(f.row is not None for f in findings):
        lookup = {
            (str(u), int(r)): i for i, (u, r) in enumerate(zip(ctx.unit_ids, ctx.rows, strict=True))
        }
    records = [
        (
            f.unit,
            f.form,
            f.row,
            f.column,
            f.code,
            f.severity,
            f.message,
            f.value,
            -1 if f.row is None else lookup.get((f.unit, f.row), -1),
        )
        for f in findings
    ]
    frame = pd.DataFrame.from_records(records, columns=[*FINDING_COLUMNS, "_pos"])
    return frame.astype({c: object for c in FINDING_COLUMNS})


def _form_result(ctx: FormContext, found: pd.DataFrame) -> FormResult:
    pos = found["_pos"].to_numpy(dtype=np.int64)
    is_error = (found["severity"] == "error").to_numpy()
    at_row = pos >= 0
    errors = np.bincount(pos[at_row & is_error], minlength=ctx.size)
    warnings = np.bincount(pos[at_row & ~is_error], minlength=ctx.size)
    data: dict[str, Any] = {"_unit": ctx.unit_ids, "_row": ctx.rows}
    for col in ctx.form.columns:
        data[col.key] = ctx.columns[col.key].typed()
    data["_errors"] = errors
    data["_warnings"] = warnings
    frame = pd.DataFrame(data)
    if not ctx.evaluated.all():
        frame = frame[ctx.evaluated].reset_index(drop=True)
    report = Report([found[FINDING_COLUMNS]])
    return FormResult(form=ctx.form, frame=frame, report=report)


def _summaries(
    ctx: FormContext,
    found: pd.DataFrame,
    frame: pd.DataFrame,
    times: Mapping[tuple[str, str], UnitTimes],
    now: datetime,
) -> list[UnitSummary]:
    index = {u: i for i, u in enumerate(ctx.units)}
    n_units = len(ctx.units)
    fu = found["unit"].map(index).fillna(-1).to_numpy(dtype=np.int64)
    sev = (found["severity"] == "error").to_numpy()
    ok = fu >= 0
    errors = np.bincount(fu[ok & sev], minlength=n_units)
    warnings = np.bincount(fu[ok & ~sev], minlength=n_units)
    clean = np.zeros(ctx.size, dtype=bool)
    clean[ctx.evaluated] = frame["_errors"].to_numpy() == 0
    valid_rows = ctx.per_unit(clean)
    share_values = _shares(ctx)
    out = []
    for i, unit in enumerate(ctx.units):
        t = times.get((unit, ctx.form.id))
        rows = ctx.counts[unit]
        out.append(
            UnitSummary(
                unit=unit,
                form=ctx.form.id,
                quota=ctx.quota(unit),
                rows=rows,
                valid_rows=int(valid_rows[i]),
                errors=int(errors[i]),
                warnings=int(warnings[i]),
                shares={label: values[i] for label, values in share_values.items()},
                state=deadline.state(ctx.form, rows, int(errors[i]), t, now, ctx.campaign.tz, unit),
                changed_since_submit=bool(t and t.changed_since_submit),
                extended=deadline.deadline_of(ctx.form, unit, t).extended,
                corrections=t.corrections if t is not None else 0,
                on_time=deadline.on_time(ctx.form, unit, t, ctx.campaign.tz),
                review=t.review_info if t is not None else None,
                deadline=deadline.deadline_of(ctx.form, unit, t),
                submitted_at=t.last_submitted_at if t is not None else None,
            )
        )
    return out


def _shares(ctx: FormContext) -> dict[str, list[float | None]]:
    """label → value per unit (None when the unit has no rows / no base), for the rule kinds
    that declare a share (min_share, max_share, max_ratio…)."""
    out: dict[str, list[float | None]] = {}
    for rule in ctx.form.rules:
        share = KINDS[rule.kind].share
        if share is not None:
            title, values = share(ctx, rule)
            out[title] = values
    return out


__all__ = [
    "STATES",
    "FormResult",
    "UnitSummary",
    "UnitTimes",
    "ValidationResult",
    "build_context",
    "validate",
]
