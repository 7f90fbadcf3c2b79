"""Who changed the campaign, and what the service did with the file: audit events
`settings` (a save on the settings page: by whom, old → new), `reload` and
`reload_refused` (the service applied, or refused, a new campaign file)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from ..audit.models import Event
from .edits import Change

KINDS = ("settings", "reload", "reload_refused")


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded configuration event."""

    kind: str
    at: float
    unit: str
    form: str | None
    payload: dict[str, Any]


def record_settings(
    engine: Engine,
    campaign: str,
    *,
    by: str,
    file: str,
    changes: list[Change],
    unit: str = "",
    form: str | None = None,
) -> None:
    """Record a save of the settings page: who, which file, every value old → new."""
    with engine.begin() as conn:
        conn.execute(
            insert(Event).values(
                campaign=campaign,
                received_at=time.time(),
                source="web",
                spreadsheet="",
                unit=unit[:40],
                kind="settings",
                form=form,
                payload={"by": by, "file": file, "changes": [c.as_dict() for c in changes]},
                digest=None,
                status="done",
            )
        )


def history(engine: Engine, campaign: str, limit: int = 30) -> list[HistoryEntry]:
    """The latest configuration events, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.kind, Event.received_at, Event.unit, Event.form, Event.payload)
            .where((Event.campaign == campaign) & Event.kind.in_(KINDS))
            .order_by(Event.id.desc())
            .limit(limit)
        ).all()
    return [
        HistoryEntry(str(k), float(at), str(u or ""), f, dict(p or {})) for k, at, u, f, p in rows
    ]
