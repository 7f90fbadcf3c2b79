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


COUNTS = ("rows", "valid_rows", "errors", "warnings")


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

    def apply_uploads(self, unit: str) -> list[tuple[int, bool]]:
        """Check the unit's kept uploads still waiting (oldest first; the caller holds the
        unit's lock): each accepted one replaces the workbook. [(upload id, accepted)]."""
        from sync import uploads as up

        svc = self.service
        c = svc.campaign
        if svc.store.kind != "local":
            return []
        waiting = up.pending(svc.engine, c.id, unit)
        if not waiting:
            return []
        target = svc.store.path(c.unit(unit))  # type: ignore[attr-defined]
        limits = up.Limits(max_bytes=int(svc.config.get("UPLOAD_MAX_BYTES") or 10 * up.MiB))
        done = []
        for record in waiting:
            refused = up.check_kept(
                svc.engine, c, c.unit(unit), record, target, now=clock.now(c.tz), limits=limits
            )
            done.append((record.id, refused is None))
            log_event("upload checked", unit=unit, upload=record.id, accepted=refused is None)
        return done

    def validate(self, unit: str, run_id: str) -> dict[str, Any]:
        from sync import uploads as up
        from sync.audit import unit_forms
        from sync.pipeline import run_validation

        svc = self.service
        c = svc.campaign
        applied = [i for i, ok in self.apply_uploads(unit) if ok]
        run = run_validation(
            c, svc.store, now=clock.now(c.tz), states=self.states(), units=[unit], cache=svc.sheets
        )
        record_run(svc.engine, run, run_id, units=[unit])
        if applied:  # the history shows what the check of those uploads found
            recorded = unit_forms(svc.engine, c.id, unit)
            counts = {
                fid: {k: int(v) for k, v in (rec.get("summary") or {}).items() if k in COUNTS}
                for fid, rec in recorded.items()
            }
            errors = sum(v.get("errors", 0) for v in counts.values())
            warnings = sum(v.get("warnings", 0) for v in counts.values())
            for upload_id in applied:
                up.set_result(svc.engine, upload_id, counts, up.result_message(errors, warnings))
        return {
            "written": run.written,
            "unchanged": run.unchanged,
            "write_errors": sorted(run.write_errors),
            "errors": sum(s.errors for s in run.result.summaries if s.unit == unit),
            "uploads": applied,
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
