"""Queue jobs as operations: what each job kind runs, and the JSON-friendly result kept
with the job (`sync.audit.jobs`). `JobRunner` runs claimed jobs for the service's worker
threads (`webhooks.queue.worker`) and for RQ workers (`sync.operations.rq`)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from .. import i18n
from .. import uploads as up
from ..audit import unit_statuses
from ..audit.jobs import ClaimedJob, JobStore
from ..audit.official import unit_deadlines
from ..errors import SubmissionError
from ..logs import log_event
from ..stores.capabilities import AcceptsUploads
from .checks import check_units
from .consolidation import consolidate
from .submission import submit
from .workspace import Workspace

KINDS = ("validate", "consolidate", "submit")
COUNTS = ("rows", "valid_rows", "errors", "warnings")


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


def apply_uploads(
    ws: Workspace, engine: Engine, unit: str, limits: up.Limits | None = None
) -> list[tuple[int, bool]]:
    """Check the unit's kept uploads still waiting (oldest first; the caller holds the
    unit's lock), against the unit's OWN deadlines (campaign-file override, extension,
    return) as they stood when each upload was received — a file sent in time stays in
    time while it waits: each accepted one replaces the workbook. [(upload id, accepted)]."""
    store = ws.store
    if not isinstance(store, AcceptsUploads):
        return []
    c = ws.campaign
    waiting = up.pending(engine, c.id, unit)
    if not waiting:
        return []
    target = store.workbook_path(c.unit(unit))
    deadline = unit_deadlines(engine, c)
    done = []
    for record in waiting:
        refused = up.check_kept(
            engine,
            c,
            c.unit(unit),
            record,
            target,
            now=min(ws.now(), datetime.fromtimestamp(record.uploaded_at, c.tz)),
            limits=limits,
            deadline=deadline,
        )
        done.append((record.id, refused is None))
        log_event("upload checked", unit=unit, upload=record.id, accepted=refused is None)
    return done


def record_upload_results(ws: Workspace, engine: Engine, unit: str, applied: list[int]) -> None:
    """The counts of the check that followed accepted uploads, in their history rows."""
    recorded = unit_statuses(engine, ws.campaign, unit)
    counts = {
        fid: {k: getattr(st, k) for k in COUNTS} for fid, st in recorded.items() if st.checked
    }
    errors = sum(v.get("errors", 0) for v in counts.values())
    warnings = sum(v.get("warnings", 0) for v in counts.values())
    for upload_id in applied:
        up.set_result(engine, upload_id, counts, up.result_message(errors, warnings))


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


def _warn(what: str, exc: Exception) -> None:
    log.warning("%s: %s: %s", what, type(exc).__name__, exc)


class Heartbeat:
    """Renews, every `lease / 3` seconds, the leases of what this process holds (its jobs
    and locks, `JobStore.renew`) and anything else that expires with them (`also`: an RQ
    worker's Redis lock). A process that dies stops renewing: its jobs are free again
    within one lease. Used by the service's worker threads and by RQ jobs alike."""

    def __init__(
        self,
        jobs: JobStore,
        also: Callable[[], object] | None = None,
        on_error: Callable[[str, Exception], object] = _warn,
    ) -> None:
        self.jobs = jobs
        self.also = also
        self.on_error = on_error
        self.beats = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def every(self) -> float:
        return max(0.5, self.jobs.lease / 3)

    def beat(self) -> None:
        """One renewal (errors go to `on_error`: the database may come back in time)."""
        try:
            self.jobs.renew()
            if self.also is not None:
                self.also()
            self.beats += 1
        except Exception as exc:
            self.on_error("heartbeat failed", exc)

    def start(self) -> Heartbeat:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="thidua-heartbeat", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.beat()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class JobRunner:
    """Runs claimed jobs of one campaign: the operation, then done or failed (retried).
    The same in the service's threads and in RQ worker processes."""

    def __init__(self, ws: Workspace, jobs: JobStore, upload_limits: up.Limits | None = None):
        self.ws = ws
        self.jobs = jobs
        self.upload_limits = upload_limits

    def check(self, units: list[str], run_id: str) -> dict[str, dict[str, Any]]:
        """Validate `units` in one pass (their locks held), after applying the uploads each
        kept while its workbook was busy (their history rows get the counts of this check)."""
        engine = self.jobs.engine
        applied = {
            u: [i for i, ok in apply_uploads(self.ws, engine, u, self.upload_limits) if ok]
            for u in units
        }
        found = validate_jobs(self.ws, units, run_id)
        for unit, ids in applied.items():
            if ids:
                record_upload_results(self.ws, engine, unit, ids)
                found[unit]["uploads"] = ids
        return found

    def validate(self, unit: str, run_id: str) -> dict[str, Any]:
        """Check one unit (its lock held), its kept uploads first."""
        return self.check([unit], run_id)[unit]

    def run(self, job: ClaimedJob) -> dict[str, Any]:
        """Execute one job; returns the JSON-friendly result stored with the job."""
        started = time.perf_counter()
        if job.kind == "validate":
            result = self.validate(job.unit, f"job-{job.id}")
        else:
            result = run_job(self.ws, job.kind, job.unit, job.form, f"job-{job.id}")
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        log_event("job", job=job.id, kind=job.kind, unit=job.unit, attempt=job.attempts, **result)
        return result

    def execute_checks(self, claimed: list[ClaimedJob], worker: str) -> None:
        """Several validate jobs as ONE pass; all done, or all failed (retried later)."""
        started = time.perf_counter()
        try:
            found = self.check([j.unit for j in claimed], f"job-{claimed[0].id}")
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
