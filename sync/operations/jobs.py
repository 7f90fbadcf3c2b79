"""Queue jobs as operations: what each job kind runs, and the JSON-friendly result kept
with the job (`sync.audit.jobs`). `JobRunner` runs claimed jobs for the service's worker
threads (`webhooks.queue.worker`) and for RQ workers (`sync.operations.rq`)."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

from .. import i18n
from ..audit.jobs import ClaimedJob, JobStore
from ..errors import SubmissionError
from ..logs import log_event
from .checks import check_units
from .consolidation import consolidate
from .submission import submit
from .workspace import Workspace

KINDS = ("validate", "consolidate", "submit")


def run_job(ws: Workspace, kind: str, unit: str, form: str | None, run_id: str) -> dict[str, Any]:
    """Execute one job of `kind`; ValueError for an unknown kind."""
    if kind == "validate":
        return validate_job(ws, unit, run_id)
    if kind == "consolidate":
        return consolidate_job(ws, run_id)
    if kind == "submit":
        return submit_job(ws, unit, form, run_id)
    raise ValueError(f"unknown job kind {kind!r}")


def validate_job(ws: Workspace, unit: str, run_id: str) -> dict[str, Any]:
    """Check one unit (the others' rows from the cache) and write its feedback."""
    return validate_jobs(ws, [unit], run_id)[unit]


def validate_jobs(ws: Workspace, units: list[str], run_id: str) -> dict[str, dict[str, Any]]:
    """Check several units in ONE pass (each read once, the campaign validated once, each
    unit's feedback written): what a burst of events costs stays linear. Result per unit."""
    run = check_units(ws, units, run_id=run_id)
    return {
        unit: {
            "written": [u for u in run.written if u == unit],
            "unchanged": [u for u in run.unchanged if u == unit],
            "write_errors": sorted(u for u in run.write_errors if u == unit),
            "errors": sum(s.errors for s in run.result.summaries if s.unit == unit),
            "batch": len(units),
        }
        for unit in units
    }


def consolidate_job(ws: Workspace, run_id: str) -> dict[str, Any]:
    done = consolidate(ws, run_id=run_id)
    return {"location": done.location, "units": len(done.run.units)}


def submit_job(ws: Workspace, unit: str, form: str | None, run_id: str) -> dict[str, Any]:
    """Submit; a refusal (errors left, locked…) is a result, not a failure."""
    if form is None:
        return {"submitted": False, "message": i18n.t("submit.no_form")}
    try:
        done = submit(ws, unit, form, run_id=run_id)
    except SubmissionError as exc:
        return {"submitted": False, "message": str(exc)}
    return {
        "submitted": True,
        "late": done.late,
        "corrected": done.corrected,
        "submitted_at": done.at.isoformat(),
        "written": done.run.written,
    }


def worker_id() -> str:
    """host:pid:random — unique per worker, stable for its lifetime."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


log = logging.getLogger(__name__)


class JobRunner:
    """Runs claimed jobs of one campaign: the operation, then done or failed (retried)."""

    def __init__(self, ws: Workspace, jobs: JobStore) -> None:
        self.ws = ws
        self.jobs = jobs

    def run(self, job: ClaimedJob) -> dict[str, Any]:
        """Execute one job; returns the JSON-friendly result stored with the job."""
        started = time.perf_counter()
        result = run_job(self.ws, job.kind, job.unit, job.form, f"job-{job.id}")
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        log_event("job", job=job.id, kind=job.kind, unit=job.unit, attempt=job.attempts, **result)
        return result

    def execute_checks(self, claimed: list[ClaimedJob], worker: str) -> None:
        """Several validate jobs as ONE pass; all done, or all failed (retried later)."""
        started = time.perf_counter()
        try:
            found = validate_jobs(self.ws, [j.unit for j in claimed], f"job-{claimed[0].id}")
        except Exception as exc:
            for job in claimed:
                self._failed(job, worker, exc)
            return
        ms = round((time.perf_counter() - started) * 1000, 1)
        for job in claimed:
            result = {**found[job.unit], "ms": ms}
            log_event(
                "job", job=job.id, kind=job.kind, unit=job.unit, attempt=job.attempts, **result
            )
            self.jobs.finish(job, worker, result)
        self.jobs.schedule_consolidation()

    def _failed(self, job: ClaimedJob, worker: str, exc: Exception) -> None:
        log.warning("job %s failed: %s", job.id, type(exc).__name__, exc_info=exc)
        log_event(
            "job failed",
            logging.WARNING,
            job=job.id,
            kind=job.kind,
            unit=job.unit,
            error=type(exc).__name__,
        )
        self.jobs.fail(job, worker, f"{type(exc).__name__}: {exc}")

    def execute(self, job: ClaimedJob, worker: str) -> None:
        """Run a claimed job; record it done, or failed with a retry later. A finished
        validation or submission schedules a consolidation."""
        try:
            result = self.run(job)
        except Exception as exc:
            self._failed(job, worker, exc)
            return
        self.jobs.finish(job, worker, result)
        if job.kind in ("validate", "submit"):
            self.jobs.schedule_consolidation()
