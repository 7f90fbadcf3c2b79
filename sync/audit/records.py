"""Recording what a check run read and found, and reading it back as `FormStatus`es."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from .. import i18n
from ..form_state import FormCheck
from ..rules.engine import UnitSummary
from .db import AuditError, upsert_form_state
from .models import FindingRow, FormStateRow, Snapshot, Submission

if TYPE_CHECKING:
    from ..campaign import Campaign

FINDING_FIELDS = ("row", "column", "code", "severity", "message", "value")


def record_checks(
    engine: Engine, campaign_id: str, checks: list[FormCheck], run_id: str, now: datetime
) -> None:
    """Store distinct snapshots, changed findings and the summary of each (unit, form)."""
    stamp = now.timestamp()  # the run's clock (pinned for what-ifs and the demo)
    try:
        with engine.begin() as conn:
            for check in checks:
                snap_id = None
                if check.content_hash is not None:
                    snap_id = ensure_snapshot(
                        conn,
                        campaign_id,
                        check.unit,
                        check.form,
                        check.content_hash,
                        check.rows,
                        check.row_numbers,
                        stamp,
                    )
                digest = hashlib.sha256(
                    json.dumps(
                        check.findings, ensure_ascii=False, sort_keys=True, default=str
                    ).encode()
                ).hexdigest()
                _store_form(conn, campaign_id, check, run_id, snap_id, digest, stamp)
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("audit.record_failed", exc=exc)) from exc


def _store_form(
    conn: Any,
    campaign_id: str,
    check: FormCheck,
    run_id: str,
    snap_id: int | None,
    digest: str,
    now: float,
) -> None:
    where = (
        (FormStateRow.campaign == campaign_id)
        & (FormStateRow.unit == check.unit)
        & (FormStateRow.form == check.form)
    )
    current = conn.execute(
        select(FormStateRow.findings_hash, FormStateRow.summary, FormStateRow.submitted_at).where(
            where
        )
    ).first()
    summary = check.summary
    if current is not None and current.submitted_at and summary is not None:
        recorded = str((current.summary or {}).get("state", ""))
        before_submission = ("not_started", "in_progress", "valid", "locked")
        if recorded.startswith("submitted") and str(summary["state"]) in before_submission:
            # a check that read the states before a submission committed meanwhile: once
            # submitted, a form stays submitted (returned / approved are later states)
            summary = {**summary, "state": recorded}
    values: dict[str, Any] = {"summary": summary, "checked_at": now}
    if current is None or current[0] != digest:
        values.update(findings_hash=digest, findings_run=run_id)
        if check.findings:
            conn.execute(
                insert(FindingRow),
                [
                    {
                        "campaign": campaign_id,
                        "run": run_id,
                        "snapshot_id": snap_id,
                        "unit": check.unit,
                        "form": check.form,
                        "checked_at": now,
                        **item,
                    }
                    for item in check.findings
                ],
            )
    upsert_form_state(conn, campaign_id, check.unit, check.form, values)


@dataclass(frozen=True)
class RecordedFinding:
    """A finding as recorded by the last check that changed a form's findings."""

    row: int | None
    column: str | None
    code: str
    severity: str
    message: str
    value: str | None


@dataclass(frozen=True)
class FormStatus:
    """The last recorded check of one (unit, form), as pages and the API show it."""

    unit: str
    form: str
    checked: bool
    """False when the form was never checked (the counts are then zeros)."""
    quota: int | None
    rows: int = 0
    valid_rows: int = 0
    errors: int = 0
    warnings: int = 0
    state: str = "not_started"
    shares: dict[str, float] = field(default_factory=dict)
    checked_at: float | None = None
    last_change_at: str | None = None
    submitted_at: str | None = None
    content_hash: str | None = None
    findings: tuple[RecordedFinding, ...] = ()
    changed_since_submit: bool = False
    """The live sheet differs from the official snapshot."""
    extended: bool = False
    corrections: int = 0
    on_time: bool | None = None
    review: dict[str, Any] | None = None
    """The last review {decision, reason, until, by, at}."""
    due: str | None = None
    """The unit's own due time (override, extension), ISO."""

    def summary(self) -> UnitSummary:
        """As the rules engine summarises a (unit, form) (never checked: not started)."""
        return UnitSummary(
            unit=self.unit,
            form=self.form,
            quota=self.quota,
            rows=self.rows,
            valid_rows=self.valid_rows,
            errors=self.errors,
            warnings=self.warnings,
            shares=dict(self.shares),
            state=self.state,
            changed_since_submit=self.changed_since_submit,
            extended=self.extended,
            corrections=self.corrections,
            on_time=self.on_time,
            review=self.review,
        )


