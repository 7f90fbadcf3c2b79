"""Recording what a check run read and found: snapshots, findings, per-form summaries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from .db import AuditError, upsert_form_state
from .models import FindingRow, FormStateRow
from .states import ensure_snapshot

if TYPE_CHECKING:
    from ..pipeline import Run

FINDING_FIELDS = ("row", "column", "code", "severity", "message", "value")


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def official_rows(run: Run, unit: str, form_id: str) -> tuple[list[list[Any]], list[int]]:
    """A unit's rows as `sync.pipeline.submit` freezes them (display values, row numbers)."""
    from ..consolidate import display_value
    from ..form_state import frame_rows
    from ..stores.base import ROW

    form = run.campaign.form(form_id)
    fres = run.result.forms.get(form_id)
    if fres is None or not len(fres.frame):
        return [], []
    typed = fres.frame[fres.frame["_unit"] == unit]
    rows = [[display_value(v) for v in values] for values in frame_rows(typed, form.keys)]
    return rows, [int(r) for r in typed[ROW]]


def record_run(engine: Engine, run: Run, run_id: str, units: Collection[str] | None = None) -> None:
    """Store distinct snapshots, changed findings and the summary of each selected (unit, form)."""
    from ..form_state import content_hash

    campaign = run.campaign
    now = run.now.timestamp()  # the pipeline's clock (pinned for what-ifs and the demo)
    frame = run.result.report.frame
    selected = list(units) if units is not None else run.units
    try:
        with engine.begin() as conn:
            for unit in selected:
                sheets = run.sheets.get(unit)
                for form in campaign.forms:
                    snap_id = None
                    sheet = sheets.forms.get(form.id) if sheets is not None else None
                    if sheet is not None and sheets is not None and sheets.problem is None:
                        digest = content_hash(sheet.frame, form.keys)
                        rows, numbers = official_rows(run, unit, form.id)
                        snap_id = ensure_snapshot(
                            conn, campaign.id, unit, form.id, digest, rows, numbers, now
                        )
                    part = frame[(frame["unit"] == unit) & (frame["form"] == form.id)]
                    items = [
                        {k: _plain(rec.get(k)) for k in FINDING_FIELDS}
                        for rec in part.to_dict("records")
                    ]
                    for item in items:
                        if item["value"] is not None:
                            item["value"] = str(item["value"])
                    digest_f = hashlib.sha256(
                        json.dumps(items, ensure_ascii=False, sort_keys=True, default=str).encode()
                    ).hexdigest()
                    try:
                        s = run.result.summary(unit, form.id)
                        summary: dict[str, Any] | None = {
                            "quota": s.quota,
                            "rows": s.rows,
                            "valid_rows": s.valid_rows,
                            "errors": s.errors,
                            "warnings": s.warnings,
                            "state": s.state,
                            "shares": {k: _plain(v) for k, v in s.shares.items()},
                        }
                    except KeyError:
                        summary = None
                    _store_form(
                        conn,
                        campaign.id,
                        unit,
                        form.id,
                        run_id,
                        snap_id,
                        items,
                        digest_f,
                        summary,
                        now,
                    )
    except SQLAlchemyError as exc:
        raise AuditError(f"Không ghi được kết quả kiểm tra vào cơ sở dữ liệu: {exc}") from exc


def _store_form(
    conn: Any,
    campaign_id: str,
    unit: str,
    form: str,
    run_id: str,
    snap_id: int | None,
    items: list[dict[str, Any]],
    digest: str,
    summary: dict[str, Any] | None,
    now: float,
) -> None:
    where = (
        (FormStateRow.campaign == campaign_id)
        & (FormStateRow.unit == unit)
        & (FormStateRow.form == form)
    )
    current = conn.execute(select(FormStateRow.findings_hash).where(where)).first()
    values: dict[str, Any] = {"summary": summary, "checked_at": now}
    if current is None or current[0] != digest:
        values.update(findings_hash=digest, findings_run=run_id)
        if items:
            conn.execute(
                insert(FindingRow),
                [
                    {
                        "campaign": campaign_id,
                        "run": run_id,
                        "snapshot_id": snap_id,
                        "unit": unit,
                        "form": form,
                        "checked_at": now,
                        **item,
                    }
                    for item in items
                ],
            )
    upsert_form_state(conn, campaign_id, unit, form, values)


def unit_forms(engine: Engine, campaign_id: str, unit: str) -> dict[str, dict[str, Any]]:
    """The last recorded check per form of a unit: summary, findings, times."""
    out: dict[str, dict[str, Any]] = {}
    try:
        with engine.connect() as conn:
            states = conn.execute(
                select(FormStateRow).where(
                    (FormStateRow.campaign == campaign_id) & (FormStateRow.unit == unit)
                )
            ).all()
            for st in states:
                findings: list[dict[str, Any]] = []
                if st.findings_run is not None:
                    rows = conn.execute(
                        select(FindingRow)
                        .where(
                            (FindingRow.campaign == campaign_id)
                            & (FindingRow.unit == unit)
                            & (FindingRow.form == st.form)
                            & (FindingRow.run == st.findings_run)
                        )
                        .order_by(FindingRow.id)
                    ).all()
                    findings = [{k: getattr(r, k) for k in FINDING_FIELDS} for r in rows]
                out[st.form] = {
                    "summary": st.summary,
                    "findings": findings,
                    "checked_at": st.checked_at,
                    "submitted_at": st.submitted_at,
                    "last_change_at": st.last_change_at,
                }
    except SQLAlchemyError as exc:
        raise AuditError(f"Không đọc được kết quả kiểm tra: {exc}") from exc
    return out


def campaign_forms(engine: Engine, campaign_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The last recorded check of every (unit, form) of a campaign, without findings:
    summary, times and finding counts, in one query (the dashboard's table)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    FormStateRow.unit,
                    FormStateRow.form,
                    FormStateRow.summary,
                    FormStateRow.checked_at,
                    FormStateRow.submitted_at,
                    FormStateRow.last_change_at,
                    FormStateRow.content_hash,
                ).where(FormStateRow.campaign == campaign_id)
            ).all()
    except SQLAlchemyError as exc:
        raise AuditError(f"Không đọc được kết quả kiểm tra: {exc}") from exc
    return {
        (r.unit, r.form): {
            "summary": r.summary,
            "checked_at": r.checked_at,
            "submitted_at": r.submitted_at,
            "last_change_at": r.last_change_at,
            "content_hash": r.content_hash,
        }
        for r in rows
    }


def latest_rows(
    engine: Engine, campaign_id: str, form: str, official: bool
) -> dict[str, list[list[Any]]]:
    """Per unit, the rows of a form as last read (`official`: as submitted) from snapshots."""
    from .models import Snapshot, Submission

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
                    if r.content_hash
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
        raise AuditError(f"Không đọc được danh sách đã lưu: {exc}") from exc
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
            conn.execute(update(FormStateRow).where(where).values(summary=summary))
    except SQLAlchemyError as exc:
        raise AuditError(f"Không ghi được trạng thái nộp: {exc}") from exc
