"""Submitting: freeze a unit's valid rows as the official snapshot and record it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import pipeline
from ..pipeline import Run
from .workspace import Workspace, new_run_id


@dataclass
class Submitted:
    """A submission that was accepted."""

    unit: str
    form: str
    late: bool
    """The unit's *first* submission was late (a correction keeps its timeliness)."""
    at: datetime
    run: Run
    corrected: bool = False
    """A correction (*bổ sung*): the unit had submitted this form before."""


def submit(
    ws: Workspace,
    unit: str,
    form: str,
    *,
    now: datetime | None = None,
    run_id: str | None = None,
) -> Submitted:
    """Check the unit, then freeze its rows of `form` (SubmissionError, in Vietnamese,
    when the form is locked, empty or still has errors); records the check and the
    submission state."""
    now = now or ws.now()
    states = ws.states()
    late, run = pipeline.submit(
        ws.campaign, ws.store, unit, form, now=now, states=states, cache=ws.cache
    )
    states.record(run.checks(), run_id or new_run_id("submit"), now)
    states.mark_submitted(unit, form, late)
    corrected = len(states.get(unit, form).history) > 1
    return Submitted(unit, form, late, now, run, corrected)
