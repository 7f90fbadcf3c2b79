"""Organiser dashboard: progress per form, drill-down, downloads, print list.

Pages read the audit database (the last recorded checks), never the sheets. Downloads of
the consolidated workbook and CSV run a fresh consolidation (like the `consolidate` job),
under the consolidation lock only while reading and validating.

See docs/design.md, Web pages.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sync import clock
from sync.audit import campaign_statuses, unit_statuses
from sync.audit.jobs import CONSOLIDATE, addon_pings
from sync.audit.official import unit_deadlines, unit_decisions
from sync.audit.records import latest_rows
from sync.campaign import Campaign, Form, Unit
from sync.consolidate import Consolidated, tree_order
from sync.csv_safe import writer as csv_writer
from sync.errors import ThiduaError
from sync.keys import generations
from sync.operations import consolidate, extend, review
from sync.stores.capabilities import AcceptsUploads, ExportsXlsx

from .auth import current_user, login_required
from .charts import progress_chart
from .dashboard_data import (
    BADGES,
    SORTS,
    Selection,
    answers,
    arrange,
    finding_lines,
    fmt_pct,
    form_view,
    pick_form,
    state_filters,
    state_text,
    status_text,
    target_text,
)
from .errors import page_error
from .formats import countdown_text, fmt_time
from .guard import service
from .logs import log_event
from .queue.worker import worker_id
from .reminders import panel as reminder_panel

bp = Blueprint("dashboard", __name__)
LOCK_WAIT = 30.0  # seconds a download waits for a running consolidation


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("dashboard.index"))


def _selection(c: Campaign) -> Selection:
    args = request.args
    parents = {u.id for u in c.units if c.children(u.id)}
    sort = args.get("sap_xep", "")
    return Selection(
        state=args.get("trang_thai", "") if args.get("trang_thai") in state_filters() else "",
        parent=args.get("cap_tren", "") if args.get("cap_tren") in parents else "",
        query=args.get("tim", "").strip()[:80],
        sort=sort if sort in SORTS else "",
        descending=args.get("chieu") == "giam",
    )


def _sort_links(form_id: str, sel: Selection) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it (the other way when already sorted)
    and its aria-sort state."""
    base = {
        k: v
        for k, v in {
            "form": form_id,
            "trang_thai": sel.state,
            "cap_tren": sel.parent,
            "tim": sel.query,
        }.items()
        if v
    }
    links = {}
    for key in SORTS:
        current = sel.sort == key
        # numbers and times are most useful largest first
        first_desc = key in ("dong", "loi", "cap_nhat")
        desc = (not sel.descending) if current else first_desc
        args: dict[str, Any] = {**base, "sap_xep": key, "chieu": "giam" if desc else "tang"}
        links[key] = {
            "url": url_for("dashboard.index", **args) + "#bang",
            "aria": ("descending" if sel.descending else "ascending") if current else "none",
        }
    return links


@bp.get("/dashboard")
@login_required
def index() -> ResponseReturnValue:
    """One form at a time: the campaign-wide answers, the chart, the units table (sortable,
    filtered by state, parent unit or a search), reminders."""
    svc = service()
    c = svc.campaign
    now = clock.now(c.tz)
    checks = campaign_statuses(svc.engine, c)
    form = pick_form(c, request.args.get("form"), now, checks)
    view = form_view(c, form, checks, now)
    sel = _selection(c)
    chart = progress_chart(
        f"chart-{form.id}", _("Tiến độ nộp: %(form)s", form=form.title), view.progress
    )
    checked = [t.checked_at for t in checks.values() if t.checked_at]
    return render_template(
        "dashboard/index.html",
        v=view,
        forms=c.forms,
        answers=answers(view, view.items),
        target_texts=[target_text(t) for t in view.targets],
        rows=arrange(c, view, sel),
        sel=sel,
        filters=state_filters(),
        parents=[u for u, _d in tree_order(c) if c.children(u.id)],
        sorts=_sort_links(form.id, sel),
        chart=chart,
        countdown=countdown_text(form.due, now),
        last_check=fmt_time(max(checked), c) if checked else "",
        now_text=now.strftime("%d/%m/%Y %H:%M"),
        reminders=reminder_panel(svc),
        form_id=form.id,
    )


