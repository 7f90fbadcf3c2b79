"""JSON API: campaign progress, one unit's status (the Apps Script sidebar), submission.

Unit endpoints are signed like events, with the key of the unit that owns the spreadsheet
in the path (`X-Thidua-Signature` over "<t>.<METHOD>.<path>." + the raw body, empty for
GET); a signature is accepted once. `/api/campaign/status` needs an organiser session or
a unit-signed request (`?spreadsheet=<id>`), which sees only its own unit. Status comes
from the audit database (the last check); a unit never checked is checked once,
synchronously, under its spreadsheet lock.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sync import clock, i18n
from sync.audit import campaign_statuses, unit_statuses
from sync.campaign import Unit
from sync.feedback import state_fields
from sync.operations import check_units, jobs
from sync.progress import progress
from sync.rules.engine import UnitSummary

from .errors import json_error
from .guard import (
    Refused,
    rate_limit,
    raw_body,
    remember,
    request_signature,
    service,
    verify_unit,
)
from .logs import log_event
from .queue.worker import worker_id
from .signing import HEADER

bp = Blueprint("api", __name__, url_prefix="/api")


def _summaries() -> list[UnitSummary]:
    """The last recorded summary of every (unit, form); never checked → not started."""
    svc = service()
    return [st.summary() for st in campaign_statuses(svc.engine, svc.campaign).values()]


def _campaign_reader() -> Unit | None:
    """None for a signed-in organiser; the unit of a unit-signed request; else 401."""
    from .auth import current_user

    if current_user() is not None:
        return None
    spreadsheet = request.args.get("spreadsheet", "")
    if not spreadsheet:
        if request.headers.get(HEADER):
            raise Refused(json_error(400, "missing_spreadsheet", i18n.t("api.missing_spreadsheet")))
        raise Refused(json_error(401, "unauthorized", i18n.t("api.login_or_signature")))
    sig = request_signature()
    unit = _unit(spreadsheet)
    verify_unit(unit, raw_body(), sig)
    remember(unit, sig)
    return unit


@bp.get("/campaign/status")
def campaign_status() -> Response:
    """Completeness and timeliness per form, rolled up by parent (from the last checks);
    a unit sees only its own rows."""
    try:
        reader = _campaign_reader()
    except Refused as refused:
        return refused.response
    svc = service()
    c = svc.campaign
    summaries = _summaries()
    answer: dict[str, Any] = {"campaign": c.id, "title": c.info.title}
    answer["now"] = clock.now(c.tz).isoformat()
    if reader is None:
        answer["progress"] = [p.as_dict() for p in progress(c, summaries)]
    else:
        answer["unit"] = reader.id
        summaries = [s for s in summaries if s.unit == reader.id]
    return jsonify(
        {
            **answer,
            "units": [
                {
                    "unit": s.unit,
                    "form": s.form,
                    "rows": s.rows,
                    "errors": s.errors,
                    **state_fields(s, c.language, c.tz),
                }
                for s in summaries
            ],
        }
    )


def _unit(spreadsheet: str) -> Unit:
    unit = service().index.unit_for(spreadsheet)
    if unit is None:
        raise Refused(
            json_error(
                404,
                "unknown_spreadsheet",
                i18n.t("api.unknown_spreadsheet"),
            )
        )
    return unit


def _locked(unit: Unit) -> str:
    """Take the spreadsheet's lock for a synchronous check; 503 when busy too long."""
    holder = worker_id()
    if not service().jobs.acquire(unit.id, holder, wait=10.0):
        raise Refused(json_error(503, "busy", i18n.t("api.busy")))
    return holder


