"""The audit database's states when jobs of different units run at once: each job holds
every unit's states, so a job must not put back what another changed meanwhile."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sync.audit import AuditStates, open_engine
from sync.audit.models import FormStateRow
from sync.campaign import load_campaign
from sync.form_state import FormCheck
from tests.service_helpers import make_campaign

NOW = datetime(2099, 4, 1, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
SUMMARY = {"quota": 3, "rows": 1, "valid_rows": 1, "errors": 0, "warnings": 0, "shares": {}}


def _row(engine, unit: str) -> FormStateRow:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(  # type: ignore[no-any-return]
            select(FormStateRow).where(FormStateRow.unit == unit)
        ).one()


def test_a_check_that_began_before_a_submission_does_not_undo_it(
    tmp_path: Path, db_url: str
) -> None:
    campaign = load_campaign(make_campaign(tmp_path / "c"))
    engine = open_engine(db_url)
    first = AuditStates.for_campaign_db(engine, campaign)
    first.observe("DV1", "ds", "h1", 1, False, NOW)
    first.save()

    consolidation = AuditStates.for_campaign_db(engine, campaign)  # a job starts…
    submission = AuditStates.for_campaign_db(engine, campaign)  # …another submits meanwhile
    submission.submit("DV1", "ds", "h1", [["Lò Thị Mai", 1985]], [2], NOW)
    submission.record(
        [FormCheck("DV1", "ds", "h1", [], [], [], {**SUMMARY, "state": "submitted_on_time"})],
        "submit-1",
        NOW,
    )

    consolidation.get("DV1", "ds").first_valid_at = NOW.isoformat()  # its own change
    consolidation.save()
    consolidation.record(
        [FormCheck("DV1", "ds", "h1", [], [], [], {**SUMMARY, "state": "valid"})], "cons-1", NOW
    )

    row = _row(engine, "DV1")
    assert row.submitted_at == NOW.isoformat()
    assert row.submitted_hash == "h1"
    assert row.first_valid_at == NOW.isoformat()
    assert row.summary["state"] == "submitted_on_time"
    engine.dispose()


def test_a_job_that_did_not_see_a_unit_writes_none_of_its_fields(
    tmp_path: Path, db_url: str
) -> None:
    campaign = load_campaign(make_campaign(tmp_path / "c"))
    engine = open_engine(db_url)
    one = AuditStates.for_campaign_db(engine, campaign)  # validating DV1, loaded early
    two = AuditStates.for_campaign_db(engine, campaign)  # validating DV2
    for states in (one, two):
        states.observe("DV1", "ds", "a", 1, False, NOW)
        states.observe("DV2", "ds", "b", 2, False, NOW)
    two.get("DV2", "ds").first_valid_at = NOW.isoformat()  # DV2's own job: valid
    two.save()
    one.save()  # later, without DV2's first valid time
    assert _row(engine, "DV2").first_valid_at == NOW.isoformat()
    engine.dispose()
