"""Checking units: read, validate, write feedback, record what was found."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from .. import pipeline
from ..pipeline import Run, Tick, read_units
from .workspace import Workspace, new_run_id


def check_units(
    ws: Workspace,
    units: Collection[str] | None = None,
    *,
    feedback: bool = True,
    now: datetime | None = None,
    run_id: str | None = None,
    tick: Tick | None = None,
) -> Run:
    """Validate the campaign, write feedback to the selected `units` (default: all) and
    record their findings, snapshots and summaries."""
    now = now or ws.now()
    states = ws.states()
    run = pipeline.run_validation(
        ws.campaign,
        ws.store,
        now=now,
        states=states,
        units=units,
        feedback=feedback,
        tick=tick,
        cache=ws.cache,
    )
    states.record(run.checks(), run_id or new_run_id("check"), now)
    return run


def warm_cache(ws: Workspace) -> None:
    """Read every unit once into the workspace's sheet cache (a long-running process), so
    the first events read only their own unit."""
    if ws.cache is not None:
        ws.cache.fill(list(ws.campaign.units), lambda todo: read_units(ws.store, todo))
