"""Scale-out with real Redis + PostgreSQL: the dispatcher hands jobs to RQ and a
`thidua worker` process runs them under the per-spreadsheet lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import select

from sync.audit.models import Job
from tests.service_helpers import SECRET, event, post_event, status_column, write_rows
from webhooks import create_app

ROOT = Path(__file__).resolve().parents[1]


def test_rq_worker_processes_jobs(campaign_file, pg_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    queue = f"thidua-test-{uuid.uuid4().hex[:8]}"
    config = {
        "CAMPAIGN": str(campaign_file),
        "SECRET": SECRET,
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "REDIS_QUEUE": queue,
        "WORKER": "none",
        "DEBOUNCE_SECONDS": 0.2,
        "CONSOLIDATE_DEBOUNCE_SECONDS": 30,
    }
    write_rows(campaign_file, "DV1", [["Lò Thị Mai", 1985]])
    write_rows(campaign_file, "DV2", [["", 1990]])
    app = create_app(config)
    svc = app.extensions["thidua"]
    try:
        client = app.test_client()
        for i in range(3):
            post_event(client, event("DV1", range=f"A{i}"))
        post_event(client, event("DV2"))
        assert svc.worker.tick(now=time.time() + 1) == 2  # two spreadsheets → two RQ jobs
        with svc.engine.connect() as conn:
            assert {j.status for j in conn.execute(select(Job)).all()} == {"enqueued"}
        env = {
            **os.environ,
            "THIDUA_REDIS_URL": redis_url,
            "THIDUA_RQ_QUEUE": queue,
            "THIDUA_DATABASE_URL": pg_url,
            "THIDUA_SECRET": SECRET,
        }
        done = subprocess.run(
            [sys.executable, "-m", "sync.cli", "worker", str(campaign_file), "--burst"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        with svc.engine.connect() as conn:
            jobs = conn.execute(select(Job).order_by(Job.id)).all()
        assert [(j.unit, j.status) for j in jobs if j.kind == "validate"] == [
            ("DV1", "done"),
            ("DV2", "done"),
        ]
        assert status_column(campaign_file, "DV1") == ["✓ Hợp lệ"]
        assert status_column(campaign_file, "DV2")[0].startswith("✗ 1 lỗi")
    finally:
        svc.close()
