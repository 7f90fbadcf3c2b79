"""What the web pages ask of the queue's job runner (`sync.operations.jobs.JobRunner`).

Payloads are hints: every job re-reads the sheets through the store. Feedback writes are
idempotent (a store answers False when nothing changed), so a job re-run after a crash
changes nothing more than the first run did. Uploads kept while a unit's workbook was busy
are applied by the runner before its check, in the service's threads and in RQ workers
alike.
"""

from __future__ import annotations

from typing import Any

from sync.operations.jobs import COUNTS

__all__ = ["COUNTS", "JobHandler"]


class JobHandler:
    """The service's validation of one unit, as an upload or a test calls it."""

    def __init__(self, service: Any) -> None:  # webhooks.service.Service (no import cycle)
        self.service = service

    def validate(self, unit: str, run_id: str) -> dict[str, Any]:
        """Check one unit (the caller holds its lock), after applying the uploads it sent
        while its workbook was busy."""
        result: dict[str, Any] = self.service.runner.validate(unit, run_id)
        return result
