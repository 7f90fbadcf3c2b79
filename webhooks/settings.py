"""The settings page (`/dashboard/settings`): the campaign as the service runs it — units
with parents, levels, staff, quotas and editors; forms with deadlines, grace, lock and
who they apply to; the result of the check — and, for organisers, the changes a running
campaign allows: a unit's quota, staff, editors and level; a form's due date and grace;
a new unit; sheets for new units.

A save edits the campaign file in place (`sync.campaign_edit`: comments and layout kept,
checked like `thidua check`, written atomically), records who changed what in the audit
database, and the service applies the new file at once (`webhooks.follow`). Leader
accounts read the page; every change is 403 for them (`login_required`).

See docs/web.md, Settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sync.campaign import Campaign, Form, Unit
from sync.campaign.model import PolicyRef
from sync.campaign.policies import resolve_quota
from sync.campaign.workbook import FORMS, QUOTA_PREFIX, UNITS, read_xlsx_grid
from sync.campaign_edit import (
    CampaignFileChanged,
    Change,
    Edit,
    FormEdit,
    NewUnit,
    UnitEdit,
    edit_campaign,
    file_digest,
    parse_editors,
)
from sync.campaign_edit.history import HistoryEntry, history, record_settings
from sync.consolidate import tree_order
from sync.errors import ConfigError, ConfigIssue, StoreError
from sync.stores.capabilities import AcceptsUploads, KnowsSpreadsheetIds

from .auth import current_user, login_required
from .errors import page_error
from .follow import issue_text
from .formats import fmt_time
from .guard import service
from .logs import log_event
from .queue.worker import worker_id

bp = Blueprint("settings", __name__)
BANNER_PAGES = ("dashboard", "settings", "official", "reminders")


@bp.app_context_processor
def _refusal() -> dict[str, Any]:
    """`campaign_refusal` for the banner of the signed-in pages: the campaign file changed
    but did not pass the check, so the service still runs the previous one."""
    if request.blueprint not in BANNER_PAGES:
        return {}
    follower = service().follower
    return {"campaign_refusal": follower.refused, "campaign_file": follower.file.name}


# --- how values are shown (and compared with what is posted) -------------------------------


def quota_text(value: int | PolicyRef | None) -> str:
    if isinstance(value, PolicyRef):
        return value.policy
    return "" if value is None else str(value)


def grace_text(value: timedelta) -> str:
    """timedelta → '2d', '1d12h', '30m' ('' for none), as the campaign file writes it."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return "".join(f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n)


def day_or_time(value: datetime, campaign: Campaign) -> str:
    """dd/mm/yyyy, with HH:MM unless it is midnight (a form opening on a day)."""
    local = value.astimezone(campaign.tz)
    return (
        f"{local:%d/%m/%Y}" if (local.hour, local.minute) == (0, 0) else fmt_time(local, campaign)
    )


def due_fields(form: Form, campaign: Campaign) -> tuple[str, str]:
    """The due date (ISO) and time (HH:MM; '' when it is the end of the day)."""
    local = form.due.astimezone(campaign.tz)
    at = "" if (local.hour, local.minute, local.second) == (23, 59, 59) else f"{local:%H:%M}"
    return local.date().isoformat(), at


def uses_quota(campaign: Campaign, form: Form) -> bool:
    """A form whose units have quotas (a `quota: true` rule, a form quota, a unit's)."""
    return (
        form.quota is not None
        or any(getattr(rule, "quota", False) is True for rule in form.rules)
        or any(form.id in u.quotas for u in campaign.units)
    )


def quota_forms(campaign: Campaign, unit: Unit | None = None) -> list[Form]:
    """The forms with a quota column (for `unit`: those it fills)."""
    forms = campaign.forms if unit is None else campaign.forms_for(unit.id)
    return [f for f in forms if uses_quota(campaign, f)]


def quota_now(campaign: Campaign, unit: Unit, form: Form) -> str:
    """What applies to the unit when its own quota is left empty (help of the input)."""
    if form.quota is None:
        return _("Để trống: không có chỉ tiêu.")
    if isinstance(form.quota, PolicyRef):
        number = resolve_quota(form.quota, unit, campaign.policies)
        return _(
            "Để trống: theo chính sách %(p)s của biểu mẫu (%(n)s).",
            p=form.quota.policy,
            n="—" if number is None else number,
        )
    return _("Để trống: chỉ tiêu chung của biểu mẫu (%(n)s).", n=form.quota)


