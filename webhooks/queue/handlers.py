"""What a job does, timed and logged: the operations of `sync.operations.jobs`.

Payloads are hints: every job re-reads the sheets through the store. Feedback writes are
idempotent (a store answers False when nothing changed), so a job re-run after a crash
changes nothing more than the first run did.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sync.audit.jobs import ClaimedJob
from sync.operations import jobs

from ..logs import log_event

if TYPE_CHECKING:
    from ..service import Service


class JobHandler:
    """Runs claimed jobs against the service's workspace."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def run(self, job: ClaimedJob) -> dict[str, Any]:
        """Execute one job; returns a JSON-friendly result stored with the job."""
        started = time.perf_counter()
        result = jobs.run_job(self.service.workspace, job.kind, job.unit, job.form, f"job-{job.id}")
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        log_event("job", job=job.id, kind=job.kind, unit=job.unit, attempt=job.attempts, **result)
        return result

    def run_checks(self, claimed: list[ClaimedJob]) -> dict[int, dict[str, Any]]:
        """Several validate jobs as one pass; a result per job id."""
        started = time.perf_counter()
        units = [job.unit for job in claimed]
        found = jobs.validate_jobs(self.service.workspace, units, f"job-{claimed[0].id}")
        ms = round((time.perf_counter() - started) * 1000, 1)
        out = {}
        for job in claimed:
            result = {**found[job.unit], "ms": ms}
            log_event(
                "job", job=job.id, kind=job.kind, unit=job.unit, attempt=job.attempts, **result
            )
            out[job.id] = result
        return out
