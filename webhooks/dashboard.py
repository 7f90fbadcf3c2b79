"""Organiser dashboard (DESIGN §7): progress per form, drill-down, downloads, print list.

Pages read the audit database (the last recorded checks), never the sheets. Downloads of
the consolidated workbook and CSV run a fresh consolidation (like the `consolidate` job),
under the consolidation lock only while reading and validating.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Blueprint, Response, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sync import clock
from sync.audit import campaign_statuses, unit_statuses
from sync.audit.jobs import CONSOLIDATE
from sync.consolidate import Consolidated
from sync.errors import ThiduaError
from sync.operations import consolidate
from sync.stores.capabilities import ExportsXlsx

from .auth import login_required
from .charts import progress_chart
from .dashboard_data import (
    BADGES,
    finding_lines,
    fmt_pct,
    form_view,
    state_text,
)
from .errors import page_error
from .formats import countdown_text, fmt_time
from .guard import service
from .logs import log_event
from .queue.worker import worker_id

bp = Blueprint("dashboard", __name__)
LOCK_WAIT = 30.0  # seconds a download waits for a running consolidation


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("dashboard.index"))


@bp.get("/dashboard")
@login_required
def index() -> ResponseReturnValue:
    """Per form: deadline, progress chart, the units table rolled up by parent."""
    svc = service()
    c = svc.campaign
    now = clock.now(c.tz)
    checks = campaign_statuses(svc.engine, c)
    views = [form_view(c, form, checks, now) for form in c.forms]
    charts = {
        v.form.id: progress_chart(
            f"chart-{v.form.id}",
            _("Tiến độ nộp: %(form)s", form=v.form.title),
            v.progress,
        )
        for v in views
    }
    countdowns = {v.form.id: countdown_text(v.form.due, now) for v in views}
    checked = [t.checked_at for t in checks.values() if t.checked_at]
    return render_template(
        "dashboard/index.html",
        views=views,
        charts=charts,
        countdowns=countdowns,
        last_check=fmt_time(max(checked), c) if checked else "",
        now_text=now.strftime("%d/%m/%Y %H:%M"),
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
    forms = []
    for form in c.forms:
        st = recorded[form.id]
        state = st.state if st.checked else "unchecked"
        forms.append(
            {
                "form": form,
                "status": st,
                "shares": [(k, fmt_pct(v)) for k, v in st.shares.items()],
                "state": state,
                "state_label": state_text(state),
                "badge": BADGES.get(state, "idle"),
                "checked_at": fmt_time(st.checked_at, c),
                "last_change": fmt_time(st.last_change_at, c),
                "submitted_at": fmt_time(st.submitted_at, c),
                "findings": finding_lines(form, st.findings),
            }
        )
    parent = c.unit(found.parent) if found.parent else None
    return render_template("dashboard/unit.html", unit=found, parent=parent, forms=forms)


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
    writer = csv.writer(out, lineterminator="\r\n")
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
