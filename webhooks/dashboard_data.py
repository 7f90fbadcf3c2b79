"""What the dashboard shows (docs/design.md: Web pages), assembled from the last recorded checks.

Pure functions over the campaign and `sync.audit.campaign_statuses` (no sheet reads):
per form the units in tree order with a subtotal row per parent and an overall total, the
completeness / timeliness roll-up (`sync.progress.progress`) and the deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from sync import i18n
from sync.audit import FormStatus, RecordedFinding
from sync.consolidate import STATE_TONES, subtree, tree_order
from sync.feedback import state_label, summary_label
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


def status_text(summary: UnitSummary) -> str:
    """`state_text` with what qualifies it: "Đã nộp đúng hạn (gia hạn, bổ sung)"."""
    return summary_label(summary, page_language())


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
    share_alerts: list[str] = field(default_factory=list)  # "below" a minimum, "above" a max, ""
    over_quota: bool = False
    parent: str | None = None
    last_change_sort: str = ""  # ISO time, for sorting

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
    targets: list[tuple[str, float] | None] = field(default_factory=list)
    items: list[UnitSummary] = field(default_factory=list)


def summaries(campaign: Campaign, checks: Checks) -> list[UnitSummary]:
    """The recorded summaries (units never checked count as not started)."""
    return [
        checks[(unit.id, form.id)].summary()
        for unit in campaign.units
        for form in campaign.forms
        if (unit.id, form.id) in checks
    ]


def _timeliness(s: UnitSummary, state: str, past_due: bool) -> tuple[str, str]:
    if s.submitted or state == "returned":
        if s.on_time:
            return (_("Đúng hạn (gia hạn)") if s.extended else _("Đúng hạn")), "ok"
        if s.on_time is False:
            return _("Trễ hạn"), "late"
    if state == "not_applicable":
        return "", ""
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
    targets = share_targets(form, labels)
    rows: list[Row] = []
    unchecked = 0

    def unit_row(unit_id: str, name: str, depth: int) -> Row:
        nonlocal unchecked
        s = items[unit_id]
        check = checks[(unit_id, form.id)]
        state = s.state if check.checked else "unchecked"
        unchecked += state == "unchecked"
        own_due = datetime.fromisoformat(check.due) if check.due else form.deadline_for(unit_id).due
        when, cls = _timeliness(s, state, now > own_due)
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
            state_label=status_text(s) if check.checked else state_text(state),
            badge=BADGES.get(state, "idle"),
            last_change=fmt_time(check.last_change_at, campaign),
            submitted_at=fmt_time(check.submitted_at, campaign),
            timeliness=when,
            timeliness_class=cls,
            share_alerts=[
                alert_of(s.shares.get(label), t) for label, t in zip(labels, targets, strict=True)
            ],
            over_quota=s.quota is not None and s.rows > s.quota,
            parent=campaign.unit(unit_id).parent,
            last_change_sort=str(check.last_change_at or ""),
        )

    def total_row(kind: str, unit_id: str, name: str, depth: int, ids: list[str]) -> Row:
        return sum_row(items, labels, targets, kind, unit_id, name, depth, ids)

    order = tree_order(campaign)
    closing: list[tuple[int, str, str]] = []  # (depth, unit id, name) of open parents
    for unit, depth in order:
        while closing and closing[-1][0] >= depth:
            d, uid, name = closing.pop()
            rows.append(
                total_row("group", uid, _("Cộng: %(name)s", name=name), d, subtree(campaign, uid))
            )
        if not any(form.applies(u) for u in subtree(campaign, unit.id)):
            continue  # the form is not for this unit nor for any unit below it
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
        targets=targets,
        items=list(items.values()),
    )


def sum_row(
    items: dict[str, UnitSummary],
    labels: list[str],
    targets: list[tuple[str, float] | None],
    kind: str,
    unit_id: str,
    name: str,
    depth: int,
    ids: list[str],
) -> Row:
    """A subtotal (a parent's subtree, the units shown) or the campaign's total, with its
    pooled shares."""
    group = [items[u] for u in ids if u in items and items[u].applicable]
    quotas = [s.quota for s in group if s.quota is not None]
    on_time = sum(1 for s in group if s.submitted and s.on_time)  # first submission decides
    late = sum(1 for s in group if s.submitted and s.on_time is False)
    done = sum(1 for s in group if s.submitted)
    pooled = [pooled_share(group, label) for label in labels]
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
        shares=[fmt_pct(v) for v in pooled],
        state="",
        state_label=_("%(n)d/%(total)d đã nộp", n=done, total=len(group)),
        badge="",
        timeliness=_("%(on)d đúng hạn · %(late)d trễ", on=on_time, late=late),
        share_alerts=[alert_of(v, t) for v, t in zip(pooled, targets, strict=True)],
        over_quota=bool(quotas) and sum(s.rows for s in group) > sum(quotas),
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


# --- the dashboard around questions: targets, answers, filters, sorting -----------------------

SUBMITTED = {"submitted_on_time", "submitted_late", "approved"}
DONE = SUBMITTED | {"not_applicable"}


def share_targets(form: Form, labels: list[str]) -> list[tuple[str, float] | None]:
    """Per share column: ("min"|"max", target) from the form's share rules, in rule order
    (the order the engine reports shares in); None when no rule gives one."""
    from sync.rules.registry import KINDS

    rules = [r for r in form.rules if KINDS[r.kind].share is not None]
    targets: list[tuple[str, float] | None] = []
    for i, label in enumerate(labels):
        rule = next((r for r in rules if getattr(r, "label", None) == label), None)
        if rule is None and len(rules) == len(labels):
            rule = rules[i]
        if rule is None:
            targets.append(None)
        elif rule.kind == "min_share":
            targets.append(("min", float(getattr(rule, "share", 0.0))))
        elif rule.kind == "max_share":
            targets.append(("max", float(getattr(rule, "share", 0.0))))
        elif rule.kind == "max_ratio":
            targets.append(("max", float(getattr(rule, "ratio", 0.0))))
        else:
            targets.append(None)
    return targets


def off_target(value: float | None, target: tuple[str, float] | None) -> bool:
    """A share on the wrong side of its target (below a minimum, above a maximum)."""
    if value is None or target is None:
        return False
    kind, limit = target
    return value < limit - 1e-9 if kind == "min" else value > limit + 1e-9


def alert_of(value: float | None, target: tuple[str, float] | None) -> str:
    """ "below" (under a minimum), "above" (over a maximum) or "" for a share."""
    if not off_target(value, target):
        return ""
    return "below" if target is not None and target[0] == "min" else "above"


def pooled_share(items: list[UnitSummary], label: str) -> float | None:
    """A group's share: the units' shares weighted by their rows (a share counts rows)."""
    rows = sum(s.rows for s in items if s.shares.get(label) is not None)
    if not rows:
        return None
    return sum((s.shares.get(label) or 0.0) * s.rows for s in items) / rows


def target_text(target: tuple[str, float] | None) -> str:
    if target is None:
        return ""
    kind, limit = target
    return (_("tối thiểu %(p)s") if kind == "min" else _("tối đa %(p)s")) % {"p": fmt_pct(limit)}


@dataclass
class Answer:
    """One figure above the table: what a leader asks first."""

    label: str
    value: str
    note: str = ""
    alert: bool = False


def answers(view: FormView, items: list[UnitSummary]) -> list[Answer]:
    """Campaign-wide: submitted / expected, on time, late, returned, approved, quota used,
    each share against its target (units the form applies to)."""
    items = [s for s in items if s.applicable]
    states = [s.state for s in items]
    expected = len(items)
    submitted = sum(1 for s in states if s in SUBMITTED)
    quotas = [s.quota for s in items if s.quota is not None]
    used = sum(s.rows for s in items if s.quota is not None)
    found = [
        Answer(_("Đã nộp / phải nộp"), f"{submitted}/{expected}"),
        Answer(_("Đúng hạn"), str(sum(1 for s in items if s.submitted and s.on_time))),
        Answer(
            _("Trễ hạn"),
            str(sum(1 for s in items if s.submitted and s.on_time is False)),
            alert=any(s.submitted and s.on_time is False for s in items),
        ),
    ]
    if view.past_due:
        overdue = sum(1 for s in states if s not in DONE)
        found.append(Answer(_("Quá hạn, chưa nộp"), str(overdue), alert=overdue > 0))
    if "returned" in states or "approved" in states:
        found.append(Answer(_("Bị trả lại"), str(states.count("returned"))))
        found.append(Answer(_("Đã duyệt"), str(states.count("approved"))))
    if quotas:
        total = sum(quotas)
        share = fmt_pct(used / total) if total else ""
        found.append(Answer(_("Chỉ tiêu đã dùng"), f"{used}/{total}", share, alert=used > total))
    for label, target in zip(view.share_labels, view.targets, strict=False):
        value = pooled_share(items, label)
        found.append(
            Answer(
                label,
                fmt_pct(value) if value is not None else "–",
                target_text(target),
                alert=off_target(value, target),
            )
        )
    return found


def state_filters() -> dict[str, tuple[str, Callable[[Row], bool]]]:
    """key → (label, predicate over a unit Row)."""
    return {
        "chua_nop": (_("Chưa nộp"), lambda r: r.state not in DONE),
        "con_loi": (_("Còn lỗi"), lambda r: r.errors > 0),
        "da_nop": (_("Đã nộp"), lambda r: r.state in SUBMITTED),
        "tre_han": (
            _("Trễ hạn hoặc quá hạn"),
            lambda r: r.state == "submitted_late" or r.timeliness_class == "late",
        ),
        "tra_lai": (_("Bị trả lại"), lambda r: r.state == "returned"),
        "chua_kiem_tra": (_("Chưa kiểm tra"), lambda r: r.state == "unchecked"),
    }


SORTS = {
    "ma": lambda r: r.unit_id,
    "ten": lambda r: r.name,
    "dong": lambda r: r.rows,
    "loi": lambda r: r.errors,
    "trang_thai": lambda r: r.state_label,
    "cap_nhat": lambda r: r.last_change_sort,
}


def pick_form(
    campaign: Campaign, wanted: str | None, now: datetime, checks: Checks | None = None
) -> Form:
    """The form asked for, else the one with the nearest deadline still open (of two with
    the same deadline, the one with more rows entered), else the last one."""
    for form in campaign.forms:
        if form.id == wanted:
            return form

    def entered(form: Form) -> int:
        return sum(st.rows for (_u, f), st in (checks or {}).items() if f == form.id)

    still_open = [f for f in campaign.forms if now < f.closes]
    if still_open:
        return min(still_open, key=lambda f: (f.due, -entered(f)))
    return max(campaign.forms, key=lambda f: f.due)


def folded(text: str) -> str:
    """Lower case without Vietnamese marks ("Tam Đường" → "tam duong"), for searching."""
    import unicodedata

    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()


@dataclass
class Selection:
    """What the organiser asked the table for (all from the query string)."""

    state: str = ""
    parent: str = ""
    query: str = ""
    sort: str = ""
    descending: bool = False

    @property
    def active(self) -> bool:
        return bool(self.state or self.parent or self.query or self.sort)


def arrange(campaign: Campaign, view: FormView, sel: Selection) -> list[Row]:
    """The table's rows: the tree with subtotals, or (filtered / sorted) the matching units
    followed by their total and the campaign's total."""
    if not sel.active:
        return view.rows
    units = [r for r in view.rows if r.kind == "unit"]
    check = state_filters().get(sel.state)
    if check is not None:
        units = [r for r in units if check[1](r)]
    if sel.parent:
        inside = set(subtree(campaign, sel.parent))
        units = [r for r in units if r.unit_id in inside]
    if sel.query:
        needle = folded(sel.query)
        units = [r for r in units if needle in folded(f"{r.unit_id} {r.name}")]
    key = SORTS.get(sel.sort)
    if key is not None:
        units = sorted(units, key=key, reverse=sel.descending)
    flat = [Row(**{**r.__dict__, "depth": 0}) for r in units]  # no indentation outside the tree
    items = {s.unit: s for s in view.items}
    shown = sum_row(
        items,
        view.share_labels,
        view.targets,
        "group",
        "",
        _("Cộng các đơn vị đang hiện (%(n)d)", n=len(flat)),
        0,
        [r.unit_id for r in flat],
    )
    return [*flat, shown, view.rows[-1]]
