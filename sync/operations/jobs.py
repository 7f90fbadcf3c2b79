"""Queue jobs as operations: what each job kind runs, and the JSON-friendly result kept
with the job (`sync.audit.jobs`). Used by the service's worker threads and RQ workers."""

from __future__ import annotations

from typing import Any

from .. import i18n
from ..errors import SubmissionError
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
    run = check_units(ws, [unit], run_id=run_id)
    return {
        "written": run.written,
        "unchanged": run.unchanged,
        "write_errors": sorted(run.write_errors),
        "errors": sum(s.errors for s in run.result.summaries if s.unit == unit),
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
        "submitted_at": done.at.isoformat(),
        "written": done.run.written,
    }