@bp.get("/dashboard/units/<unit_id>")
@login_required
def unit(unit_id: str) -> ResponseReturnValue:
    """One unit: per form its last check and its findings with row and column."""
    svc = service()
    c = svc.campaign
    found = next((u for u in c.units if u.id == unit_id), None)
    if found is None:
        return page_error(
            404,
            _("Không có đơn vị mã «%(id)s» trong đợt này.", id=unit_id[:60]),
            title=_("Không tìm thấy đơn vị"),
        )
    recorded = unit_statuses(svc.engine, c, found.id)
    deadline_of = unit_deadlines(svc.engine, c)
    now = clock.now(c.tz)
    forms = []
    for form in c.forms:
        st = recorded[form.id]
        state = st.state if st.checked else "unchecked"
        review_ = st.review or {}
        deadline = deadline_of(found.id, form.id)
        forms.append(
            {
                "form": form,
                "status": st,
                "applies": form.applies(found.id),
                "shares": [(k, fmt_pct(v)) for k, v in st.shares.items()],
                "state": state,
                "state_label": status_text(st.summary()) if st.checked else state_text(state),
                "badge": BADGES.get(state, "idle"),
                "checked_at": fmt_time(st.checked_at, c),
                "last_change": fmt_time(st.last_change_at, c),
                "submitted_at": fmt_time(st.submitted_at, c),
                "findings": finding_lines(form, st.findings),
                **_unit_rows(form, found.id),
                "changed": st.changed_since_submit,
                "review": review_,
                "review_at": fmt_time(review_.get("at"), c),
                "review_until": fmt_time(review_.get("until"), c),
                "due": fmt_time(deadline.due.isoformat(), c),
                "extended": deadline.extended,
                "can_approve": bool(st.submitted_at) and state not in ("returned", "approved"),
                "can_return": bool(st.submitted_at) and state != "returned",
                "until_default": (deadline.due if deadline.due > now else now)
                .astimezone(c.tz)
                .strftime("%Y-%m-%dT%H:%M"),
            }
        )
    parent = c.unit(found.parent) if found.parent else None
    user = current_user()
    return render_template(
        "dashboard/unit.html",
        unit=found,
        parent=parent,
        forms=forms,
        can_change=bool(user and user.can_change),
        history=_unit_history(found),
        link=_unit_link(found),
        addon=_addon_status(found) if user and user.can_change else None,
        campaign_arg=c.source.name,
    )


def _unit_rows(form: Form, unit_id: str) -> dict[str, Any]:
    """The unit's current list of a form, and its official (submitted) list when different."""
    svc = service()
    c = svc.campaign
    current = latest_rows(svc.engine, c.id, form.id, official=False, unit=unit_id).get(unit_id)
    official = latest_rows(svc.engine, c.id, form.id, official=True, unit=unit_id).get(unit_id)

    def cells(rows: list[list[Any]] | None) -> list[list[Any]]:
        return [["" if v is None else v for v in r][: len(form.keys)] for r in rows or []]

    return {
        "current_rows": cells(current),
        "official_rows": cells(official) if official is not None and official != current else [],
        "official_same": official is not None and official == current,
    }


def _unit_history(unit: Unit) -> list[dict[str, Any]]:
    """Uploads, submissions, reviews, extensions and reminders of a unit, newest first."""
    from sync import uploads as up
    from sync.reminders import history, reason_text

    svc = service()
    c = svc.campaign
    titles = {f.id: f.title for f in c.forms}
    events: list[dict[str, Any]] = []
    for u in up.history(svc.engine, c.id, unit.id):
        events.append(
            {
                "at": u.uploaded_at,
                "kind": _("Tải lên"),
                "form": "",
                "text": (
                    _(
                        "%(file)s — được nhận: %(e)d lỗi, %(w)d cảnh báo",
                        file=u.filename,
                        e=u.errors,
                        w=u.warnings,
                    )
                    if u.accepted
                    else _("%(file)s — bị từ chối: %(why)s", file=u.filename, why=u.message)
                ),
                "bad": not u.accepted,
            }
        )
    for s in up.submissions(svc.engine, c, unit.id):
        events.append(
            {
                "at": s.submitted_at.timestamp(),
                "kind": _("Nộp"),
                "form": titles.get(s.form, s.form),
                "text": (
                    _("%(n)d dòng, đúng hạn", n=s.rows)
                    if s.on_time
                    else _("%(n)d dòng, trễ hạn", n=s.rows)
                ),
                "bad": False,
            }
        )
    for r in history(svc.engine, c.id, unit=unit.id, limit=50):
        to = ", ".join(r["recipients"])
        events.append(
            {
                "at": r["sent_at"],
                "kind": _("Nhắc nhở"),
                "form": titles.get(r["form"], r["form"]),
                "text": (
                    _("gửi tới %(to)s (%(why)s)", to=to, why=reason_text(r["reason"]))
                    if r["status"] == "sent"
                    else _("không gửi được tới %(to)s: %(error)s", to=to, error=r["error"])
                ),
                "bad": r["status"] != "sent",
            }
        )
    for d in unit_decisions(svc.engine, c.id, unit.id):
        events.append(_decision_event(d, titles, c))
    # newest first; at the same time the later record first (a review after its submission)
    order = sorted(range(len(events)), key=lambda i: (events[i]["at"], i), reverse=True)
    events = [events[i] for i in order]
    for e in events:
        e["when"] = fmt_time(e["at"], c)
    return events


