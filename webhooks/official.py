"""The official list of a form: print page (A4 landscape) and Word download.

Both render one `sync.official.OfficialList`, read from the audit database in one
transaction. When a unit was never checked (a fresh start), a full check runs first, so
the page never shows a half-built list.
"""

from __future__ import annotations

import io

from flask import Blueprint, render_template, request, send_file
from flask.typing import ResponseReturnValue

from sync import clock
from sync.audit import campaign_statuses
from sync.audit.records import official_rows_of
from sync.errors import ThiduaError
from sync.official import OfficialList, build_official_list

from .auth import login_required
from .dashboard import Busy, _failed, _unknown_form, ascii_name, fresh_consolidation
from .guard import service
from .logs import log_event

bp = Blueprint("official", __name__)
SCOPES = ("da_nop", "hop_le")


def _scope() -> str:
    scope = request.args.get("pham_vi", "da_nop")
    return "hop_le" if scope in ("hop_le", "tat_ca") else "da_nop"


def official_list(form_id: str, all_valid: bool) -> OfficialList:
    """The list as recorded now; a never-checked unit triggers a full check first."""
    svc = service()
    c = svc.campaign
    form = c.form(form_id)
    checks = campaign_statuses(svc.engine, c)
    if any(not (st := checks.get((u.id, form.id))) or not st.checked for u in c.units):
        fresh_consolidation()
    rows, submitted, errors = official_rows_of(svc.engine, c.id, form.id, include_live=all_valid)
    return build_official_list(
        c, form, rows, submitted, errors, clock.now(c.tz), all_valid=all_valid
    )


@bp.get("/dashboard/print/<form_id>")
@login_required
def print_list(form_id: str) -> ResponseReturnValue:
    """The official list to print: `?pham_vi=da_nop` (default) the submitted rows;
    `?pham_vi=hop_le` also the valid rows of units that have not submitted (marked)."""
    c = service().campaign
    if not any(f.id == form_id for f in c.forms):
        return _unknown_form(form_id)
    scope = _scope()
    try:
        doc = official_list(form_id, scope == "hop_le")
    except (Busy, ThiduaError) as exc:
        return _failed(exc)
    return render_template("dashboard/print.html", form=c.form(form_id), doc=doc, scope=scope)


@bp.get("/dashboard/download/<form_id>.docx")
@login_required
def download_docx(form_id: str) -> ResponseReturnValue:
    """The same official list as a Word document (Nghị định 30/2020 layout)."""
    from sync.official_docx import docx_bytes

    c = service().campaign
    if not any(f.id == form_id for f in c.forms):
        return _unknown_form(form_id)
    scope = _scope()
    try:
        doc = official_list(form_id, scope == "hop_le")
    except (Busy, ThiduaError) as exc:
        return _failed(exc)
    data = docx_bytes(doc)
    log_event("download", source="web", kind="docx", form=form_id, rows=doc.row_count)
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        as_attachment=True,
        download_name=f"{ascii_name(c.id)}-{ascii_name(form_id)}.docx",
    )


__all__ = ["bp", "official_list"]
