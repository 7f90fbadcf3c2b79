"""Unit upload page (offline mode, docs/design.md: Web pages), reached by a per-unit signed link.

- GET  /u/<token>                the unit's page: forms, deadlines, last check, history
- POST /u/<token>/upload         a filled workbook: checked (sync.uploads), kept, and when
                                 accepted it replaces the unit's workbook and is validated
- GET  /u/<token>/workbook.xlsx  the unit's workbook with the feedback written in
- POST /u/<token>/submit         Nộp one form (sync.pipeline.submit through the job handler)

Post/Redirect/Get with flashed messages. Only the local backend has upload pages: with
Google, units edit their own spreadsheet and the page says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from sync import clock
from sync import uploads as up
from sync.audit import FormStatus, unit_statuses
from sync.audit.official import unit_deadlines
from sync.audit.records import latest_rows
from sync.campaign import Form, Unit
from sync.errors import StoreError
from sync.feedback import state_fields
from sync.links import LinkError, read_link
from sync.operations import check_units, jobs
from sync.stores.capabilities import AcceptsUploads

from .errors import page_error
from .formats import countdown_text, fmt_deadline, fmt_time, in_grace
from .guard import service
from .logs import log_event
from .queue.worker import worker_id
from .web import csrf, limiter, page_language

bp = Blueprint("upload", __name__, url_prefix="/u")
MULTIPART_SLACK = 64 * 1024
"""Room for the multipart envelope and the CSRF field around the file itself."""


class Stop(Exception):
    """End the request with this response (a refused link, a busy workbook…)."""

    def __init__(self, response: ResponseReturnValue) -> None:
        super().__init__("stop")
        self.response = response


def _unit(token: str) -> Unit:
    svc = service()
    try:
        return read_link(svc.campaign, svc.secret, token, now=clock.now().timestamp())
    except LinkError as exc:
        status = 410 if exc.expired else 403
        log_event("upload link refused", logging.WARNING, source="web", status=status)
        raise Stop(page_error(status, str(exc), _("Đường dẫn không dùng được"))) from None


def _local_only(unit: Unit) -> None:
    if not isinstance(service().store, AcceptsUploads):
        body = render_template("upload/google.html", unit=unit)
        raise Stop(Response(body, status=200, mimetype="text/html"))


def _workbook_path(unit: Unit) -> Path:
    """The unit's workbook file (the store accepts uploads: checked by `_local_only`)."""
    store = service().store
    if not isinstance(store, AcceptsUploads):
        raise RuntimeError("the upload page needs a store that accepts uploads")
    return store.workbook_path(unit)


def _limits() -> up.Limits:
    return up.Limits(max_bytes=int(current_app.config.get("UPLOAD_MAX_BYTES") or 10 * up.MiB))


def _token_key() -> str:
    return "upload:" + str((request.view_args or {}).get("token", ""))[:200]