def _decision_event(d: dict[str, Any], titles: dict[str, str], c: Campaign) -> dict[str, Any]:
    """A review (approve / return with its reason) or an extension as a history line."""
    until = fmt_time(d.get("until"), c)
    if d["kind"] == "extension":
        kind, text = _("Gia hạn"), _("%(by)s gia hạn đến %(until)s", by=d["by"], until=until)
    elif d["decision"] == "approved":
        kind, text = _("Duyệt"), _("%(by)s duyệt bản đã nộp", by=d["by"])
    else:
        kind = _("Trả lại")
        text = _(
            "%(by)s trả lại: %(reason)s (sửa và nộp lại trước %(until)s)",
            by=d["by"],
            reason=d["reason"],
            until=until,
        )
    return {
        "at": clock.parse_instant(str(d["at"]), c.tz).timestamp(),
        "kind": kind,
        "form": titles.get(d["form"], d["form"]),
        "text": text,
        "bad": False,
        "decision": d.get("decision") or "extension",
    }


def _addon_status(unit: Unit) -> dict[str, Any]:
    """The unit's Apps Script add-on as `thidua provision --check-addon` and `thidua keys`
    see it: when it last reached the service (a `ping`, signed with the unit's key) and
    whether the unit's key changed since (the add-on then needs the new key)."""
    svc = service()
    c = svc.campaign
    pinged = addon_pings(svc.engine, c.id).get(unit.id)
    generation, rotated = generations(svc.engine, c.id).get(unit.id, (1, None))
    stale = rotated is not None and (pinged is None or pinged < rotated)
    return {
        "sheets": not isinstance(svc.store, AcceptsUploads),
        "pinged": fmt_time(pinged, c) if pinged is not None else "",
        "generation": generation,
        "rotated": fmt_time(rotated, c) if rotated is not None else "",
        "state": "stale" if stale and pinged is not None else ("ok" if pinged else "missing"),
    }


def _unit_link(unit: Unit) -> dict[str, str]:
    """Where the unit enters its lists: its signed upload page, or its spreadsheet."""
    from sync.links import default_expiry, make_link

    svc = service()
    c = svc.campaign
    if not isinstance(svc.store, AcceptsUploads):
        return {"kind": "sheet", "url": svc.store.location(unit)}
    now = clock.now(c.tz)
    until = max(default_expiry(c), now + timedelta(days=7))
    made = make_link(c, svc.secret, unit, until)
    return {
        "kind": "upload",
        "url": made.url(request.host_url.rstrip("/")),
        "until": fmt_time(until, c),
    }


def _decision_form(unit_id: str, form_id: str) -> tuple[Any, Any] | Response:
    """The unit and form a review or extension is about (404 page when unknown)."""
    c = service().campaign
    found = next((u for u in c.units if u.id == unit_id), None)
    form = next((f for f in c.forms if f.id == form_id), None)
    if found is None or form is None or not form.applies(found.id):
        return page_error(404, _("Không có đơn vị hoặc biểu mẫu này trong đợt."))
    return found, form


def _until(text: str) -> Any:
    """A `datetime-local` value in the campaign's timezone (None when empty)."""
    text = text.strip()
    return clock.parse_instant(text, service().campaign.tz) if text else None


def _decide(unit_id: str, action: Any) -> ResponseReturnValue:
    """Run a review/extension under the unit's spreadsheet lock; refusals are flashed."""
    svc = service()
    holder = worker_id()
    if not svc.jobs.acquire(unit_id, holder, wait=15.0):
        return page_error(503, _("Sổ của đơn vị đang được kiểm tra: vui lòng thử lại sau."))
    try:
        message = action()
        flash(message, "success")
    except ThiduaError as exc:
        flash(_("Chưa thực hiện được: %(m)s", m=str(exc)), "error")
    finally:
        svc.jobs.release(unit_id, holder)
    svc.jobs.schedule_consolidation()
    return redirect(url_for("dashboard.unit", unit_id=unit_id))


@bp.post("/dashboard/units/<unit_id>/<form_id>/review")
@login_required
def review_form(unit_id: str, form_id: str) -> ResponseReturnValue:
    """Approve the unit's submission, or return it with a reason (and a date to fix by)."""
    found = _decision_form(unit_id, form_id)
    if isinstance(found, Response):
        return found
    unit_, form = found
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "")
    user = current_user()
    assert user is not None

    def act() -> str:
        done = review(
            service().workspace,
            unit_.id,
            form.id,
            decision=decision,
            reason=reason,
            until=_until(request.form.get("until", "")) if decision == "returned" else None,
            by=user.username,
        )
        log_event("review", source="web", unit=unit_.id, form=form.id, decision=decision)
        if decision == "approved":
            return _("Đã duyệt «%(f)s» của %(u)s.", f=form.title, u=unit_.name)
        return _(
            "Đã trả lại «%(f)s» cho %(u)s; đơn vị sửa và nộp lại trước %(t)s.",
            f=form.title,
            u=unit_.name,
            t=fmt_time(done.review["until"], service().campaign),
        )

    return _decide(unit_.id, act)