def unit_values(campaign: Campaign, unit: Unit) -> dict[str, str]:
    """The unit's editable values as the form shows them."""
    values = {
        "level": unit.level or "",
        "staff": "" if unit.staff is None else str(unit.staff),
        "editors": ", ".join(unit.editors),
    }
    for form in quota_forms(campaign, unit):
        values[f"quota-{form.id}"] = quota_text(unit.quotas.get(form.id))
    return values


def form_values(campaign: Campaign, form: Form) -> dict[str, str]:
    day, at = due_fields(form, campaign)
    return {"due_date": day, "due_time": at, "grace": grace_text(form.grace)}


def _posted(keys: Iterable[str]) -> dict[str, str]:
    return {k: request.form.get(k, "")[:500] for k in keys}


def _unit_edit(unit: Unit, shown: dict[str, str], posted: dict[str, str]) -> UnitEdit:
    """Only what the organiser changed on the page (what changed in the file meanwhile is
    kept)."""

    def moved(key: str) -> str | None:
        return posted[key] if posted[key].strip() != shown[key].strip() else None

    editors = posted["editors"]
    return UnitEdit(
        unit.id,
        level=moved("level"),
        staff=moved("staff"),
        editors=editors if parse_editors(editors) != parse_editors(shown["editors"]) else None,
        quotas={
            k.removeprefix("quota-"): posted[k]
            for k in shown
            if k.startswith("quota-") and moved(k) is not None
        },
    )


# --- pages -----------------------------------------------------------------------------------


@bp.get("/dashboard/settings")
@login_required
def index() -> ResponseReturnValue:
    """The campaign as loaded, the check, the provisioning state, the change history."""
    svc = service()
    svc.follower.check(force=True)  # what is shown is what the file says now
    c = svc.campaign
    user = current_user()
    columns = quota_forms(c)
    units = []
    for unit, depth in tree_order(c):
        quotas = []
        for form in columns:
            if not form.applies(unit.id):
                quotas.append({"text": "—", "policy": False, "na": True})
                continue
            value = unit.quotas.get(form.id, form.quota)
            number = c.quota(unit.id, form.id)
            quotas.append(
                {
                    "text": "" if number is None else str(number),
                    "policy": isinstance(value, PolicyRef),
                    "na": False,
                }
            )
        parent = next((u for u in c.units if u.id == unit.parent), None)
        units.append({"unit": unit, "depth": depth, "parent": parent, "quotas": quotas})
    forms = []
    for form in c.forms:
        applies = c.units_for(form.id)
        seats = [q for q in c.quotas(form.id).values() if q is not None]
        forms.append(
            {
                "form": form,
                "opens": day_or_time(form.opens, c) if form.opens else "",
                "due": fmt_time(form.due, c),
                "grace": grace_text(form.grace),
                "closes": fmt_time(form.closes, c),
                "applies": len(applies),
                "applies_all": form.applies_to is None,
                "overrides": len(form.deadlines),
                "total_quota": sum(seats) if seats else None,
            }
        )
    missing = missing_sheets()
    return render_template(
        "settings/index.html",
        c=c,
        units=units,
        quota_forms=columns,
        forms=forms,
        can_change=bool(user and user.can_change),
        file=svc.follower.file.name,
        loaded_at=fmt_time(svc.follower.loaded_at, c),
        refused_at=fmt_time(svc.follower.refused.at, c) if svc.follower.refused else "",
        missing=missing,
        can_provision=isinstance(svc.store, AcceptsUploads),
        history=[history_line(e, c) for e in history(svc.engine, c.id)],
    )


