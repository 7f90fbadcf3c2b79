"""What a job does: re-read the unit's sheet, validate, write feedback, consolidate, submit.

Payloads are hints: every job re-reads the sheets through the store. Feedback writes are
idempotent (a store answers False when nothing changed), so a job re-run after a crash
changes nothing more than the first run did.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sync import clock
from sync.audit import AuditStates, record_run
from sync.audit.jobs import ClaimedJob
from sync.audit.records import mark_submitted
from sync.errors import SubmissionError

from ..logs import log_event

if TYPE_CHECKING:
    from ..service import Service


class JobHandler:
    """Runs claimed jobs against the campaign's store and audit database."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def states(self) -> AuditStates:
        return AuditStates.for_campaign_db(self.service.engine, self.service.campaign)

    def run(self, job: ClaimedJob) -> dict[str, Any]:
        """Execute one job; returns a JSON-friendly result stored with the job."""
        started = time.perf_counter()
        if job.kind == "validate":
            result = self.validate(job.unit, f"job-{job.id}")
        elif job.kind == "consolidate":
            result = self.consolidate(f"job-{job.id}")
        elif job.kind == "submit":
            result = self.submit(job.unit, job.form, f"job-{job.id}")
        else:
            raise ValueError(f"unknown job kind {job.kind!r}")
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        log_event("job", job=job.id, kind=job.kind, unit=job.unit, attempt=job.attempts, **result)
        return result

    def validate(self, unit: str, run_id: str) -> dict[str, Any]:
        from sync.pipeline import run_validation

        svc = self.service
        c = svc.campaign
        run = run_validation(
            c, svc.store, now=clock.now(c.tz), states=self.states(), units=[unit], cache=svc.sheets
        )
        record_run(svc.engine, run, run_id, units=[unit])
        return {
            "written": run.written,
            "unchanged": run.unchanged,
            "write_errors": sorted(run.write_errors),
            "errors": sum(s.errors for s in run.result.summaries if s.unit == unit),
        }

    def consolidate(self, run_id: str) -> dict[str, Any]:
        from sync.consolidate import build_consolidated
        from sync.pipeline import run_validation

        svc = self.service
        c = svc.campaign
        states = self.states()
        run = run_validation(
            c, svc.store, now=clock.now(c.tz), states=states, feedback=False, cache=svc.sheets
        )
        record_run(svc.engine, run, run_id)
        location = svc.store.write_consolidated(build_consolidated(c, run.result, states))
        return {"location": str(location), "units": len(run.units)}

    def submit(self, unit: str, form: str | None, run_id: str) -> dict[str, Any]:
        """Submit; a refusal (errors left, locked…) is a result, not a failure."""
        from sync.pipeline import submit

        svc = self.service
        c = svc.campaign
        if form is None:
            return {"submitted": False, "message": "Chưa chọn biểu mẫu để nộp."}
        now = clock.now(c.tz)
        try:
            late, run = submit(
                c, svc.store, unit, form, now=now, states=self.states(), cache=svc.sheets
            )
        except SubmissionError as exc:
            return {"submitted": False, "message": str(exc)}
        record_run(svc.engine, run, run_id, units=[unit])
        mark_submitted(svc.engine, c.id, unit, form, late)
        return {
            "submitted": True,
            "late": late,
            "submitted_at": now.isoformat(),
            "written": run.written,
        }