@bp.post("/dashboard/units/<unit_id>/<form_id>/extend")
@login_required
def extend_form(unit_id: str, form_id: str) -> ResponseReturnValue:
    """Give the unit a later due time for the form."""
    found = _decision_form(unit_id, form_id)
    if isinstance(found, Response):
        return found
    unit_, form = found
    user = current_user()
    assert user is not None

    def act() -> str:
        until = _until(request.form.get("until", ""))
        if until is None:
            raise ThiduaError(_("Chọn ngày giờ gia hạn."))
        extend(service().workspace, unit_.id, form.id, until=until, by=user.username)
        log_event("extend", source="web", unit=unit_.id, form=form.id)
        return _(
            "Đã gia hạn «%(f)s» cho %(u)s đến %(t)s.",
            f=form.title,
            u=unit_.name,
            t=fmt_time(until.isoformat(), service().campaign),
        )

    return _decide(unit_.id, act)


# --- downloads ------------------------------------------------------------------------------


class Busy(Exception):
    """A consolidation is running and did not finish in time."""


def fresh_consolidation() -> Consolidated:
    """Read and validate every unit now (like the `consolidate` job) and record the check."""
    svc = service()
    holder = "web-" + worker_id()
    if not svc.jobs.acquire(CONSOLIDATE, holder, wait=LOCK_WAIT):
        raise Busy
    try:
        return consolidate(svc.workspace, write=False, run_id=f"web-{uuid.uuid4().hex[:16]}").tables
    finally:
        svc.jobs.release(CONSOLIDATE, holder)


def _failed(exc: Exception) -> Response:
    if isinstance(exc, Busy):
        return page_error(
            503,
            _("Hệ thống đang tổng hợp số liệu. Hãy thử tải lại sau ít giây."),
            title=_("Đang bận"),
        )
    log_event("download failed", source="web", error=type(exc).__name__)
    return page_error(
        503,
        _("Không tạo được tệp tổng hợp: %(reason)s", reason=str(exc)),
        title=_("Không tải được"),
    )


def ascii_name(text: str) -> str:
    """A file-name-safe ASCII version of an id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "tep"


@bp.get("/dashboard/download/tong-hop.xlsx")
@login_required
def download_xlsx() -> ResponseReturnValue:
    """The consolidated workbook (Tổng hợp, one tab per form, Cần sửa), built now."""
    svc = service()
    export = svc.store
    if not isinstance(export, ExportsXlsx):
        return page_error(
            404,
            _("Kho dữ liệu của đợt này không xuất được sổ tổng hợp .xlsx."),
            title=_("Không tải được"),
        )
    try:
        tables = fresh_consolidation()
    except (Busy, ThiduaError) as exc:
        return _failed(exc)
    with tempfile.TemporaryDirectory(prefix="thidua-xlsx-") as tmp:
        path = Path(tmp) / "Tong-hop.xlsx"
        export.export_xlsx(tables, path)
        data = path.read_bytes()
    log_event("download", source="web", kind="xlsx", bytes=len(data))
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"Tong-hop-{ascii_name(svc.campaign.id)}.xlsx",
    )


def _csv_cell(value: Any) -> Any:
    """A cell as Excel should read it: missing values (None, NaN, NA, NaT) are empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


def _unknown_form(form_id: str) -> Response:
    return page_error(
        404,
        _("Không có biểu mẫu mã «%(id)s» trong đợt này.", id=form_id[:60]),
        title=_("Không tìm thấy biểu mẫu"),
    )


@bp.get("/dashboard/download/<form_id>.csv")
@login_required
def download_csv(form_id: str) -> ResponseReturnValue:
    """A form's merged rows (its consolidated tab) as CSV, UTF-8 with BOM for Excel."""
    svc = service()
    c = svc.campaign
    form = next((f for f in c.forms if f.id == form_id), None)
    if form is None:
        return _unknown_form(form_id)
    try:
        frame = fresh_consolidation().tables[form.tab]
    except (Busy, ThiduaError) as exc:
        return _failed(exc)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_writer(out, lineterminator="\r\n")  # no cell can become a formula
    writer.writerow([str(col) for col in frame.columns])
    for rec in frame.itertuples(index=False, name=None):
        writer.writerow([_csv_cell(v) for v in rec])
    log_event("download", source="web", kind="csv", form=form.id, rows=len(frame))
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": (
                f'attachment; filename="{ascii_name(c.id)}-{ascii_name(form.id)}.csv"'
            ),
        },
    )
