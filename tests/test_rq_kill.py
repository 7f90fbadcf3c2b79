"""A `thidua worker` (RQ) process killed with SIGKILL in the middle of a job: while it
lived, its heartbeat renewed a SHORT lease (and the Redis lock); dead, it renews nothing,
so within a few lease periods the service's dispatcher hands the job to another worker,
which runs it. An upload sent meanwhile is kept, then applied by that job; no temporary
upload file is left behind. Needs Redis and PostgreSQL (skipped with a reason without)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import select

from sync.audit.models import Job, Lock, Upload
from tests.service_helpers import SECRET, event, post_event, status_column
from tests.test_upload_page import post_file, token_for, workbook_with
from webhooks import create_app

ROOT = Path(__file__).resolve().parents[1]
LEASE = 3.0
STALLING = textwrap.dedent(
    """
    import os, pathlib, sys, time
    import sync.operations.jobs as jobs

    marker = pathlib.Path(sys.argv[1])

    def stalls(*args, **kwargs):
        marker.write_text(str(os.getpid()))
        time.sleep(600)

    jobs.validate_jobs = stalls  # this worker hangs in the middle of its check
    from sync.cli import cli

    cli(["worker", sys.argv[2]])
    """
)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A worker in its own process group (RQ forks a work-horse per job: kill both)."""
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def job_row(svc: Any, job_id: int) -> Any:
    with svc.engine.connect() as conn:
        return conn.execute(
            select(Job.status, Job.attempts, Job.worker, Job.lease_until).where(Job.id == job_id)
        ).one()


def test_a_killed_rq_worker_s_job_is_run_by_another_and_an_upload_is_kept(  # type: ignore[no-untyped-def]
    campaign_file, pg_url, redis_url, tmp_path
) -> None:
    queue = f"thidua-kill-{uuid.uuid4().hex[:8]}"
    app = create_app(
        {
            "TESTING": True,
            "CAMPAIGN": str(campaign_file),
            "SECRET": SECRET,
            "DATABASE_URL": pg_url,
            "REDIS_URL": redis_url,
            "REDIS_QUEUE": queue,
            "WORKER": "none",
            "DEBOUNCE_SECONDS": 0.1,
            "CONSOLIDATE_DEBOUNCE_SECONDS": 3600,
            "JOB_LEASE_SECONDS": LEASE,
            "UPLOAD_LOCK_WAIT": 0.0,
        }
    )
    svc = app.extensions["thidua"]
    env = {
        **os.environ,
        "THIDUA_REDIS_URL": redis_url,
        "THIDUA_RQ_QUEUE": queue,
        "THIDUA_DATABASE_URL": pg_url,
        "THIDUA_SECRET": SECRET,
        "THIDUA_JOB_LEASE_SECONDS": str(LEASE),
    }
    marker = tmp_path / "running"
    first = second = None
    try:
        client = app.test_client()
        assert post_event(client, event("DV1", "check")).status_code == 202
        assert svc.worker.tick(now=time.time() + 1) == 1  # handed to RQ
        (job_id,) = [row.id for row in _jobs(svc)]
        first = start(["-c", STALLING, str(marker), str(campaign_file)], env, tmp_path / "w1.log")
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), (tmp_path / "w1.log").read_text(errors="replace")[-2000:]
        time.sleep(1.5 * LEASE)  # past the lease taken at the claim: the heartbeat renewed it
        alive = job_row(svc, job_id)
        assert alive.status == "running" and alive.attempts == 1
        assert alive.lease_until > time.time()  # renewed, not the claim's
        lock_key = f"thidua:lock:{svc.campaign.id}:DV1"
        assert Redis.from_url(redis_url).pttl(lock_key) > 0  # the Redis lock renewed with it
        with svc.engine.connect() as conn:
            holder = conn.execute(select(Lock.holder).where(Lock.name.like("%:DV1"))).scalar()
        assert holder == alive.worker and holder.split(":")[1] == marker.read_text()
        horse = int(marker.read_text())  # RQ runs the job in a forked work-horse (own session)
        kill(first)
        os.kill(horse, signal.SIGKILL)  # the machine went down: the worker and its job

        # meanwhile a unit sends its workbook: kept and queued, never lost
        token = token_for(app, "DV1")
        post_file(client, token, workbook_with(campaign_file, [["Lò Thị Mai", 1985]]))
        with svc.engine.connect() as conn:
            (upload,) = conn.execute(select(Upload.id, Upload.state, Upload.stored_path)).all()
        assert upload.state in ("received", "accepted")  # kept: queued, or checked at once
        assert (campaign_file.parent / upload.stored_path).exists()

        second = start(["-m", "sync.cli", "worker", str(campaign_file)], env, tmp_path / "w2.log")
        killed = time.monotonic()
        ticks = 0
        while time.monotonic() < killed + 20 * LEASE:  # a bound far below the old 300 s lease
            svc.worker.tick()  # the dispatcher: reclaims dead leases, hands jobs to RQ
            ticks += 1
            if job_row(svc, job_id).status == "done":
                break
            time.sleep(0.2)
        done = job_row(svc, job_id)
        assert (done.status, done.attempts) == ("done", 2), (tmp_path / "w2.log").read_text()
        assert done.worker is not None and done.worker != alive.worker  # another process
        # the upload was applied (by that job, or at once if the lease had already run out)
        for _ in range(50):
            with svc.engine.connect() as conn:
                kept = conn.execute(select(Upload.state, Upload.accepted)).one()
            if kept.state != "received":
                break
            svc.worker.tick()
            time.sleep(0.2)
        assert (kept.state, kept.accepted) == ("accepted", True)
        assert status_column(campaign_file, "DV1") == ["✓ Hợp lệ"]
        left = [p.name for p in campaign_file.parent.rglob(".incoming-*")]
        assert left == []
    finally:
        kill(first)
        kill(second)
        svc.close()


def _jobs(svc: Any) -> list[Any]:
    with svc.engine.connect() as conn:
        return list(conn.execute(select(Job.id, Job.unit).order_by(Job.id)).all())
