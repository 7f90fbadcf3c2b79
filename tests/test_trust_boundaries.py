"""A unit acts only as itself: attacks with unit DV1's Apps Script key against unit DV2,
forged sessions and links, reworded and replayed signatures — through the Flask test
client and through a real waitress server on loopback."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from sync.audit.models import Event, SignatureUse, User
from sync.keys import derive
from sync.links import make_link
from tests.service_helpers import SECRET, event, key_of, signed_headers
from tests.web_helpers import PASSWORD, csrf_from, make_organiser
from webhooks.signing import HEADER, sign

A, B = "DV1", "DV2"
KEY_A = key_of(A)


@dataclass
class Answer:
    status: int
    data: Any
    headers: dict[str, str]


class Caller:
    """The same requests through the Flask test client or HTTP to a waitress server."""

    def __init__(self, app: Any, base: str | None) -> None:
        self.app = app
        self.base = base
        self.http = requests.Session() if base else None
        self.client = None if base else app.test_client()

    def call(self, method: str, path: str, **kw: Any) -> Answer:
        if self.http is not None:
            resp = self.http.request(method, self.base + path, allow_redirects=False, **kw)
            try:
                data = resp.json()
            except ValueError:
                data = resp.text
            return Answer(resp.status_code, data, dict(resp.headers))
        assert self.client is not None
        cookies = kw.pop("cookies", None) or {}
        for name, value in cookies.items():
            self.client.set_cookie(name, value)
        resp = self.client.open(path, method=method, **kw)
        data = resp.get_json(silent=True)
        return Answer(resp.status_code, data if data is not None else resp.text, resp.headers)

    def login(self, username: str = "bantochuc") -> None:
        page = self.call("GET", "/login")
        token = csrf_from(page.data)
        done = self.call(
            "POST",
            "/login",
            data={"csrf_token": token, "username": username, "password": PASSWORD},
        )
        assert done.status == 302

    def session_cookie(self) -> str:
        if self.http is not None:
            return str(self.http.cookies.get("thidua_session"))
        assert self.client is not None
        cookie = self.client.get_cookie("thidua_session")
        assert cookie is not None
        return cookie.value


@pytest.fixture(params=["flask", "waitress"])
def caller(request: pytest.FixtureRequest, app: Any) -> Iterator[Caller]:
    if request.param == "flask":
        yield Caller(app, None)
        return
    import waitress

    app.config["SESSION_COOKIE_SECURE"] = False  # plain HTTP on loopback, like `make run`
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)

    def serve() -> None:
        with contextlib.suppress(OSError):  # its sockets closed under select() at shutdown
            server.run()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield Caller(app, f"http://127.0.0.1:{server.effective_port}")
    finally:
        server.task_dispatcher.shutdown()
        for channel in list(server._map.values()):
            channel.close()
        thread.join(timeout=10)


def _events(app: Any) -> int:
    with app.extensions["thidua"].engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Event)).scalar_one())


def _post(caller: Caller, path: str, body: bytes, header: str) -> Answer:
    headers = {HEADER: header, "Content-Type": "application/json"}
    return caller.call("POST", path, data=body, headers=headers)


def test_unit_a_key_opens_nothing_of_unit_b(caller: Caller, app: Any) -> None:
    body = json.dumps(event(B, "check")).encode()
    on_b_event = _post(caller, "/hooks/sheets", body, sign(KEY_A, "POST", "/hooks/sheets", body))
    status_path = f"/api/units/{B}/status"
    on_b_status = caller.call(
        "GET", status_path, headers={HEADER: sign(KEY_A, "GET", status_path, b"")}
    )
    submit_path = f"/api/units/{B}/submit"
    sub = json.dumps({"form": "ds"}).encode()
    on_b_submit = _post(caller, submit_path, sub, sign(KEY_A, "POST", submit_path, sub))
    campaign_path = "/api/campaign/status"
    on_b_campaign = caller.call(
        "GET",
        campaign_path + f"?spreadsheet={B}",
        headers={HEADER: sign(KEY_A, "GET", campaign_path, b"")},
    )
    assert [on_b_event.status, on_b_status.status, on_b_submit.status, on_b_campaign.status] == [
        401,
        401,
        401,
        401,
    ]
    assert on_b_event.data["error"] == "bad_signature"
    assert _events(app) == 0
    # the same key works for its own unit
    own = json.dumps(event(A, "check")).encode()
    assert (
        _post(caller, "/hooks/sheets", own, sign(KEY_A, "POST", "/hooks/sheets", own)).status == 202
    )


def test_no_session_or_link_can_be_made_from_a_unit_key(caller: Caller, app: Any) -> None:
    make_organiser(app)
    svc = app.extensions["thidua"]
    with svc.engine.connect() as conn:
        token = conn.execute(select(User.session_token)).scalar_one()
    # a session cookie for the organiser (even with the real session token), signed with
    # the unit key or with what the old code derived from a shared secret
    for key in (KEY_A, derive(KEY_A, "flask-session")):
        forger = Flask("forger")
        forger.secret_key = key
        serializer = forger.session_interface.get_signing_serializer(forger)  # type: ignore[attr-defined]
        for data in ({"name": "bantochuc", "s": token}, {"name": "bantochuc", "v": 1}):
            cookie = serializer.dumps({"user": data})
            resp = caller.call("GET", "/dashboard", cookies={"thidua_session": cookie})
            assert resp.status == 302 and "/login" in resp.headers["Location"]
    # an upload link for unit B with an expiry of the attacker's choosing
    far = datetime.now(timezone.utc) + timedelta(days=3650)
    for key in (KEY_A, derive(KEY_A, "unit-upload-links")):
        link = make_link(svc.campaign, key, svc.campaign.unit(B), far)
        assert caller.call("GET", f"/u/{link.token}").status == 403
        assert caller.call("GET", f"/u/{link.token}/workbook.xlsx").status == 403


def test_reworded_forged_and_cross_path_signatures_are_refused(caller: Caller, app: Any) -> None:
    body = json.dumps(event(A)).encode()
    t = int(time.time())
    good = sign(KEY_A, "POST", "/hooks/sheets", body, t)
    v1 = good.split("v1=")[1]
    reworded = [
        f"t={t},v1={v1.upper()}",  # uppercase hex
        f"t={t},v1={v1},v1={v1}",  # repeated v1
        f"t={t},v1={'0' * 64},v1={v1}",  # a junk v1 before the good one
        f"t={t}, v1={v1}",  # extra space
        f"t={t} ,v1={v1}",
        f"t={t},v1={v1},v0=x",  # unknown key
        f"v1={v1},t={t}",  # other order
        f"t={t},t={t},v1={v1}",  # repeated t
        f"t=+{t},v1={v1}",
        f"t=0{t},v1={v1}",
        f"t={t},v1={v1[:-1]}",  # short
        f"t={t - 301},v1={sign(KEY_A, 'POST', '/hooks/sheets', body, t - 301)[-64:]}",  # stale
        sign(SECRET, "POST", "/hooks/sheets", body, t),  # the server's key is no unit's key
    ]
    for header in reworded:
        resp = _post(caller, "/hooks/sheets", body, header)
        assert resp.status == 401, header
    assert _events(app) == 0
    # the good one once; the exact replay is answered with the first receipt, not stored
    first = _post(caller, "/hooks/sheets", body, good)
    again = _post(caller, "/hooks/sheets", body, good)
    assert first.status == again.status == 202
    assert again.data == {"event_id": first.data["event_id"], "duplicate": True}
    assert _events(app) == 1
    # a /hooks/sheets signature is refused on the submit and status endpoints
    for path in (f"/api/units/{A}/submit", f"/api/units/{A}/status"):
        method = "POST" if path.endswith("submit") else "GET"
        resp = caller.call(method, path, data=body, headers={HEADER: good})
        assert resp.status == 401, path
    # and a GET signature is refused for POST on the same path
    status_path = f"/api/units/{A}/status"
    get_sig = sign(KEY_A, "GET", status_path, b"")
    assert caller.call("POST", f"/api/units/{A}/submit", headers={HEADER: get_sig}).status == 401


def test_status_signature_is_used_once_across_restarts(
    caller: Caller, app: Any, service_config: dict[str, Any]
) -> None:
    path = f"/api/units/{A}/status"
    header = {HEADER: sign(KEY_A, "GET", path, b"")}
    assert caller.call("GET", path, headers=header).status == 200
    assert caller.call("GET", path, headers=header).status == 409
    from webhooks import create_app

    other = create_app(service_config)  # another process, same database
    try:
        assert other.test_client().get(path, headers=header).status_code == 409
    finally:
        other.extensions["thidua"].close()
    with app.extensions["thidua"].engine.connect() as conn:
        kept = conn.execute(select(SignatureUse.unit, SignatureUse.path)).all()
    assert [tuple(r) for r in kept] == [(A, path)]


def test_campaign_status_needs_a_session_or_a_unit_signature(caller: Caller, app: Any) -> None:
    path = "/api/campaign/status"
    assert caller.call("GET", path).status == 401
    assert caller.call("GET", path, headers={HEADER: "t=1,v1=" + "0" * 64}).status == 400
    own = caller.call(
        "GET", f"{path}?spreadsheet={A}", headers={HEADER: sign(KEY_A, "GET", path, b"")}
    )
    assert own.status == 200
    assert own.data["unit"] == A and "progress" not in own.data
    assert {u["unit"] for u in own.data["units"]} == {A}
    make_organiser(app)
    caller.login()
    full = caller.call("GET", path)
    assert full.status == 200 and {u["unit"] for u in full.data["units"]} == {A, B}
    assert full.data["progress"]


def test_logout_and_password_change_end_captured_sessions(caller: Caller, app: Any) -> None:
    from sync.users import set_password

    make_organiser(app)
    caller.login()
    captured = caller.session_cookie()
    assert caller.call("GET", "/dashboard").status == 200
    page = caller.call("GET", "/dashboard")
    caller.call("POST", "/logout", data={"csrf_token": csrf_from(page.data)})
    replayed = caller.call("GET", "/dashboard", cookies={"thidua_session": captured})
    assert replayed.status == 302 and "/login" in replayed.headers["Location"]

    caller.login()
    captured = caller.session_cookie()
    svc = app.extensions["thidua"]
    set_password(svc.engine, svc.campaign.id, "bantochuc", PASSWORD + "-moi")
    replayed = caller.call("GET", "/dashboard", cookies={"thidua_session": captured})
    assert replayed.status == 302


def test_new_accounts_do_not_share_a_session_state(app: Any) -> None:
    from sync.users import add_user

    svc = app.extensions["thidua"]
    one = add_user(svc.engine, svc.campaign.id, "mot", PASSWORD)
    two = add_user(svc.engine, svc.campaign.id, "hai", PASSWORD)
    assert len(one.session_token) >= 40 and one.session_token != two.session_token


def test_rotated_key_stops_at_once_and_the_new_one_works(app: Any, client: Any) -> None:
    from sync.keys import rotate

    svc = app.extensions["thidua"]
    rotated = rotate(svc.engine, SECRET, svc.campaign.id, A)
    assert rotated.generation == 2 and rotated.key == key_of(A, 2) != KEY_A
    body = json.dumps(event(A, "check")).encode()
    assert (
        client.post("/hooks/sheets", data=body, headers=signed_headers(body, KEY_A)).status_code
        == 401
    )
    new = signed_headers(body, rotated.key)
    assert client.post("/hooks/sheets", data=body, headers=new).status_code == 202
    # B's key is untouched
    body_b = json.dumps(event(B, "check")).encode()
    ok_b = client.post("/hooks/sheets", data=body_b, headers=signed_headers(body_b, key_of(B)))
    assert ok_b.status_code == 202


def test_thidua_keys_prints_each_units_key_and_rotates_one(
    campaign_file: Any, db_url: str, monkeypatch: Any
) -> None:
    from click.testing import CliRunner

    from sync.cli import cli

    monkeypatch.setenv("THIDUA_SECRET", SECRET)
    monkeypatch.setenv("THIDUA_DATABASE_URL", db_url)
    run = CliRunner().invoke
    listed = run(cli, ["keys", str(campaign_file), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == [
        {"unit": "DV1", "key": key_of("DV1")},
        {"unit": "DV2", "key": key_of("DV2")},
    ]
    assert SECRET not in listed.output
    table = run(cli, ["keys", str(campaign_file), "--unit", "DV2"])
    assert (
        table.exit_code == 0 and key_of("DV2") in table.output and key_of("DV1") not in table.output
    )
    rotated = run(
        cli, ["keys", str(campaign_file), "--rotate", "--unit", "DV1", "--format", "json"]
    )
    assert rotated.exit_code == 0
    assert json.loads(rotated.stdout) == [{"unit": "DV1", "key": key_of("DV1", 2)}]
    again = json.loads(run(cli, ["keys", str(campaign_file), "--format", "json"]).output)
    assert again == [
        {"unit": "DV1", "key": key_of("DV1", 2)},
        {"unit": "DV2", "key": key_of("DV2")},
    ]
    no_unit = run(cli, ["keys", str(campaign_file), "--rotate"])
    assert no_unit.exit_code == 2 and "--rotate cần --unit" in no_unit.output
    unknown = run(cli, ["keys", str(campaign_file), "--unit", "NOPE"])
    assert unknown.exit_code == 2 and "không có đơn vị 'NOPE'" in unknown.output