def unit_payload(unit: Unit) -> dict[str, Any]:
    """The sidebar's JSON: the unit and, per form, counts, state and findings."""
    svc = service()
    c = svc.campaign
    recorded = unit_statuses(svc.engine, c, unit.id)
    forms = []
    for form in c.forms_for(unit.id):
        st = recorded[form.id]
        forms.append(
            {
                "form": form.id,
                "title": form.title,
                "quota": st.quota,
                "rows": st.rows,
                "valid_rows": st.valid_rows,
                "errors": st.errors,
                "warnings": st.warnings,
                **state_fields(st.summary(), c.language, c.tz),
                "due": st.due or form.deadline_for(unit.id).due.astimezone(c.tz).isoformat(),
                "checked_at": st.checked_at,
                "findings": [
                    {
                        "row": f.row,
                        "column": f.column,
                        "header": form.header_of(f.column),
                        "severity": f.severity,
                        "message": f.message,
                    }
                    for f in st.findings
                ],
            }
        )
    return {
        "unit": {
            "id": unit.id,
            "name": unit.name,
            "parent": unit.parent,
            "spreadsheet": svc.index.spreadsheet_of(unit.id),
        },
        "forms": forms,
    }


@bp.get("/units/<spreadsheet>/status")
def unit_status(spreadsheet: str) -> Response:
    """The unit's last check; checked now when it never was."""
    try:
        sig = request_signature()
        unit = _unit(spreadsheet)
        verify_unit(unit, raw_body(), sig)
        remember(unit, sig)
        svc = service()
        if not any(st.checked for st in unit_statuses(svc.engine, svc.campaign, unit.id).values()):
            holder = _locked(unit)
            try:
                check_units(svc.workspace, [unit.id], run_id=f"api-{holder}")
            finally:
                svc.jobs.release(unit.id, holder)
    except Refused as refused:
        return refused.response
    log_event("unit status", source="api", unit=unit.id)
    return jsonify(unit_payload(unit))


@bp.post("/units/<spreadsheet>/submit")
def unit_submit(spreadsheet: str) -> Response:
    """Submit a form now (body `{"form": id}`, optional with a single form)."""
    try:
        body = raw_body()
        sig = request_signature()
        unit = _unit(spreadsheet)
        digest = verify_unit(unit, body, sig)
        rate_limit(spreadsheet)
        svc = service()
        try:
            data = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise Refused(json_error(400, "malformed_json", i18n.t("api.bad_json"))) from None
        form_id = data.get("form") if isinstance(data, dict) else None
        if form_id is None and len(svc.campaign.forms) == 1:
            form_id = svc.campaign.forms[0].id
        if not isinstance(form_id, str) or form_id not in {f.id for f in svc.campaign.forms}:
            known = ", ".join(f.id for f in svc.campaign.forms)
            raise Refused(json_error(400, "unknown_form", i18n.t("api.choose_form", known=known)))
        event_id, duplicate = svc.jobs.add_event(
            source="api",
            spreadsheet=spreadsheet,
            unit=unit.id,
            kind="submit",
            form=form_id,
            payload={"form": form_id},
            digest=digest,
            status="done",
        )
        if duplicate:
            raise Refused(
                json_error(409, "duplicate", i18n.t("api.already_received"), event_id=event_id)
            )
        holder = _locked(unit)
        try:
            result = jobs.submit_job(svc.workspace, unit.id, form_id, f"api-{event_id}")
        finally:
            svc.jobs.release(unit.id, holder)
        svc.jobs.schedule_consolidation()
    except Refused as refused:
        log_event(
            "submit refused", logging.WARNING, source="api", status=refused.response.status_code
        )
        return refused.response
    log_event("submit", source="api", unit=unit.id, form=form_id, **result)
    if not result.get("submitted"):
        return json_error(422, "submission_refused", str(result.get("message")))
    when = result["submitted_at"]
    late = bool(result["late"])
    form = svc.campaign.form(form_id)
    return jsonify(
        {
            "event_id": event_id,
            "unit": unit.id,
            "form": form_id,
            "submitted_at": when,
            "late": late,
            "message": i18n.t("api.submitted", form=form.title, unit=unit.name)
            + (i18n.t("api.submitted.late") if late else i18n.t("api.submitted.on_time")),
        }
    )
