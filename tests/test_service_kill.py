"""A worker killed with SIGKILL mid-job: after a restart the event is processed, and its
feedback is written exactly once in effect (the re-run finds nothing to change)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import select

from sync.audit.models import Event, Job
from tests.service_helpers import event, post_event, status_column, write_rows
from webhooks import create_app

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = textwrap.dedent(
    """
    import pathlib, sys, time
    import sync.pipeline as pipeline

    real = pipeline.run_validation
    marker = pathlib.Path(sys.argv[2])

    def stalls_after_feedback(*args, **kwargs):
        run = real(*args, **kwargs)
        marker.write_text(",".join(run.written))
        time.sleep(600)
        return run

    pipeline.run_validation = stalls_after_feedback
    from webhooks import create_app

    create_app({"CAMPAIGN": sys.argv[1], "SECRET": "x", "DATABASE_URL": sys.argv[3],
                "WORKER": "thread", "POLL_SECONDS": 0.05, "DEBOUNCE_SECONDS": 0.1,
                "JOB_LEASE_SECONDS": 2})
    time.sleep(600)
    """
)


def test_sigkill_mid_job_then_restart(service_config, campaign_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    write_rows(campaign_file, "DV1", [["Lò Thị Mai", 1985], ["Giàng A Páo", 2015]])
    intake = create_app(service_config)
    event_id = post_event(intake.test_client(), event("DV1")).get_json()["event_id"]
    intake.extensions["thidua"].close()

    marker = tmp_path / "fed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SCRIPT,
            str(campaign_file),
            str(marker),
            str(service_config["DATABASE_URL"]),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "the worker never reached the job"
        assert marker.read_text() == "DV1"  # feedback written by the first attempt
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    after_kill = status_column(campaign_file, "DV1")
    assert after_kill[0] == "✓ Hợp lệ" and after_kill[1].startswith("✗")

    restarted = create_app({**service_config, "JOB_LEASE_SECONDS": 2})
    svc = restarted.extensions["thidua"]
    try:
        with svc.engine.connect() as conn:
            job = conn.execute(select(Job).where(Job.kind == "validate")).one()
        assert (job.status, job.attempts) == ("running", 1)
        assert svc.worker.run_until_idle(now=time.time() + 3) >= 1
        with svc.engine.connect() as conn:
            job = conn.execute(select(Job).where(Job.id == job.id)).one()
            ev = conn.execute(select(Event.status).where(Event.id == event_id)).scalar_one()
        assert (job.status, job.attempts, ev) == ("done", 2, "done")
        assert job.result["written"] == [] and job.result["unchanged"] == ["DV1"]
        assert status_column(campaign_file, "DV1") == after_kill
    finally:
        svc.close()
