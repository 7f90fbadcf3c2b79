"""Consolidating: check every unit, record it, build the consolidated tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import pipeline
from ..consolidate import Consolidated, build_consolidated
from ..pipeline import Run, Tick
from .workspace import Workspace, new_run_id


@dataclass
class Consolidation:
    """The run behind the tables, the tables, and where the store wrote them (if it did)."""

    run: Run
    tables: Consolidated
    location: str | None = None


def consolidate(
    ws: Workspace,
    *,
    write: bool = True,
    now: datetime | None = None,
    run_id: str | None = None,
    tick: Tick | None = None,
) -> Consolidation:
    """Read and validate every unit (no feedback writes), record the check, build the
    Tổng hợp / per-form / Cần sửa tables and, with `write`, write them to the store."""
    now = now or ws.now()
    states = ws.states()
    run = pipeline.run_validation(
        ws.campaign, ws.store, now=now, states=states, feedback=False, tick=tick, cache=ws.cache
    )
    states.record(run.checks(), run_id or new_run_id("consolidate"), now)
    tables = build_consolidated(ws.campaign, run.result, states, now=now)
    location = str(ws.store.write_consolidated(tables)) if write else None
    return Consolidation(run, tables, location)
