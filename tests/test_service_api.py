"""JSON API shapes: health, campaign progress, a unit's status (sidebar), submission."""

from __future__ import annotations

import json

from tests.service_helpers import key_of, signed_get, signed_headers, write_rows
from tests.web_helpers import make_organiser, sign_in

FORM_KEYS = {
    "form",
    "title",
    "quota",
    "rows",
    "valid_rows",
    "errors",
    "warnings",
    "state",
    "state_label",
    "due",
    "findings",
}


def test_health_and_readiness(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["database"] == "ok"


def test_readyz_503_when_database_is_gone(app, client) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    svc = app.extensions["thidua"]
    real, svc.engine = svc.engine, create_engine("sqlite:////nonexistent/dir/x.db")
    try:
        resp = client.get("/readyz")
    finally:
        svc.engine.dispose()
        svc.engine = real
    assert resp.status_code == 503
    assert resp.get_json()["error"] == "database_unavailable"


def test_unit_status_is_signed_and_shaped_for_the_sidebar(client, campaign_file) -> None:  # type: ignore[no-untyped-def]
    write_rows(campaign_file, "DV1", [["Lò Thị Mai", 1985], ["", 1800]])
    assert client.get("/api/units/DV1/status").status_code == 401
    assert signed_get(client, "/api/units/NOPE/status", key_of("DV1")).status_code == 404
    resp = signed_get(client, "/api/units/DV1/status", key_of("DV1"))
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["unit"]["id"] == "DV1" and data["unit"]["name"] == "Đơn vị Một"
    (form,) = data["forms"]
    assert set(form) >= FORM_KEYS
    assert (form["form"], form["quota"], form["rows"], form["valid_rows"], form["errors"]) == (
        "ds",
        3,
        2,
        1,
        2,
    )
    assert form["state"] == "in_progress" and form["state_label"]
    assert {(f["row"], f["column"], f["header"], f["severity"]) for f in form["findings"]} == {
        (3, "ho_ten", "Họ và tên", "error"),
        (3, "nam_sinh", "Năm sinh", "error"),
    }
    assert all(f["message"] for f in form["findings"])


def test_submit_refused_with_errors_then_accepted(client, campaign_file) -> None:  # type: ignore[no-untyped-def]
    write_rows(campaign_file, "DV2", [["", 1800]])
    body = json.dumps({"form": "ds"}).encode()
    sub = "/api/units/DV2/submit"
    refused = client.post(sub, data=body, headers=signed_headers(body, key_of("DV2"), path=sub))
    assert refused.status_code == 422
    assert refused.get_json()["error"] == "submission_refused"
    assert "lỗi" in refused.get_json()["message"]

    write_rows(campaign_file, "DV2", [["Vàng A Sử", 1979]])
    body2 = json.dumps({"form": "ds", "n": 2}).encode()
    headers = signed_headers(body2, key_of("DV2"), path=sub)
    ok = client.post(sub, data=body2, headers=headers)
    assert ok.status_code == 200
    data = ok.get_json()
    assert (data["unit"], data["form"], data["late"]) == ("DV2", "ds", False)
    assert "đúng hạn" in data["message"]
    replay = client.post("/api/units/DV2/submit", data=body2, headers=headers)
    assert replay.status_code == 409

    status = signed_get(client, "/api/units/DV2/status", key_of("DV2")).get_json()
    assert status["forms"][0]["state"] == "submitted_on_time"
    assert client.get("/api/campaign/status").status_code == 401
    own = signed_get(client, "/api/campaign/status?spreadsheet=DV2", key_of("DV2")).get_json()
    assert own["unit"] == "DV2" and "progress" not in own
    assert [(u["unit"], u["state"]) for u in own["units"]] == [("DV2", "submitted_on_time")]
    make_organiser(client.application)
    sign_in(client)
    progress = client.get("/api/campaign/status").get_json()
    overall = next(p for p in progress["progress"] if p["group"] == "*")
    assert (overall["expected"], overall["submitted"], overall["on_time"]) == (2, 1, 1)
    assert overall["completeness"] == 0.5


def test_submit_unknown_form_is_400(client) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"form": "khong_co"}).encode()
    sub = "/api/units/DV1/submit"
    resp = client.post(sub, data=body, headers=signed_headers(body, path=sub))
    assert resp.status_code == 400 and resp.get_json()["error"] == "unknown_form"