@bp.route("/dashboard/settings/units/<unit_id>", methods=["GET", "POST"])
@login_required
def unit(unit_id: str) -> ResponseReturnValue:
    """Change a unit's level, staff, editors and quotas."""
    c = service().campaign
    found = next((u for u in c.units if u.id == unit_id), None)
    if found is None:
        return page_error(
            404,
            _("Không có đơn vị mã «%(id)s» trong đợt này.", id=unit_id[:60]),
            title=_("Không tìm thấy đơn vị"),
        )
    shown = unit_values(c, found)
    index_ = c.units.index(found)

    def page(
        values: dict[str, str], issues: list[tuple[str, str | None]], fields: dict[str, list[str]]
    ) -> str:
        return render_template(
            "settings/unit.html",
            unit=found,
            values=values,
            forms=quota_forms(c, found),
            quota_help={f.id: quota_now(c, found, f) for f in quota_forms(c, found)},
            policies=sorted(c.policies),
            issues=issues,
            fields=fields,
            digest=_disk_digest(),
            readonly=_readonly(),
            new=False,
            parents=[],
        )

    if request.method == "GET":
        return page(shown, [], {})
    posted = _posted(shown)
    edit = _unit_edit(found, shown, posted)
    return _save(
        [edit],
        f"units[{index_}]",
        lambda issues, fields: page(posted, issues, fields),
        lambda: page(unit_values(service().campaign, found), [], {}),
        unit=found.id,
        anchor=f"unit-{found.id}",
    )


@bp.route("/dashboard/settings/new-unit", methods=["GET", "POST"])
@login_required
def new_unit() -> ResponseReturnValue:
    """Add a unit at the end of the units."""
    c = service().campaign
    keys = ["id", "name", "parent", "level", "staff", "editors"] + [
        f"quota-{f.id}" for f in quota_forms(c)
    ]
    empty = dict.fromkeys(keys, "")

    def page(
        values: dict[str, str], issues: list[tuple[str, str | None]], fields: dict[str, list[str]]
    ) -> str:
        return render_template(
            "settings/unit.html",
            unit=None,
            values=values,
            forms=quota_forms(c),
            quota_help={},
            policies=sorted(c.policies),
            issues=issues,
            fields=fields,
            digest=_disk_digest(),
            readonly=_readonly(),
            new=True,
            parents=[u for u, _d in tree_order(c)],
            levels=sorted({u.level for u in c.units if u.level}),
        )

    if request.method == "GET":
        return page(empty, [], {})
    posted = _posted(keys)
    edit = NewUnit(
        id=posted["id"],
        name=posted["name"],
        parent=posted["parent"],
        level=posted["level"],
        staff=posted["staff"],
        editors=posted["editors"],
        quotas={
            f.id: posted[f"quota-{f.id}"] for f in quota_forms(c) if posted[f"quota-{f.id}"].strip()
        },
    )
    return _save(
        [edit],
        f"units[{len(c.units)}]",
        lambda issues, fields: page(posted, issues, fields),
        lambda: page(posted, [], {}),
        unit=posted["id"].strip(),
        anchor="provision",
    )


@bp.route("/dashboard/settings/forms/<form_id>", methods=["GET", "POST"])
@login_required
def form(form_id: str) -> ResponseReturnValue:
    """Change a form's due date and grace."""
    c = service().campaign
    found = next((f for f in c.forms if f.id == form_id), None)
    if found is None:
        return page_error(404, _("Không có biểu mẫu này trong đợt."))
    shown = form_values(c, found)
    index_ = c.forms.index(found)

    def page(
        values: dict[str, str], issues: list[tuple[str, str | None]], fields: dict[str, list[str]]
    ) -> str:
        return render_template(
            "settings/form.html",
            form=found,
            values=values,
            issues=issues,
            fields=fields,
            digest=_disk_digest(),
            readonly=_readonly(),
            opens=fmt_time(found.opens, c) if found.opens else "",
            overrides=len(found.deadlines),
        )

    if request.method == "GET":
        return page(shown, [], {})
    posted = _posted(shown)
    due_moved = (posted["due_date"].strip(), posted["due_time"].strip()) != (
        shown["due_date"],
        shown["due_time"],
    )
    edit = FormEdit(
        found.id,
        due_date=posted["due_date"] if due_moved else None,
        due_time=posted["due_time"] if due_moved else None,
        grace=posted["grace"] if posted["grace"].strip() != shown["grace"] else None,
    )
    return _save(
        [edit],
        f"forms[{index_}]",
        lambda issues, fields: page(posted, issues, fields),
        lambda: page(form_values(service().campaign, found), [], {}),
        form=found.id,
        anchor=f"form-{found.id}",
    )


