"""What the dashboard shows (DESIGN §7), assembled from the last recorded checks.

Pure functions over the campaign and `sync.audit.campaign_statuses` (no sheet reads):
per form the units in tree order with a subtotal row per parent and an overall total, the
completeness / timeliness roll-up (`sync.progress.progress`) and the deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from sync import i18n
from sync.audit import FormStatus, RecordedFinding
from sync.consolidate import STATE_TONES, subtree, tree_order
from sync.feedback import state_label
from sync.progress import Progress, progress
from sync.rules.engine import UnitSummary

from .formats import fmt_time
from .web import page_language

if TYPE_CHECKING:
    from sync.campaign import Campaign, Form

Checks = dict[tuple[str, str], FormStatus]

BADGES = {**STATE_TONES, "unchecked": "idle"}
"""Badge class per state: the colours of the consolidated workbook's state cells."""


def state_text(state: str) -> str:
    """The state as organisers read it, in the page's language (`unchecked`: never checked)."""
    if state == "unchecked":
        return i18n.t("state.unchecked", page_language())
    return state_label(state, page_language())


def fmt_pct(share: float | None) -> str:
    """0.3333 → "33,3 %" (Vietnamese decimal comma); None → ""."""
    return "" if share is None else f"{share * 100:.1f} %".replace(".", ",")


@dataclass
class Row:
    """One line of a form's units table: a unit, a parent's subtotal or the overall total."""

    kind: str  # unit | group | total
    unit_id: str
    name: str
    depth: int
    quota: int | None
    rows: int
    valid_rows: int
    errors: int
    warnings: int
    shares: list[str]
    state: str  # a state key for units; "" for totals
    state_label: str
    badge: str
    last_change: str = ""
    submitted_at: str = ""
    timeliness: str = ""  # Đúng hạn | Trễ hạn | Quá hạn, chưa nộp | "" (units); counts (totals)
    timeliness_class: str = ""

    @property
    def checked(self) -> bool:
        return self.state != "unchecked"


@dataclass
class FormView:
    """Everything the dashboard shows for one form."""

    form: Form
    due: str
    due_iso: str
    grace_end: str
    has_grace: bool
    lock: bool
    past_due: bool
    share_labels: list[str]
    rows: list[Row]
    progress: list[Progress]
    unchecked: int = 0
    totals: dict[str, int] = field(default_factory=dict)


def summaries(campaign: Campaign, checks: Checks) -> list[UnitSummary]:
    """The recorded summaries (units never checked count as not started)."""
    return [
        checks[(unit.id, form.id)].summary()
        for unit in campaign.units
        for form in campaign.forms
        if (unit.id, form.id) in checks
    ]


def _timeliness(state: str, past_due: bool) -> tuple[str, str]:
    if state == "submitted_on_time":
        return _("Đúng hạn"), "ok"
    if state == "submitted_late":
        return _("Trễ hạn"), "late"
    if past_due:
        return _("Quá hạn, chưa nộp"), "late"
    return "", ""


def form_view(campaign: Campaign, form: Form, checks: Checks, now: datetime) -> FormView:
    """The units table of one form, rolled up by parent, with its progress."""
    items = {s.unit: s for s in summaries(campaign, checks) if s.form == form.id}
    labels: list[str] = []
    for s in items.values():
        for label in s.shares:
            if label not in labels:
                labels.append(label)
    past_due = now > form.due
    rows: list[Row] = []
    unchecked = 0

    def unit_row(unit_id: str, name: str, depth: int) -> Row:
        nonlocal unchecked
        s = items[unit_id]
        check = checks[(unit_id, form.id)]
        state = s.state if check.checked else "unchecked"
        unchecked += state == "unchecked"
        when, cls = _timeliness(state, past_due)
        return Row(
            kind="unit",
            unit_id=unit_id,
            name=name,
            depth=depth,
            quota=s.quota,
            rows=s.rows,
            valid_rows=s.valid_rows,
            errors=s.errors,
            warnings=s.warnings,
            shares=[fmt_pct(s.shares.get(label)) for label in labels],
            state=state,
            state_label=state_text(state),
            badge=BADGES.get(state, "idle"),
            last_change=fmt_time(check.last_change_at, campaign),
            submitted_at=fmt_time(check.submitted_at, campaign),
            timeliness=when,
            timeliness_class=cls,
        )

    def total_row(kind: str, unit_id: str, name: str, depth: int, ids: list[str]) -> Row:
        group = [items[u] for u in ids if u in items]
        quotas = [s.quota for s in group if s.quota is not None]
        on_time = sum(1 for s in group if s.state == "submitted_on_time")
        late = sum(1 for s in group if s.state == "submitted_late")
        return Row(
            kind=kind,
            unit_id=unit_id,
            name=name,
            depth=depth,
            quota=sum(quotas) if quotas else None,
            rows=sum(s.rows for s in group),
            valid_rows=sum(s.valid_rows for s in group),
            errors=sum(s.errors for s in group),
            warnings=sum(s.warnings for s in group),
            shares=[""] * len(labels),
            state="",
            state_label=_("%(n)d/%(total)d đã nộp", n=on_time + late, total=len(group)),
            badge="",
            timeliness=_("%(on)d đúng hạn · %(late)d trễ", on=on_time, late=late),
        )

    order = tree_order(campaign)
    closing: list[tuple[int, str, str]] = []  # (depth, unit id, name) of open parents
    for unit, depth in order:
        while closing and closing[-1][0] >= depth:
            d, uid, name = closing.pop()
            rows.append(
                total_row("group", uid, _("Cộng: %(name)s", name=name), d, subtree(campaign, uid))
            )
        rows.append(unit_row(unit.id, unit.name, depth))
        if campaign.children(unit.id):
            closing.append((depth, unit.id, unit.name))
    while closing:
        d, uid, name = closing.pop()
        rows.append(
            total_row("group", uid, _("Cộng: %(name)s", name=name), d, subtree(campaign, uid))
        )
    rows.append(total_row("total", "", _("Tổng cộng"), 0, [u.id for u, _d in order]))
    tz = campaign.tz
    overall = [p for p in progress(campaign, items.values()) if p.form == form.id]
    return FormView(
        form=form,
        due=form.due.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
        due_iso=form.due.astimezone(tz).isoformat(),
        grace_end=form.closes.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
        has_grace=bool(form.grace),
        lock=form.lock,
        past_due=past_due,
        share_labels=labels,
        rows=rows,
        progress=overall,
        unchecked=unchecked,
    )


@dataclass(frozen=True)
class FindingLine:
    """One finding of a unit, as the drill-down lists it."""

    row: int | None
    column: str
    severity: str
    severity_label: str
    message: str
    value: str


def _finding_value(finding: RecordedFinding) -> str:
    value = finding.value
    if value is None:
        return ""
    if finding.code.startswith("share_"):
        try:
            return fmt_pct(float(value))
        except ValueError:
            pass
    return str(value)


def finding_lines(form: Form, findings: Sequence[RecordedFinding]) -> list[FindingLine]:
    """Findings sorted by sheet row (unit-level ones first), with column headers."""
    labels = {"error": _("Lỗi"), "warning": _("Cảnh báo")}
    out = [
        FindingLine(
            row=f.row,
            column=form.header_of(f.column) if f.column else "",
            severity=f.severity,
            severity_label=labels.get(f.severity, f.severity),
            message=f.message or "",
            value=_finding_value(f),
        )
        for f in findings
    ]
    order = {"error": 0, "warning": 1}
    out.sort(key=lambda x: (x.row is not None, x.row or 0, order.get(x.severity, 2)))
    return out