def _guarded(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Resolve the token (error page when invalid) and turn Stop into its response."""

    def wrapped(token: str) -> ResponseReturnValue:
        try:
            unit = _unit(token)
            _local_only(unit)
            return view(token, unit)
        except Stop as stop:
            return stop.response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _lock(unit: Unit) -> str:
    holder = worker_id()
    if not service().jobs.acquire(unit.id, holder, wait=15.0):
        raise Stop(
            page_error(
                503,
                _("Sổ của đơn vị đang được kiểm tra: vui lòng đợi vài giây rồi thử lại."),
            )
        )
    return holder


def _fmt(value: datetime | float | str | None) -> str:
    return fmt_time(value, service().campaign)


def _forms(unit: Unit, now: datetime, recorded: dict[str, FormStatus]) -> list[dict[str, Any]]:
    """What the page shows per form: deadlines, lock, counts, state, findings."""
    svc = service()
    c = svc.campaign
    out = []
    deadline_of = unit_deadlines(svc.engine, c)
    for form in c.forms_for(unit.id):
        st = recorded[form.id]
        deadline = deadline_of(unit.id, form.id)
        locked = deadline.lock and now > deadline.closes
        findings = sorted(
            st.findings, key=lambda f: (f.row is None, f.row or 0, f.severity != "error")
        )
        out.append(
            {
                "form": form,
                "quota": st.quota,
                "rows": st.rows,
                "valid_rows": st.valid_rows,
                "errors": st.errors,
                "warnings": st.warnings,
                **state_fields(st.summary(), page_language(), c.tz),
                "due_iso": deadline.due.astimezone(c.tz).isoformat(),
                "due": _fmt(deadline.due),
                "due_words": fmt_deadline(deadline.due, c),
                "closes_words": fmt_deadline(deadline.closes, c),
                "in_grace": in_grace(deadline.due, deadline.closes, now),
                "left": countdown_text(deadline.due, now),
                "measure": measure(form, unit, st.rows),
                "closes": _fmt(deadline.closes) if deadline.closes != deadline.due else "",
                "opens": _fmt(deadline.opens) if deadline.opens else "",
                "not_open": deadline.opens is not None and now < deadline.opens,
                "locked": locked,
                "lock_at": _fmt(deadline.closes) if deadline.lock else "",
                "submitted_at": _fmt(st.submitted_at),
                "checked_at": _fmt(st.checked_at),
                "findings": [{**asdict(f), "header": form.header_of(f.column)} for f in findings],
            }
        )
    return out


def measure(form: Form, unit: Unit, rows: int) -> dict[str, Any]:
    """What the unit's quota counts: rows, or the total of a column (`max_sum` with
    `quota: true`, e.g. delegates) — with the count so far."""
    rule = next((r for r in form.rules if r.kind == "max_sum" and getattr(r, "quota", False)), None)
    if rule is None:
        return {"kind": "rows", "count": rows}
    column = str(getattr(rule, "column", ""))
    total = 0.0
    if rows and column in form.keys:
        svc = service()
        at = form.keys.index(column)
        current = latest_rows(svc.engine, svc.campaign.id, form.id, official=False, unit=unit.id)
        for row in current.get(unit.id, []):
            value = row[at] if at < len(row) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total += float(value)
    return {"kind": "sum", "count": f"{total:g}", "header": form.header_of(column)}


def _checked(unit: Unit) -> dict[str, FormStatus]:
    """The unit's last check per form; a unit never checked is checked once first (its
    workbook may already hold rows)."""
    svc = service()
    recorded = unit_statuses(svc.engine, svc.campaign, unit.id)
    if any(st.checked for st in recorded.values()):
        return recorded
    holder = worker_id()
    if not svc.jobs.acquire(unit.id, holder, wait=5.0):
        return recorded
    try:
        check_units(svc.workspace, [unit.id], run_id=f"upload-{holder}")
    finally:
        svc.jobs.release(unit.id, holder)
    return unit_statuses(svc.engine, svc.campaign, unit.id)


@bp.get("/<token>")
@_guarded
def page(token: str, unit: Unit) -> ResponseReturnValue:
    """The unit's upload page."""
    svc = service()
    c = svc.campaign
    now = clock.now(c.tz)
    try:
        recorded = _checked(unit)
    except StoreError:  # the check failed: show what is recorded
        recorded = unit_statuses(svc.engine, c, unit.id)
    forms = _forms(unit, now, recorded)
    titles = {f.id: f.title for f in c.forms}
    uploads = up.history(svc.engine, c.id, unit.id)
    subs = up.submissions(svc.engine, c, unit.id)
    deadline_of = unit_deadlines(svc.engine, c)
    closed = up.all_locked(c, now, unit.id, deadline_of)
    return render_template(
        "upload/page.html",
        unit=unit,
        token=token,
        forms=forms,
        detailed=[f for f in forms if f["rows"] or f["findings"] or f["submitted_at"]],
        uploads=[
            {
                "when": _fmt(u.uploaded_at),
                "filename": u.filename,
                "size": up.size_text(u.size) if u.size else "—",
                "accepted": u.accepted,
                "errors": u.errors,
                "warnings": u.warnings,
                "message": u.message,
            }
            for u in uploads
        ],
        submissions=[
            {
                "when": _fmt(s.submitted_at),
                "form": titles.get(s.form, s.form),
                "rows": s.rows,
                "on_time": s.on_time,
            }
            for s in subs
        ],
        closed=closed,
        closed_message=up.all_locked_message(c, unit.id, deadline_of) if closed else "",
        max_size=up.size_text(_limits().max_bytes),
        has_workbook=_workbook_path(unit).exists(),
    )


def _refuse(unit: Unit, token: str, message: str, **record: Any) -> ResponseReturnValue:
    svc = service()
    if record:
        stamp = clock.now().timestamp()
        up.record_upload(
            svc.engine, svc.campaign, unit, accepted=False, message=message, now=stamp, **record
        )
    log_event("upload refused", logging.WARNING, source="web", unit=unit.id)
    flash(message, "error")
    return redirect(url_for("upload.page", token=token))


