"""POST /hooks/sheets and /hooks/drive: every status code, replay, rate limit, logs."""

from __future__ import annotations

import json
import time

from sqlalchemy import insert, select

from sync.audit.models import Channel, Event
from tests.service_helpers import SECRET, event, key_of, post_event, signed_headers
from webhooks.signing import HEADER


def _events(app):  # type: ignore[no-untyped-def]
    svc = app.extensions["thidua"]
    with svc.engine.connect() as conn:
        return conn.execute(select(Event).order_by(Event.id)).all()


def test_event_is_stored_before_202(app, client) -> None:  # type: ignore[no-untyped-def]
    resp = post_event(client, event("DV1"))
    assert resp.status_code == 202
    event_id = resp.get_json()["event_id"]
    rows = _events(app)
    assert [(e.id, e.unit, e.kind, e.status, e.source) for e in rows] == [
        (event_id, "DV1", "edit", "pending", "sheets")
    ]


def test_malformed_and_incomplete_bodies_are_400(client) -> None:  # type: ignore[no-untyped-def]
    cases = {
        b"{not json": "malformed_json",
        b"[1, 2]": "malformed_json",
        json.dumps({"spreadsheetId": "DV1", "event": "edit"}).encode(): "missing_field",
        json.dumps(event("DV1", sheet=5)).encode(): "invalid_field",
        json.dumps(event("DV1", "delete")).encode(): "invalid_event",
    }
    for body, code in cases.items():
        resp = post_event(client, body)
        assert resp.status_code == 400, body
        data = resp.get_json()
        assert data["error"] == code
        assert data["message"] and "Traceback" not in data["message"]


def test_bad_missing_or_stale_signature_is_401(app, client) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(event("DV1")).encode()
    missing = client.post("/hooks/sheets", data=body, content_type="application/json")
    wrong = client.post("/hooks/sheets", data=body, headers=signed_headers(body, "other"))
    stale = client.post(
        "/hooks/sheets", data=body, headers=signed_headers(body, None, int(time.time()) - 301)
    )
    tampered = client.post(
        "/hooks/sheets", data=body.replace(b"DV1", b"DV2"), headers=signed_headers(body)
    )
    assert missing.status_code == 401 and missing.get_json()["error"] == "missing_signature"
    for resp in (wrong, stale, tampered):
        assert resp.status_code == 401
        assert resp.get_json()["error"] == "bad_signature"
    assert _events(app) == []


def test_unknown_spreadsheet_is_refused(app, client) -> None:  # type: ignore[no-untyped-def]
    resp = post_event(client, event("NOT-A-UNIT"))
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "unknown_spreadsheet"
    assert _events(app) == []


def test_too_large_body_is_413(app, client) -> None:  # type: ignore[no-untyped-def]
    limit = app.config["MAX_BODY"]
    resp = post_event(client, event("DV1", range="A" * (limit + 10)))
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "payload_too_large"
    assert str(limit) in resp.get_json()["message"]


def test_wrong_method_is_json_405(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/hooks/sheets")
    assert resp.status_code == 405
    assert resp.get_json()["error"] == "method_not_allowed"


def test_replay_is_not_stored_twice(app, client) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(event("DV1")).encode()
    headers = signed_headers(body)
    first = client.post("/hooks/sheets", data=body, headers=headers)
    again = client.post("/hooks/sheets", data=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.get_json() == {"event_id": first.get_json()["event_id"], "duplicate": True}
    assert len(_events(app)) == 1


def test_rate_limit_per_spreadsheet_429(app, client) -> None:  # type: ignore[no-untyped-def]
    from webhooks.ratelimit import TokenBucket

    app.extensions["thidua"].limiter = TokenBucket(3, 60)
    codes = [post_event(client, event("DV1", range=f"A{i}")).status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]
    limited = post_event(client, event("DV1", range="B1"))
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["error"] == "rate_limited"
    assert post_event(client, event("DV2")).status_code == 202  # other spreadsheets go on
    assert len(_events(app)) == 4


def test_logs_are_json_without_secret_or_signature(client, capfd) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(event("DV1")).encode()
    headers = signed_headers(body)
    client.post("/hooks/sheets", data=body, headers=headers)
    client.post("/hooks/sheets", data=body, headers=signed_headers(body, "wrong"))
    err = capfd.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(line.get("event_id") for line in lines)
    assert any(line.get("status") == 401 for line in lines)
    assert SECRET not in err and key_of("DV1") not in err
    assert headers[HEADER].split("v1=")[1] not in err


def _channel(app, token: str = "tok-1") -> None:  # type: ignore[no-untyped-def]
    svc = app.extensions["thidua"]
    with svc.engine.begin() as conn:
        conn.execute(
            insert(Channel).values(
                id="ch-1",
                campaign=svc.campaign.id,
                unit="DV2",
                spreadsheet="DV2",
                token=token,
                created_at=time.time(),
            )
        )


def test_drive_channel_checked_sync_accepted_update_enqueued(app, client) -> None:  # type: ignore[no-untyped-def]
    _channel(app)
    base = {"X-Goog-Channel-ID": "ch-1", "X-Goog-Channel-Token": "tok-1"}
    assert (
        client.post("/hooks/drive", headers={**base, "X-Goog-Channel-Token": "x"}).status_code
        == 401
    )
    assert client.post("/hooks/drive", headers={"X-Goog-Channel-ID": "nope"}).status_code == 401
    assert (
        client.post("/hooks/drive", headers={**base, "X-Goog-Resource-State": "sync"}).status_code
        == 200
    )
    assert _events(app) == []
    resp = client.post("/hooks/drive", headers={**base, "X-Goog-Resource-State": "update"})
    assert resp.status_code == 202
    assert [(e.unit, e.source, e.kind) for e in _events(app)] == [("DV2", "drive", "change")]