@bp.post("/dashboard/settings/provision")
@login_required
def provision() -> ResponseReturnValue:
    """Make the workbooks of units that have none yet (offline mode; `thidua provision`
    does the same from the command line, for every backend)."""
    svc = service()
    if not isinstance(svc.store, AcceptsUploads):
        return page_error(400, _("Tạo bảng tính Google cho đơn vị mới bằng lệnh thidua provision."))
    todo = missing_sheets()
    made, failed = [], []
    holder = "settings-" + worker_id()
    for unit_ in todo:
        if not svc.jobs.acquire(unit_.id, holder, wait=15.0):
            failed.append(unit_.id)
            continue
        try:
            svc.store.provision(unit_)
            made.append(unit_.id)
        except StoreError as exc:
            failed.append(unit_.id)
            flash(_("Chưa tạo được sổ của %(u)s: %(m)s", u=unit_.id, m=str(exc)), "error")
        finally:
            svc.jobs.release(unit_.id, holder)
    user = current_user()
    log_event("provisioned", source="web", user=user.username if user else "", units=len(made))
    if made:
        svc.check_again(made)
        flash(_("Đã tạo sổ cho: %(units)s.", units=", ".join(made)), "success")
    elif not todo:
        flash(_("Mọi đơn vị đã có sổ."), "info")
    return redirect(url_for("settings.index") + "#provision")


# --- saving ----------------------------------------------------------------------------------


def _readonly() -> bool:
    """Leader accounts see the forms without a way to save."""
    user = current_user()
    return not (user and user.can_change)


def _disk_digest() -> str:
    try:
        return file_digest(service().follower.file)
    except OSError:
        return ""


def _save(
    edits: list[Edit],
    prefix: str,
    invalid: Callable[[list[tuple[str, str | None]], dict[str, list[str]]], str],
    fresh: Callable[[], str],
    *,
    unit: str = "",
    form: str | None = None,
    anchor: str = "",
) -> ResponseReturnValue:
    """Write the edits (or say why not), record them, apply the new campaign."""
    svc = service()
    user = current_user()
    assert user is not None
    file = svc.follower.file
    try:
        result = edit_campaign(file, edits, expected=request.form.get("digest") or None)
    except CampaignFileChanged as exc:
        svc.follower.check(force=True)
        flash(str(exc), "error")
        return fresh(), 409
    except ConfigError as exc:
        log_event("settings refused", logging.INFO, source="web", user=user.username)
        subject = ("forms", form) if form else ("units", unit) if unit else None
        issues = []
        fields: dict[str, list[str]] = {}
        for i in exc.issues:
            name = field_of(i, prefix)
            if name is None and file.suffix.lower() == ".xlsx":
                name = cell_field(i, file, subject)
            if name is not None:
                fields.setdefault(name, []).append(i.message)
            issues.append((issue_text(i, file), name))
        return invalid(issues, fields), 400
    target = url_for("settings.index") + (f"#{anchor}" if anchor else "")
    if not result.changes:
        flash(_("Không có gì thay đổi."), "info")
        return redirect(target)
    record_settings(
        svc.engine,
        svc.campaign.id,
        by=user.username,
        file=file.name,
        changes=result.changes,
        unit=unit,
        form=form,
    )
    log_event("settings saved", source="web", user=user.username, changes=len(result.changes))
    svc.follower.check(force=True)
    c = svc.campaign
    flash(
        _(
            "Đã lưu vào %(file)s: %(changes)s.",
            file=file.name,
            changes=changes_text(result.changes, c),
        ),
        "success",
    )
    return redirect(target)


def field_of(issue: ConfigIssue, prefix: str) -> str | None:
    """The page input an issue is about (`quota-<form>`, `staff`, `due_date`…) when it is
    under `prefix` (units[3], forms[1])."""
    path = issue.path
    if (
        not path
        or not path.startswith(prefix)
        or path[len(prefix) : len(prefix) + 1] not in ("", ".")
    ):
        return None
    parts = path[len(prefix) :].lstrip(".").split(".")
    name = parts[0].split("[")[0]
    if name == "quotas" and len(parts) > 1:
        return f"quota-{parts[1]}"
    if name == "due":
        return "due_date"
    return name or None


_CELL_FIELDS = {
    (UNITS.name, UNITS.col(f"units.{key}").header): key for key in ("level", "staff", "editors")
} | {
    (FORMS.name, FORMS.col("forms.due").header): "due_date",
    (FORMS.name, FORMS.col("forms.grace").header): "grace",
}