@bp.post("/<token>/upload")
@csrf.exempt
@limiter.limit("30 per hour", key_func=_token_key)
@_guarded
def upload(token: str, unit: Unit) -> ResponseReturnValue:
    """Check a filled workbook; accepted → it replaces the unit's workbook and is checked."""
    svc = service()
    c = svc.campaign
    limits = _limits()
    request.max_content_length = limits.max_bytes + MULTIPART_SLACK
    try:
        csrf.protect()  # after the size limit is raised (the app-wide one is for webhooks)
        sent = request.files.get("workbook")
    except RequestEntityTooLarge:
        return _refuse(
            unit,
            token,
            up.too_large(request.content_length, limits).message,
            filename=_("(tệp quá lớn)"),
            data=None,
            size=int(request.content_length or 0),
        )
    if sent is None or not sent.filename:
        flash(_("Chưa chọn tệp: bấm «Chọn tệp», chọn sổ Excel đã điền rồi bấm «Gửi lên»."), "error")
        return redirect(url_for("upload.page", token=token))
    data = sent.stream.read(limits.max_bytes + 1)
    record: dict[str, Any] = {"filename": sent.filename, "data": data, "size": len(data)}
    now = clock.now(c.tz)
    stamp = now.timestamp()
    deadline_of = unit_deadlines(svc.engine, c)
    if up.all_locked(c, now, unit.id, deadline_of):
        return _refuse(unit, token, up.all_locked_message(c, unit.id, deadline_of), **record)
    try:
        up.check_package(data, limits, sent.filename)
    except up.UploadRefused as refused:
        if refused.code == "too_large":
            record["data"] = None
        return _refuse(unit, token, refused.message, **record)
    staged = up.staging(c, unit, data)
    target = _workbook_path(unit)
    holder = _lock(unit)
    try:
        try:
            up.check_workbook(
                staged,
                c,
                unit,
                now=now,
                current=target if target.exists() else None,
                deadline=deadline_of,
            )
        except up.UploadRefused as refused:
            return _refuse(unit, token, refused.message, staged=staged, **record)
        kept = up.record_upload(
            svc.engine, c, unit, accepted=True, message="", staged=staged, now=stamp, **record
        )
        assert kept.stored_path is not None
        up.install(c.base_dir / kept.stored_path, target)
        check_units(svc.workspace, [unit.id], run_id=f"upload-{kept.id}")
    finally:
        svc.jobs.release(unit.id, holder)
        staged.unlink(missing_ok=True)
    svc.jobs.schedule_consolidation()
    recorded = unit_statuses(svc.engine, c, unit.id)
    result = {
        fid: {k: getattr(st, k) for k in _COUNTS} for fid, st in recorded.items() if st.checked
    }
    errors = sum(v.get("errors", 0) for v in result.values())
    warnings = sum(v.get("warnings", 0) for v in result.values())
    if errors:
        message = _(
            "Đã nhận tệp. Kết quả kiểm tra: %(e)d lỗi, %(w)d cảnh báo — xem bảng bên dưới, "
            "sửa trong sổ rồi gửi lại.",
            e=errors,
            w=warnings,
        )
        category = "warning"
    else:
        message = _(
            "Đã nhận tệp. Không có lỗi (%(w)d cảnh báo). Kiểm tra lại rồi bấm «Nộp».",
            w=warnings,
        )
        category = "success"
    up.set_result(svc.engine, kept.id, result, message)
    log_event("upload", source="web", unit=unit.id, upload=kept.id, errors=errors)
    flash(message, category)
    return redirect(url_for("upload.page", token=token))


_COUNTS = ("rows", "valid_rows", "errors", "warnings")


@bp.get("/<token>/workbook.xlsx")
@_guarded
def workbook(token: str, unit: Unit) -> ResponseReturnValue:
    """The unit's workbook, with the feedback of the last check written in."""
    path = _workbook_path(unit)
    if not path.exists():
        return page_error(
            404,
            _("Chưa có sổ của đơn vị: liên hệ ban tổ chức để được tạo sổ."),
        )
    data = path.read_bytes()  # a snapshot: a concurrent replace cannot tear the download
    resp = send_file(
        _bytes_io(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{unit.id}-phan-hoi.xlsx",
        max_age=0,
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _bytes_io(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


@bp.post("/<token>/submit")
@limiter.limit("30 per hour", key_func=_token_key)
@_guarded
def submit(token: str, unit: Unit) -> ResponseReturnValue:
    """Nộp one form: its current rows become the official snapshot (refusals are shown)."""
    svc = service()
    c = svc.campaign
    form_id = request.form.get("form", "")
    if form_id not in {f.id for f in c.forms}:
        flash(_("Chưa chọn biểu mẫu để nộp."), "error")
        return redirect(url_for("upload.page", token=token))
    form = c.form(form_id)
    holder = _lock(unit)
    try:
        result = jobs.submit_job(
            svc.workspace, unit.id, form_id, f"upload-submit-{int(time.time())}"
        )
    finally:
        svc.jobs.release(unit.id, holder)
    if not result.get("submitted"):
        log_event("submit refused", logging.WARNING, source="web", unit=unit.id, form=form_id)
        flash(_("Chưa nộp được: %(m)s", m=str(result.get("message"))), "error")
        return redirect(url_for("upload.page", token=token))
    svc.jobs.schedule_consolidation()
    when = _fmt(str(result["submitted_at"]))
    if result.get("late"):
        text = _("Đã nộp «%(f)s» lúc %(t)s — TRỄ HẠN.", f=form.title, t=when)
        category = "warning"
    else:
        text = _("Đã nộp «%(f)s» lúc %(t)s — đúng hạn.", f=form.title, t=when)
        category = "success"
    if result.get("corrected"):
        text = _("Nộp bổ sung: %(text)s", text=text)
    log_event("submit", source="web", unit=unit.id, form=form_id, late=bool(result.get("late")))
    flash(text, category)
    return redirect(url_for("upload.page", token=token))


@bp.errorhandler(429)
def _too_many(exc: Exception) -> ResponseReturnValue:
    return page_error(
        429,
        _(
            "Đơn vị đã gửi quá nhiều lần trong một giờ. Hãy đợi một lúc rồi gửi lại; các "
            "tệp đã gửi trước đó vẫn được giữ."
        ),
    )
