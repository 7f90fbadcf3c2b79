"""A service process killed with SIGKILL while a job holds a unit's workbook: after a
restart of `thidua serve` (production lease, real waitress) the job resumes within 30 s,
an upload sent while the dead worker's lease still held the workbook is kept and then
checked, and temporary files the dead process left are removed."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl
import requests
from sqlalchemy import create_engine, select

from sync.audit.models import Job, Upload
from sync.campaign import load_campaign
from sync.links import make_link
from tests.service_helpers import SECRET, event, key_of, make_campaign
from webhooks.signing import HEADER, sign

ROOT = Path(__file__).resolve().parents[1]
STALLING = textwrap.dedent(
    """
    import pathlib, sys, time
    import sync.operations.jobs as jobs

    marker = pathlib.Path(sys.argv[2])

    def stalls(*args, **kwargs):
        marker.write_text("running")
        time.sleep(600)

    jobs.validate_jobs = stalls  # what the job runner's check calls
    import waitress
    from webhooks import create_app

    app = create_app({"CAMPAIGN": sys.argv[1], "SECRET": sys.argv[4], "DATABASE_URL": sys.argv[3],
                      "WORKER": "thread", "POLL_SECONDS": 0.05, "DEBOUNCE_SECONDS": 0.1,
                      "COOKIE_SECURE": False})
    waitress.serve(app, host="127.0.0.1", port=int(sys.argv[5]))
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        assert proc.poll() is None, "the service exited"
        try:
            requests.get(base + "/healthz", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("the service did not start")


def rows_of(engine: Any, query: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def test_sigkill_then_restart_resumes_jobs_and_keeps_uploads(tmp_path: Path) -> None:
    campaign_file = make_campaign(tmp_path / "campaign")
    db_url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    marker = tmp_path / "running"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    first = subprocess.Popen(
        [
            sys.executable,
            "-c",
            STALLING,
            str(campaign_file),
            str(marker),
            db_url,
            SECRET,
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    second = None
    try:
        wait_up(base, first)
        body = json.dumps(event("DV1", "check")).encode()
        headers = {HEADER: sign(key_of("DV1"), "POST", "/hooks/sheets", body)}
        resp = requests.post(base + "/hooks/sheets", data=body, headers=headers, timeout=10)
        assert resp.status_code == 202
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the job never started"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)

        # what a process killed mid-write leaves behind (old), and a file being written now
        stale = [
            campaign_file.parent / ".thidua" / "uploads" / "DV1" / ".incoming-999.part",
            campaign_file.parent / "workbooks" / ".DV1.x1y2.tmp",
        ]
        for path in stale:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"half")
            os.utime(path, (time.time() - 3600, time.time() - 3600))
        fresh = campaign_file.parent / "workbooks" / ".DV2.busy.tmp"
        fresh.write_bytes(b"being written")

        env = {**os.environ, "THIDUA_SECRET": SECRET, "THIDUA_DATABASE_URL": db_url}
        second = subprocess.Popen(
            [sys.executable, "-m", "sync.cli", "serve", str(campaign_file), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_up(base, second)
        restarted = time.monotonic()
        assert [p.exists() for p in stale] == [False, False]
        assert fresh.exists()

        engine = create_engine(db_url)
        (job,) = rows_of(engine, select(Job.id, Job.status, Job.attempts).where(Job.unit == "DV1"))
        assert job.status == "running"  # still held by the dead worker's lease

        # an upload while the dead worker's lease still holds DV1's workbook
        campaign = load_campaign(campaign_file)
        far = datetime.now(timezone.utc) + timedelta(days=3)
        token = make_link(campaign, SECRET, campaign.unit("DV1"), far).token
        book = campaign_file.parent / "workbooks" / "DV1.xlsx"
        wb = openpyxl.load_workbook(book)
        wb["Danh sách"].cell(row=2, column=1, value="Lò Thị Mai")
        wb["Danh sách"].cell(row=2, column=2, value=1985)
        wb.save(tmp_path / "filled.xlsx")
        http = requests.Session()
        page = http.get(f"{base}/u/{token}", timeout=60).text
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert csrf is not None
        sent = http.post(
            f"{base}/u/{token}/upload",
            data={"csrf_token": csrf.group(1)},
            files={"workbook": ("so.xlsx", (tmp_path / "filled.xlsx").read_bytes())},
            timeout=60,
        )
        assert sent.status_code == 200
        assert "sẽ được kiểm tra trong ít phút" in sent.text
        (kept,) = rows_of(engine, select(Upload.id, Upload.state, Upload.stored_path))
        assert kept.state == "received"
        assert (campaign_file.parent / kept.stored_path).exists()

        # within 30 s of the restart: the job resumed and the upload was checked
        while time.monotonic() < restarted + 30:
            (job,) = rows_of(
                engine, select(Job.id, Job.status, Job.attempts).where(Job.id == job.id)
            )
            (kept,) = rows_of(engine, select(Upload.id, Upload.state, Upload.accepted))
            if job.status == "done" and kept.state != "received":
                break
            time.sleep(0.2)
        assert (job.status, job.attempts) == ("done", 2)
        assert (kept.state, kept.accepted) == ("accepted", True)
        assert openpyxl.load_workbook(book)["Danh sách"].cell(row=2, column=1).value == (
            "Lò Thị Mai"
        )
        engine.dispose()
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