def cell_field(issue: ConfigIssue, file: Path, subject: tuple[str, str] | None) -> str | None:
    """The page input a workbook issue is about: its tab and column name a field, its row is
    the row of `subject` (units/forms tab, id) in the campaign workbook."""
    sheet, row, column = issue.sheet, issue.row, issue.column
    if subject is None or sheet is None or row is None or not column:
        return None
    tab = UNITS if subject[0] == "units" else FORMS
    if sheet != tab.name:
        return None
    name = _CELL_FIELDS.get((sheet, column))
    if name is None and tab is UNITS and column.startswith(QUOTA_PREFIX):
        name = "quota-" + column.removeprefix(QUOTA_PREFIX).strip()
    if name is None:
        return None
    try:
        rows = read_xlsx_grid(file).get(sheet) or []
    except Exception:  # the summary above the form still says where
        return None
    at = next((i + 1 for i, r in enumerate(rows) if r and str(r[0]).strip() == subject[1]), None)
    return name if at == row else None


# --- texts -----------------------------------------------------------------------------------


def field_label(field: str, campaign: Campaign) -> str:
    if field.startswith("quotas."):
        form_id = field.removeprefix("quotas.")
        try:
            name = campaign.form(form_id).tab
        except KeyError:
            name = form_id
        return _("chỉ tiêu «%(form)s»", form=name)
    labels = {
        "level": _("cấp"),
        "staff": _("số CB-NLĐ"),
        "editors": _("người nhập"),
        "due": _("hạn nộp"),
        "grace": _("gia hạn"),
    }
    return labels.get(field, field)


def value_text(value: Any, field: str = "") -> str:
    if value is None or value == "" or value == []:
        return _("(trống)")
    if field == "due" and isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
        return f"{when:%d/%m/%Y %H:%M}" if "T" in value else f"{when:%d/%m/%Y}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict) and set(value) == {"policy"}:
        return _("theo chính sách %(p)s", p=value["policy"])
    return str(value)


def change_text(change: Change, campaign: Campaign) -> str:
    who = (
        _("đơn vị %(id)s", id=change.id)
        if change.subject == "unit"
        else _("biểu mẫu %(id)s", id=change.id)
    )
    if change.field == "added":
        return _("thêm %(who)s", who=who)
    return _(
        "%(who)s: %(field)s %(old)s → %(new)s",
        who=who,
        field=field_label(change.field, campaign),
        old=value_text(change.old, change.field),
        new=value_text(change.new, change.field),
    )


def changes_text(changes: list[Change], campaign: Campaign) -> str:
    return "; ".join(change_text(c, campaign) for c in changes)


def history_line(entry: HistoryEntry, campaign: Campaign) -> dict[str, Any]:
    """One line of the change history: when, who, what."""
    p = entry.payload
    if entry.kind == "settings":
        changes = [
            Change(
                str(c.get("subject", "")),
                str(c.get("id", "")),
                str(c.get("field", "")),
                c.get("old"),
                c.get("new"),
            )
            for c in p.get("changes") or []
            if isinstance(c, dict)
        ]
        who = str(p.get("by", ""))
        what = changes_text(changes, campaign)
        kind = "ok"
    elif entry.kind == "reload":
        who = _("dịch vụ")
        what = _(
            "áp dụng tệp %(file)s mới (%(n)d đơn vị được kiểm tra lại)",
            file=p.get("file", ""),
            n=len(p.get("checked") or []),
        )
        kind = "ok"
    else:
        who = _("dịch vụ")
        issues = [str(i) for i in p.get("issues") or []]
        what = _(
            "không áp dụng tệp %(file)s vì có lỗi: %(first)s",
            file=p.get("file", ""),
            first=issues[0] if issues else "",
        ) + (_(" (và %(n)d lỗi khác)", n=len(issues) - 1) if len(issues) > 1 else "")
        kind = "err"
    return {"at": fmt_time(entry.at, campaign), "who": who, "what": what, "kind": kind}


def missing_sheets() -> list[Unit]:
    """Units whose workbook or spreadsheet does not exist yet (new units)."""
    svc = service()
    c = svc.campaign
    store = svc.store
    if isinstance(store, KnowsSpreadsheetIds):
        ids = store.spreadsheet_ids()
        return [u for u in c.units if u.id not in ids and not u.spreadsheet]
    return [u for u in c.units if store.revision(u) is None]
