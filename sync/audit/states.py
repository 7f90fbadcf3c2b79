"""Submission states in the audit database, with the methods of `sync.form_state.StateFile`.

`AuditStates` is a drop-in for `StateFile` (it subclasses it so `sync.pipeline` and
`sync.consolidate` take it unchanged): `get`/`observe` work on an in-memory copy loaded
at construction, `submit` stores the official snapshot and the submission at once
(durably), `save` upserts only the (unit, form) states that changed.
"""

from __future__ import annotations

import time
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from ..form_state import FormState, StateFile
from .db import AuditError, upsert_form_state
from .models import FormStateRow, Snapshot, Submission
from .official import (
    ClaimMap,
    add_extension,
    add_review,
    load_claims,
    load_extensions,
    load_reviews,
    save_claims,
)

_STATE_FIELDS = [
    "content_hash",
    "rows",
    "first_entry_at",
    "last_change_at",
    "first_valid_at",
    "submitted_at",
    "submitted_hash",
    "first_submitted_at",
    "valid_hash",
    "valid_at",
]


def _key(state: FormState) -> tuple[Any, ...]:
    return tuple(getattr(state, f) for f in _STATE_FIELDS)


class AuditStates(StateFile):
    """Per (unit, form) state kept in the audit database instead of `.thidua/state.json`."""

    def __init__(self, engine: Engine, campaign_id: str, due: dict[str, datetime] | None = None):
        # Deliberately not calling StateFile.__init__: there is no JSON file to load.
        self.path = Path(f"audit:{campaign_id}")
        self.engine = engine
        self.campaign_id = campaign_id
        self.due = due or {}
        self._data: dict[str, dict[str, FormState]] = {}
        self._saved: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._load()
        self.reviews = load_reviews(engine, campaign_id)
        self.extensions = load_extensions(engine, campaign_id)

    def claims(self) -> ClaimMap:
        """First-seen times and submitted flags of campaign-wide unique keys (loaded once)."""
        if not hasattr(self, "_claim_map"):
            self._claim_map = load_claims(self.engine, self.campaign_id)
        return self._claim_map

    def save_claims(
        self,
        new: list[tuple[str, str, str, float]],
        submitted: list[tuple[str, str, set[str]]] = [],  # noqa: B006 - read only
    ) -> None:
        """Store new first-seen claims and the keys of a unit's submitted snapshot."""
        if not new and not submitted:
            return
        save_claims(self.engine, self.campaign_id, new, submitted)
        self.claims()
        super().save_claims(new, submitted)

    def add_review(self, unit: str, form: str, review: dict[str, Any]) -> None:
        """Record an organiser's review (durably, at once)."""
        state = self.get(unit, form)
        sub_id = None
        if state.submitted_at:
            with self.engine.connect() as conn:
                sub_id = conn.execute(
                    select(Submission.id)
                    .where(
                        (Submission.campaign == self.campaign_id)
                        & (Submission.unit == unit)
                        & (Submission.form == form)
                    )
                    .order_by(Submission.id.desc())
                ).scalar()
        add_review(self.engine, self.campaign_id, unit, form, review, sub_id)
        super().add_review(unit, form, review)

    def snapshot_of(
        self, unit: str, form: str, digest: str | None
    ) -> tuple[list[list[Any]], list[int] | None] | None:
        """Rows of a content the unit once had (every distinct content read is kept)."""
        if not digest:
            return None
        try:
            with self.engine.connect() as conn:
                found = conn.execute(
                    select(Snapshot.rows, Snapshot.row_numbers).where(
                        (Snapshot.campaign == self.campaign_id)
                        & (Snapshot.unit == unit)
                        & (Snapshot.form == form)
                        & (Snapshot.content_hash == digest)
                    )
                ).first()
        except SQLAlchemyError as exc:
            raise AuditError(f"Không đọc được bản đã lưu: {exc}") from exc
        if found is None:
            return None
        return [list(r) for r in found.rows], list(found.row_numbers or []) or None

    def add_extension(self, unit: str, form: str, until: str, by: str, at: str) -> None:
        """Record an extension (durably, at once)."""
        add_extension(self.engine, self.campaign_id, unit, form, until, by, at)
        super().add_extension(unit, form, until, by, at)

    @classmethod
    def for_campaign_db(cls, engine: Engine, campaign: Any) -> AuditStates:
        """States of `campaign` (a `sync.campaign.Campaign`) with its forms' deadlines."""
        return cls(engine, campaign.id, {f.id: f.due for f in campaign.forms})

    def _load(self) -> None:
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(FormStateRow).where(FormStateRow.campaign == self.campaign_id)
                ).all()
                subs = conn.execute(
                    select(Submission.unit, Submission.form, Submission.snapshot_id)
                    .where(Submission.campaign == self.campaign_id)
                    .order_by(Submission.id)
                ).all()
                history: dict[tuple[str, str], list[dict[str, Any]]] = {}
                snap_ids: dict[tuple[str, str], int] = {}
                for s in conn.execute(
                    select(Submission).where(Submission.campaign == self.campaign_id)
                ).all():
                    history.setdefault((s.unit, s.form), []).append(
                        {"submitted_at": s.submitted_at, "hash": s.content_hash, "rows": s.rows}
                    )
                for unit, form, snap_id in subs:
                    snap_ids[(unit, form)] = snap_id
                snaps: dict[int, Any] = {}
                if snap_ids:
                    for found in conn.execute(
                        select(Snapshot).where(Snapshot.id.in_(list(snap_ids.values())))
                    ).all():
                        snaps[found.id] = found
        except SQLAlchemyError as exc:
            raise AuditError(f"Không đọc được trạng thái từ cơ sở dữ liệu: {exc}") from exc
        for row in rows:
            state = FormState(**{f: getattr(row, f) for f in _STATE_FIELDS})
            key = (row.unit, row.form)
            if key in snap_ids and snap_ids[key] in snaps:
                snap = snaps[snap_ids[key]]
                state.snapshot = list(snap.rows)
                state.snapshot_rows = list(snap.row_numbers or [])
            state.history = history.get(key, [])
            self._data.setdefault(row.unit, {})[row.form] = state
            self._saved[key] = _key(state)

    def submit(
        self,
        unit: str,
        form: str,
        digest: str,
        snapshot: list[list[Any]],
        rows: list[int],
        now: datetime,
        on_time: bool | None = None,
    ) -> FormState:
        """Freeze the official snapshot: snapshot + submission rows + state, one transaction.

        `on_time`: the timeliness of the unit's *first* submission against its own deadline
        (a correction keeps it); by default this submission against the form's due time.
        """
        state = super().submit(unit, form, digest, snapshot, rows, now)
        if on_time is None:
            due = self.due.get(form)
            on_time = due is None or now <= due
        try:
            with self.engine.begin() as conn:
                snap_id = ensure_snapshot(
                    conn, self.campaign_id, unit, form, digest, snapshot, rows, time.time()
                )
                sub_id = conn.execute(
                    insert(Submission)
                    .values(
                        campaign=self.campaign_id,
                        unit=unit,
                        form=form,
                        submitted_at=state.submitted_at,
                        content_hash=digest,
                        on_time=on_time,
                        rows=len(rows),
                        snapshot_id=snap_id,
                    )
                    .returning(Submission.id)
                ).scalar_one()
                self._upsert(conn, unit, form, state, submission_id=sub_id)
        except SQLAlchemyError as exc:
            raise AuditError(f"Không lưu được bản nộp vào cơ sở dữ liệu: {exc}") from exc
        return state

    def save(self) -> None:
        """Upsert the states that changed since they were loaded or last saved."""
        dirty = [
            (unit, form, state)
            for unit, forms in self._data.items()
            for form, state in forms.items()
            if self._saved.get((unit, form)) != _key(state)
        ]
        if not dirty:
            return
        try:
            with self.engine.begin() as conn:
                for unit, form, state in dirty:
                    self._upsert(conn, unit, form, state)
        except SQLAlchemyError as exc:
            raise AuditError(f"Không lưu được trạng thái vào cơ sở dữ liệu: {exc}") from exc

    def _upsert(
        self, conn: Any, unit: str, form: str, state: FormState, submission_id: int | None = None
    ) -> None:
        values = {f: getattr(state, f) for f in _STATE_FIELDS}
        if submission_id is not None:
            values["submission_id"] = submission_id
        upsert_form_state(conn, self.campaign_id, unit, form, values)
        self._saved[(unit, form)] = _key(state)

    def as_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Everything loaded, for debugging and tests."""
        keep = {f.name for f in fields(FormState)} - {"snapshot"}
        return {
            u: {f: {k: v for k, v in asdict(s).items() if k in keep} for f, s in forms.items()}
            for u, forms in self._data.items()
        }


def _cell(value: Any) -> Any:
    """A JSON-safe cell: NA/NaN/NaT → "" (as leadership sees it), other objects as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return "" if value != value else value
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def ensure_snapshot(
    conn: Any,
    campaign_id: str,
    unit: str,
    form: str,
    digest: str,
    rows: list[list[Any]],
    row_numbers: list[int] | None,
    now: float,
) -> int:
    """The id of the (unit, form, hash) snapshot, inserting it when it is new."""
    where = (
        (Snapshot.campaign == campaign_id)
        & (Snapshot.unit == unit)
        & (Snapshot.form == form)
        & (Snapshot.content_hash == digest)
    )
    found = conn.execute(select(Snapshot.id).where(where)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            insert(Snapshot)
            .values(
                campaign=campaign_id,
                unit=unit,
                form=form,
                content_hash=digest,
                rows=[[_cell(v) for v in row] for row in rows],
                row_numbers=row_numbers,
                first_seen_at=now,
            )
            .returning(Snapshot.id)
        ).scalar_one()
    )
