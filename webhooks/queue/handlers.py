"""What a job does, timed and logged: the operations of `sync.operations.jobs`.

Payloads are hints: every job re-reads the sheets through the store. Feedback writes are
idempotent (a store answers False when nothing changed), so a job re-run after a crash
changes nothing more than the first run did.
"""

from __future__ import annotations

import time
from typing import Any

from sync.audit.jobs import ClaimedJob
from sync.operations import jobs

from ..logs import log_event

COUNTS = ("rows", "valid_rows", "errors", "warnings")


class JobHandler:
    """Runs claimed jobs against the service's workspace."""

    def __init__(self, service: Any) -> None:  # webhooks.service.Service (no import cycle)
        self.service = service

    def run(self, job: ClaimedJob) -> dict[str, Any]:
        """Execute one job; returns a JSON-friendly result stored with the job."""
        started = time.perf_counter()
        run_id = f"job-{job.id}"
        if job.kind == "validate":
            result = self.validate(job.unit, run_id)
        else:
            result = jobs.run_job(self.service.workspace, job.kind, job.unit, job.form, run_id)
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        log_event("job", job=job.id, kind=job.kind, unit=job.unit, attempt=job.attempts, **result)
        return result

    def apply_uploads(self, unit: str) -> list[tuple[int, bool]]:
        """Check the unit's kept uploads still waiting (oldest first; the caller holds the
        unit's lock): each accepted one replaces the workbook. [(upload id, accepted)]."""
        from sync import clock
        from sync import uploads as up
        from sync.stores.capabilities import AcceptsUploads

        svc = self.service
        c = svc.campaign
        store = svc.store
        if not isinstance(store, AcceptsUploads):
            return []
        waiting = up.pending(svc.engine, c.id, unit)
        if not waiting:
            return []
        target = store.workbook_path(c.unit(unit))
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
        """Check one unit, after applying the uploads it sent while its workbook was busy
        (their history rows get the counts of this check)."""
        from sync import uploads as up
        from sync.audit import unit_statuses

        svc = self.service
        applied = [i for i, ok in self.apply_uploads(unit) if ok]
        result = jobs.validate_job(svc.workspace, unit, run_id)
        if applied:
            recorded = unit_statuses(svc.engine, svc.campaign, unit)
            counts = {
                fid: {k: getattr(st, k) for k in COUNTS}
                for fid, st in recorded.items()
                if st.checked
            }
            errors = sum(v.get("errors", 0) for v in counts.values())
            warnings = sum(v.get("warnings", 0) for v in counts.values())
            for upload_id in applied:
                up.set_result(svc.engine, upload_id, counts, up.result_message(errors, warnings))
            result["uploads"] = applied
        return result
