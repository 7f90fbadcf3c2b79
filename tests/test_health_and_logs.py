"""Honest health (/readyz, `thidua serve` refusing unwritable folders), error logs that say
what failed without secrets or cell values and without flooding, rate limits that hold
across processes (Redis)."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from tests.service_helpers import SECRET, event, key_of, post_event
from tests.web_helpers import csrf_from, make_organiser
from webhooks import logs


def _read_only_engine(app: Any) -> Any:
    svc = app.extensions["thidua"]
    path = svc.engine.url.database
    return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")


@pytest.fixture
def sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a read-only file is a SQLite case")


def test_readyz_says_why_when_the_database_is_read_only(
    app: Any, client: Any, sqlite_only: None
) -> None:
    assert client.get("/readyz").status_code == 200
    svc = app.extensions["thidua"]
    real, svc.engine = svc.engine, _read_only_engine(app)
    try:
        resp = client.get("/readyz")
    finally:
        svc.engine.dispose()
        svc.engine = real
    assert resp.status_code == 503
    data = resp.get_json()
    assert data["error"] == "not_ready"
    assert data["reasons"] == [
        "Cơ sở dữ liệu kiểm toán không ghi được (chỉ đọc, đầy hoặc mất kết nối)."
    ]


def test_readyz_says_which_folder_is_not_writable(
    app: Any, client: Any, campaign_file: Path
) -> None:
    uploads = campaign_file.parent / ".thidua" / "uploads"
    shutil.rmtree(uploads, ignore_errors=True)
    uploads.parent.mkdir(parents=True, exist_ok=True)
    uploads.write_text("not a folder")  # also unwritable for root, unlike chmod
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["reasons"] == [f"Không ghi được vào thư mục {uploads}."]


def test_serve_refuses_unwritable_folders(campaign_file: Path) -> None:
    from sync.cli import cli

    workbooks = campaign_file.parent / "workbooks"
    shutil.rmtree(workbooks)
    workbooks.write_text("a file where the folder should be")
    result = CliRunner().invoke(cli, ["serve", str(campaign_file), "--port", "0"])
    assert result.exit_code == 2
    assert "Không chạy dịch vụ: không ghi được vào" in result.output
    assert str(workbooks) in result.output and "Traceback" not in result.output


def _lines(err: str, msg: str) -> list[dict[str, Any]]:
    out = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in out if line.get("msg") == msg]


def test_failing_requests_log_class_and_message_once(
    app: Any, client: Any, capfd: Any, sqlite_only: None
) -> None:
    svc = app.extensions["thidua"]
    real, svc.engine = svc.engine, _read_only_engine(app)
    svc.jobs.engine = svc.engine
    capfd.readouterr()
    try:
        codes = [post_event(client, event("DV1", range=f"A{i}")).status_code for i in range(6)]
    finally:
        svc.engine.dispose()
        svc.engine = svc.jobs.engine = real
    assert codes == [500] * 6
    lines = _lines(capfd.readouterr().err, "unhandled error")
    assert len(lines) == 1, lines
    (line,) = lines
    assert line["error"] == "OperationalError"
    assert line["message"] == "attempt to write a readonly database"
    assert "INSERT" not in json.dumps(line) and "nv@example.vn" not in json.dumps(line)


def test_error_messages_drop_sql_parameters_and_secrets(capfd: Any) -> None:
    logs.configure()
    logs.register_secret(SECRET)
    exc = OperationalError(
        "INSERT INTO snapshots (rows) VALUES (?)",
        ("Lò Thị Mai, 1985",),
        Exception("disk I/O error"),
    )
    other = RuntimeError(f"cannot reach postgresql://thidua:hunter2hunter2@db/x with {SECRET}")
    key = f"rate-test-{uuid.uuid4().hex}"
    assert logs.log_error(key, exc, unit="DV1")
    assert not logs.log_error(key, exc, unit="DV1")  # the same error again: suppressed
    assert logs.log_error(key + "-2", other)
    err = capfd.readouterr().err
    first = _lines(err, key)[0]
    assert (first["error"], first["message"], first["unit"]) == (
        "OperationalError",
        "disk I/O error",
        "DV1",
    )
    second = _lines(err, key + "-2")[0]
    assert second["message"] == "cannot reach postgresql://thidua:***@db/x with ***"
    assert "Lò Thị Mai" not in err and "hunter2" not in err and SECRET not in err


def test_repeats_are_counted_when_the_window_ends(capfd: Any, monkeypatch: Any) -> None:
    logs.configure()
    key = f"window-test-{uuid.uuid4().hex}"
    exc = ValueError("boom")
    monkeypatch.setattr(logs, "ERROR_EVERY", 0.0)
    assert logs.log_error(key, exc)
    monkeypatch.setattr(logs, "ERROR_EVERY", 3600.0)
    for _ in range(4):
        assert not logs.log_error(key, exc)
    monkeypatch.setattr(logs, "ERROR_EVERY", 0.0)
    assert logs.log_error(key, exc)
    lines = _lines(capfd.readouterr().err, key)
    assert [line.get("repeated") for line in lines] == [None, 4]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_event_and_login_limits_hold_across_processes(
    service_config: dict[str, Any], campaign_file: Path, redis_url: str
) -> None:
    """This process's app and a `thidua serve` process share one Redis: their counts add up."""
    import os
    import subprocess
    import sys
    import time

    import requests

    from webhooks import create_app
    from webhooks.signing import HEADER, sign

    prefix = f"thidua-test:{uuid.uuid4().hex}"
    config = {
        **service_config,
        "REDIS_URL": redis_url,
        "RATE_PER_MINUTE": 3.0,
        "RATE_LIMIT_PREFIX": prefix,
        "REDIS_QUEUE": prefix,
    }
    here = create_app(config)
    port = _free_port()
    env = {
        **os.environ,
        "THIDUA_SECRET": SECRET,
        "THIDUA_DATABASE_URL": str(service_config["DATABASE_URL"]),
        "THIDUA_REDIS_URL": redis_url,
        "THIDUA_RATE_PER_MINUTE": "3",
        "THIDUA_RATE_LIMIT_PREFIX": prefix,
        "THIDUA_RQ_QUEUE": prefix,
        "THIDUA_WORKER": "none",
    }
    root = Path(__file__).resolve().parents[1]
    other = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "serve", str(campaign_file), "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        local = here.test_client()
        http = requests.Session()

        def remote_event(i: int) -> int:
            body = json.dumps(event("DV1", range=f"B{i}")).encode()
            header = {HEADER: sign(key_of("DV1"), "POST", "/hooks/sheets", body)}
            headers = {**header, "Content-Type": "application/json"}
            return http.post(base + "/hooks/sheets", data=body, headers=headers).status_code

        codes = [
            post_event(local, event("DV1", range="A1")).status_code,
            remote_event(1),
            post_event(local, event("DV1", range="A2")).status_code,
            remote_event(2),
        ]
        assert codes == [202, 202, 202, 429]
        assert post_event(local, event("DV2"), key_of("DV2")).status_code == 202

        make_organiser(here)
        tries = []
        for i in range(6):
            if i % 2 == 0:
                token = csrf_from(local.get("/login").get_data(as_text=True))
                form = {"csrf_token": token, "username": "bantochuc", "password": "sai-mat-khau"}
                tries.append(local.post("/login", data=form).status_code)
            else:
                token = csrf_from(http.get(base + "/login").text)
                form = {"csrf_token": token, "username": "bantochuc", "password": "sai-mat-khau"}
                tries.append(http.post(base + "/login", data=form).status_code)
        assert tries == [401, 401, 401, 401, 401, 429]
    finally:
        other.terminate()
        other.wait(10)
        here.extensions["thidua"].close()
