"""Change signals: `/hooks/sheets` (signed, Apps Script) and `/hooks/drive` (Drive push).

A stored event is durable before `202` is answered. A replayed event (same signature) is
not stored or processed again: the answer is `202` with the ORIGINAL event id and
`"duplicate": true` — a client that retries after a lost answer gets the same receipt.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from sync import i18n
from sync.audit.models import Channel

from .errors import json_error
from .guard import Refused, rate_limit, service, signed_body
from .logs import log_event

bp = Blueprint("hooks", __name__, url_prefix="/hooks")

EVENTS = ("edit", "change", "check", "submit", "ping")
"""`ping`: the add-on has reached the service (menu opened, trigger installed); recorded
for `thidua provision --check-addon`, nothing to check."""
FIELDS = ("spreadsheetId", "sheet", "range", "user", "event")


def parse_event(body: bytes) -> dict[str, str]:
    """The event body, checked: five string fields, `event` one of EVENTS."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(json_error(400, "malformed_json", i18n.t("api.bad_json"))) from None
    if not isinstance(data, dict):
        raise Refused(json_error(400, "malformed_json", i18n.t("api.not_an_object")))
    missing = [f for f in FIELDS if f not in data]
    if missing:
        raise Refused(
            json_error(
                400,
                "missing_field",
                i18n.t("api.missing_fields", fields=", ".join(missing)),
                fields=missing,
            )
        )
    wrong = [f for f in FIELDS if not isinstance(data[f], str)]
    if wrong:
        raise Refused(
            json_error(
                400,
                "invalid_field",
                i18n.t("api.fields_not_strings", fields=", ".join(wrong)),
                fields=wrong,
            )
        )
    if data["event"] not in EVENTS:
        raise Refused(
            json_error(
                400,
                "invalid_event",
                i18n.t("api.bad_event_type", event=data["event"][:40], types=", ".join(EVENTS)),
            )
        )
    if not data["spreadsheetId"].strip():
        raise Refused(json_error(400, "invalid_field", i18n.t("api.empty_spreadsheet_id")))
    return {f: data[f] for f in FIELDS}


def form_for_tab(tab: str) -> str | None:
    """The form whose tab is `tab`; the only form when the campaign has one."""
    forms = service().campaign.forms
    for form in forms:
        if form.tab == tab:
            return form.id
    return forms[0].id if len(forms) == 1 else None


@bp.post("/sheets")
def sheets() -> Response:
    """A signed change event from the Apps Script add-on."""
    try:
        body, digest = signed_body()
        event = parse_event(body)
        svc = service()
        unit = svc.index.unit_for(event["spreadsheetId"])
        if unit is None:
            raise Refused(
                json_error(
                    404,
                    "unknown_spreadsheet",
                    i18n.t("api.unknown_spreadsheet"),
                )
            )
        rate_limit(event["spreadsheetId"])
        form = None
        if event["event"] == "submit":
            form = form_for_tab(event["sheet"])
            if form is None:
                raise Refused(
                    json_error(
                        400,
                        "unknown_form",
                        i18n.t("api.tab_not_a_form", tab=event["sheet"][:60]),
                    )
                )
        event_id, duplicate = svc.jobs.add_event(
            source="sheets",
            spreadsheet=event["spreadsheetId"],
            unit=unit.id,
            kind=event["event"],
            form=form,
            payload=event,
            digest=digest,
            status="done" if event["event"] == "ping" else "pending",
        )
    except Refused as refused:
        log_event(
            "event refused",
            logging.WARNING,
            source="sheets",
            status=refused.response.status_code,
            path=request.path,
        )
        return refused.response
    log_event(
        "event",
        source="sheets",
        event_id=event_id,
        unit=unit.id,
        kind=event["event"],
        duplicate=duplicate,
    )
    answer: dict[str, Any] = {"event_id": event_id}
    if duplicate:
        answer["duplicate"] = True
    resp = jsonify(answer)
    resp.status_code = 202
    return resp


@bp.post("/drive")
def drive() -> Response:
    """A Drive push notification: channel id and token must match a stored channel."""
    svc = service()
    channel_id = request.headers.get("X-Goog-Channel-ID", "")
    token = request.headers.get("X-Goog-Channel-Token", "")
    state = request.headers.get("X-Goog-Resource-State", "")
    with svc.engine.connect() as conn:
        channel = conn.execute(
            select(Channel).where(
                (Channel.id == channel_id) & (Channel.campaign == svc.campaign.id)
            )
        ).first()
    if channel is None or not hmac.compare_digest(channel.token.encode(), token.encode()):
        log_event("drive refused", logging.WARNING, source="drive", status=401)
        return json_error(401, "unknown_channel", i18n.t("api.bad_channel"))
    if state == "sync":
        log_event("drive sync", source="drive", unit=channel.unit)
        return Response(status=200)
    if state not in ("update", "change"):
        log_event("drive ignored", source="drive", unit=channel.unit, state=state[:20])
        return Response(status=200)
    event_id, _dup = svc.jobs.add_event(
        source="drive",
        spreadsheet=channel.spreadsheet,
        unit=channel.unit,
        kind="change",
        payload={"state": state, "channel": channel_id},
        digest=None,
    )
    log_event("event", source="drive", event_id=event_id, unit=channel.unit, kind="change")
    resp = jsonify({"event_id": event_id})
    resp.status_code = 202
    return resp
