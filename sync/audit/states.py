"""Submission states in the audit database: the `sync.form_state.States` of a campaign.

`get`/`observe` work on an in-memory copy loaded at construction, `submit` stores the
official snapshot and the submission at once (durably), `save` upserts only the
(unit, form) states that changed, `record` keeps what a check run found.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from .. import i18n
from ..form_state import ClaimMap, FormCheck, FormState
from .db import AuditError, upsert_form_state
from .models import FormStateRow, Snapshot, Submission
from .official import (
    add_extension,
    add_review,
    load_claims,
    load_extensions,
    load_reviews,
    save_claims,
)
from .records import ensure_snapshot, mark_submitted, record_checks

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


class AuditStates:
    """Per (unit, form) states of one campaign kept in the audit database."""

    def __init__(self, engine: Engine, campaign_id: str, due: dict[str, datetime] | None = None):
        self.engine = engine
        self.campaign_id = campaign_id
        self.due = due or {}
        self._data: dict[str, dict[str, FormState]] = {}
        self._saved: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._load()
        self.reviews: dict[tuple[str, str], dict[str, Any]] = load_reviews(engine, campaign_id)
        self.extensions: dict[tuple[str, str], str] = load_extensions(engine, campaign_id)
        self._claims: ClaimMap | None = None

    def claims(self) -> ClaimMap:
        """First-seen times and submitted flags of campaign-wide unique keys (loaded once)."""
        if self._claims is None:
            self._claims = load_claims(self.engine, self.campaign_id)
        return self._claims

    def save_claims(
        self,
        new: list[tuple[str, str, str, float]],
        submitted: list[tuple[str, str, set[str]]] | None = None,
    ) -> None:
        """Store new first-seen claims and the keys of a unit's submitted snapshot."""
        submitted = submitted or []
        if not new and not submitted:
            return
        save_claims(self.engine, self.campaign_id, new, submitted)
        claims = self.claims()
        for form, key, unit, at in new:
            claims.setdefault(form, {}).setdefault(key, {}).setdefault(unit, (at, False))
        for form, unit, keys in submitted:
            for key, owners in claims.get(form, {}).items():
                if unit in owners:
                    owners[unit] = (owners[unit][0], key in keys)

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
        self.reviews[(unit, form)] = dict(review)

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
            raise AuditError.of("audit.read_snapshot", exc=exc) from exc
        if found is None:
            return None
        return [list(r) for r in found.rows], list(found.row_numbers or []) or None

    def add_extension(self, unit: str, form: str, until: str, by: str, at: str) -> None:
        """Record an extension (durably, at once)."""
        add_extension(self.engine, self.campaign_id, unit, form, until, by, at)
        self.extensions[(unit, form)] = until

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
            raise AuditError(i18n.t("audit.states_read_failed", exc=exc)) from exc
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

    def get(self, unit: str, form: str) -> FormState:
        return self._data.setdefault(unit, {}).setdefault(form, FormState())

    def observe(
        self, unit: str, form: str, digest: str, rows: int, valid: bool, now: datetime
    ) -> FormState:
        """Record what was read; timestamps move only when the content changed."""
        state = self.get(unit, form)
        stamp = now.isoformat()
        if state.content_hash != digest:
            if state.content_hash is not None or rows:
                state.last_change_at = stamp
            state.content_hash = digest
            state.rows = rows
            if rows and state.first_entry_at is None:
                state.first_entry_at = stamp
        if valid and rows and state.first_valid_at is None:
            state.first_valid_at = stamp
        return state

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
        state = self.get(unit, form)
        state.submitted_at = now.isoformat()
        state.first_submitted_at = state.first_submitted_at or state.submitted_at
        state.submitted_hash = digest
        state.snapshot = snapshot
        state.snapshot_rows = rows
        state.history.append(
            {"submitted_at": state.submitted_at, "hash": digest, "rows": len(rows)}
        )
        if on_time is None:
            due = self.due.get(form)
            on_time = due is None or now <= due
        try:
            with self.engine.begin() as conn:
                snap_id = ensure_snapshot(
                    conn, self.campaign_id, unit, form, digest, snapshot, rows, now.timestamp()
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
            raise AuditError(i18n.t("audit.snapshot_failed", exc=exc)) from exc
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
            raise AuditError(i18n.t("audit.states_write_failed", exc=exc)) from exc

    def _upsert(
        self, conn: Any, unit: str, form: str, state: FormState, submission_id: int | None = None
    ) -> None:
        """Write only the fields this object changed: jobs of different units run at once
        and each holds every unit's states, so writing whole rows would put back what
        another job changed meanwhile (a submission, a first valid time)."""
        before = self._saved.get((unit, form), _key(FormState()))
        values = {
            f: getattr(state, f)
            for f, old in zip(_STATE_FIELDS, before, strict=True)
            if getattr(state, f) != old
        }
        if submission_id is not None:
            values["submission_id"] = submission_id
        if values:
            upsert_form_state(conn, self.campaign_id, unit, form, values)
        self._saved[(unit, form)] = _key(state)

    def record(self, checks: list[FormCheck], run_id: str, now: datetime) -> None:
        """Keep what a check run found: distinct snapshots, changed findings, summaries."""
        record_checks(self.engine, self.campaign_id, checks, run_id, now)

    def mark_submitted(self, unit: str, form: str, late: bool) -> None:
        mark_submitted(self.engine, self.campaign_id, unit, form, late)

    def as_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Everything loaded, for debugging and tests."""
        keep = {f.name for f in fields(FormState)} - {"snapshot"}
        return {
            u: {f: {k: v for k, v in asdict(s).items() if k in keep} for f, s in forms.items()}
            for u, forms in self._data.items()
        }