def _status(
    campaign: Campaign,
    unit: str,
    form: str,
    row: Any | None,
    findings: tuple[RecordedFinding, ...] = (),
) -> FormStatus:
    s: dict[str, Any] = (row.summary if row is not None else None) or {}
    if not campaign.form(form).applies(unit):
        return FormStatus(unit=unit, form=form, checked=True, quota=None, state="not_applicable")
    state = str(s.get("state", "not_started"))
    return FormStatus(
        unit=unit,
        form=form,
        checked=bool(s),
        quota=campaign.quota(unit, form),  # in force now (the settings page may change it)
        rows=int(s.get("rows", 0)),
        valid_rows=int(s.get("valid_rows", 0)),
        errors=int(s.get("errors", 0)),
        warnings=int(s.get("warnings", 0)),
        state=state,
        shares=dict(s.get("shares") or {}),
        checked_at=row.checked_at if row is not None else None,
        last_change_at=row.last_change_at if row is not None else None,
        submitted_at=row.submitted_at if row is not None else None,
        content_hash=row.content_hash if row is not None else None,
        findings=findings,
        changed_since_submit=bool(s.get("changed_since_submit", False)),
        extended=bool(s.get("extended", False)),
        corrections=int(s.get("corrections", 0) or 0),
        on_time=s.get("on_time", {"submitted_on_time": True, "submitted_late": False}.get(state)),
        review=s.get("review"),
        due=s.get("due"),
    )


def checked_forms(engine: Engine, campaign_id: str) -> int:
    """How many (unit, form) of the campaign have a recorded check."""
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(FormStateRow)
                    .where(
                        (FormStateRow.campaign == campaign_id) & (FormStateRow.summary.is_not(None))
                    )
                ).scalar_one()
            )
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("audit.read_failed", exc=exc)) from exc


def unit_statuses(engine: Engine, campaign: Campaign, unit: str) -> dict[str, FormStatus]:
    """Per form of the campaign, the unit's last recorded check with its findings."""
    try:
        with engine.connect() as conn:
            rows = {
                st.form: st
                for st in conn.execute(
                    select(FormStateRow).where(
                        (FormStateRow.campaign == campaign.id) & (FormStateRow.unit == unit)
                    )
                ).all()
            }
            found: dict[str, tuple[RecordedFinding, ...]] = {}
            for form, st in rows.items():
                if st.findings_run is None:
                    continue
                found[form] = tuple(
                    RecordedFinding(**{k: getattr(r, k) for k in FINDING_FIELDS})
                    for r in conn.execute(
                        select(FindingRow)
                        .where(
                            (FindingRow.campaign == campaign.id)
                            & (FindingRow.unit == unit)
                            & (FindingRow.form == form)
                            & (FindingRow.run == st.findings_run)
                        )
                        .order_by(FindingRow.id)
                    ).all()
                )
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("audit.read_failed", exc=exc)) from exc
    return {
        f.id: _status(campaign, unit, f.id, rows.get(f.id), found.get(f.id, ()))
        for f in campaign.forms
    }


def campaign_statuses(engine: Engine, campaign: Campaign) -> dict[tuple[str, str], FormStatus]:
    """Every (unit, form)'s last recorded check, without findings, in one query."""
    try:
        with engine.connect() as conn:
            rows = {
                (r.unit, r.form): r
                for r in conn.execute(
                    select(FormStateRow).where(FormStateRow.campaign == campaign.id)
                ).all()
            }
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("audit.read_failed", exc=exc)) from exc
    return {
        (u.id, f.id): _status(campaign, u.id, f.id, rows.get((u.id, f.id)))
        for u in campaign.units
        for f in campaign.forms
    }


def latest_rows(
    engine: Engine, campaign_id: str, form: str, official: bool, unit: str | None = None
) -> dict[str, list[list[Any]]]:
    """Per unit (or for one `unit`), the rows of a form as last read (`official`: as
    submitted) from snapshots."""
    out: dict[str, list[list[Any]]] = {}
    where: Any
    try:
        with engine.connect() as conn:
            if official:
                wanted = {
                    r.unit: r.snapshot_id
                    for r in conn.execute(
                        select(Submission.unit, Submission.snapshot_id)
                        .where((Submission.campaign == campaign_id) & (Submission.form == form))
                        .order_by(Submission.id)
                    ).all()
                    if unit is None or r.unit == unit
                }
                where = Snapshot.id.in_(list(wanted.values()))
            else:
                hashes = {
                    r.unit: r.content_hash
                    for r in conn.execute(
                        select(FormStateRow.unit, FormStateRow.content_hash).where(
                            (FormStateRow.campaign == campaign_id) & (FormStateRow.form == form)
                        )
                    ).all()
                    if r.content_hash and (unit is None or r.unit == unit)
                }
                where = (
                    (Snapshot.campaign == campaign_id)
                    & (Snapshot.form == form)
                    & Snapshot.content_hash.in_(sorted(set(hashes.values())))
                )
            for snap in conn.execute(select(Snapshot).where(where).order_by(Snapshot.id)).all():
                if official and wanted.get(snap.unit) != snap.id:
                    continue
                if not official and hashes.get(snap.unit) != snap.content_hash:
                    continue
                out[snap.unit] = [list(row) for row in snap.rows]
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("audit.read_rows_failed", exc=exc)) from exc
    return out


def mark_submitted(engine: Engine, campaign_id: str, unit: str, form: str, late: bool) -> None:
    """After a submission, the recorded summary's state is the submission state."""
    where = (
        (FormStateRow.campaign == campaign_id)
        & (FormStateRow.unit == unit)
        & (FormStateRow.form == form)
    )
    try:
        with engine.begin() as conn:
            found = conn.execute(select(FormStateRow.summary).where(where)).first()
            if found is None or found[0] is None:
                return
            summary = dict(found[0])
            summary["state"] = "submitted_late" if late else "submitted_on_time"
            summary["on_time"] = not late
            conn.execute(update(FormStateRow).where(where).values(summary=summary))
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("audit.submission_failed", exc=exc)) from exc


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


def official_rows_of(
    engine: Engine, campaign_id: str, form: str, include_live: bool
) -> tuple[dict[str, list[list[Any]]], set[str], dict[str, set[int]]]:
    """What an official list of `form` shows, read in one transaction (one consistent
    snapshot, REPEATABLE READ on PostgreSQL): per unit the submitted rows (and, with
    `include_live`, the rows last read of units that did not submit), the units that
    submitted, and per unit the indexes of rows whose last check found errors."""

    rows: dict[str, list[list[Any]]] = {}
    errors: dict[str, set[int]] = {}
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            submitted = {
                r.unit: r.snapshot_id
                for r in conn.execute(
                    select(Submission.unit, Submission.snapshot_id)
                    .where((Submission.campaign == campaign_id) & (Submission.form == form))
                    .order_by(Submission.id)
                ).all()
            }
            states = {
                r.unit: r
                for r in conn.execute(
                    select(
                        FormStateRow.unit, FormStateRow.content_hash, FormStateRow.findings_run
                    ).where((FormStateRow.campaign == campaign_id) & (FormStateRow.form == form))
                ).all()
            }
            shown: dict[str, Any] = {}
            snaps = conn.execute(
                select(Snapshot).where((Snapshot.campaign == campaign_id) & (Snapshot.form == form))
            ).all()
            by_id = {s.id: s for s in snaps}
            for unit, snap_id in submitted.items():
                if snap_id in by_id:
                    shown[unit] = by_id[snap_id]
            if include_live:
                for snap in snaps:
                    st = states.get(snap.unit)
                    if snap.unit not in shown and st and st.content_hash == snap.content_hash:
                        shown[snap.unit] = snap
            for unit, snap in shown.items():
                rows[unit] = [list(r) for r in snap.rows]
                st = states.get(unit)
                if st is None or st.findings_run is None:
                    continue
                found = conn.execute(
                    select(FindingRow.row).where(
                        (FindingRow.campaign == campaign_id)
                        & (FindingRow.unit == unit)
                        & (FindingRow.form == form)
                        & (FindingRow.run == st.findings_run)
                        & (FindingRow.snapshot_id == snap.id)
                        & (FindingRow.severity == "error")
                    )
                ).all()
                numbers = list(snap.row_numbers or [])
                bad = {r.row for r in found if r.row is not None}
                errors[unit] = {i for i, n in enumerate(numbers) if n in bad}
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("audit.read_rows_failed", exc=exc)) from exc
    return rows, set(submitted), errors
