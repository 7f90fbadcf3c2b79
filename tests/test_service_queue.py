"""The durable queue: debounce, per-spreadsheet serialisation and order, restarts, leases,
consolidation and submission — on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from sqlalchemy import select

from sync.audit import AuditStates
from sync.audit.models import Event, Job, Submission
from tests.service_helpers import event, post_event, status_column, write_rows
from webhooks import create_app
from webhooks.queue.worker import Worker


def _jobs(app):  # type: ignore[no-untyped-def]
    svc = app.extensions["thidua"]
    with svc.engine.connect() as conn:
        return conn.execute(select(Job).order_by(Job.id)).all()


def test_burst_of_ten_edits_is_one_validation(app, client, campaign_file) -> None:  # type: ignore[no-untyped-def]
    write_rows(campaign_file, "DV1", [["Lò Thị Mai", 1985], ["", 1800]])
    for i in range(10):
        assert post_event(client, event("DV1", range=f"A{i + 2}")).status_code == 202
    worker = app.extensions["thidua"].worker
    assert worker.tick() == 0  # still within the debounce window: nothing runs
    assert worker.tick(now=time.time() + 1.0) == 1
    jobs = _jobs(app)
    assert [(j.kind, j.unit, j.status, j.events) for j in jobs if j.kind == "validate"] == [
        ("validate", "DV1", "done", 10)
    ]
    status = status_column(campaign_file, "DV1")
    assert status[0] == "✓ Hợp lệ"
    assert status[1].startswith("✗ 2 lỗi")


def test_one_spreadsheet_never_runs_twice_at_once_and_in_order(app, client) -> None:  # type: ignore[no-untyped-def]
    svc = app.extensions["thidua"]
    later = time.time() + 1.0
    post_event(client, event("DV1"))
    svc.jobs.dispatch(later)
    post_event(client, event("DV1", range="B2"))
    post_event(client, event("DV2"))
    svc.jobs.dispatch(later + 0.1)
    a, b = Worker(svc), Worker(svc)
    first = a.service.jobs.claim(a.id, later + 0.2)
    assert first is not None and first.unit == "DV1"
    second = b.service.jobs.claim(b.id, later + 0.2)
    assert second is not None and second.unit == "DV2"  # DV1's next job waits
    assert b.service.jobs.claim(b.id, later + 0.2) is None
    svc.jobs.finish(first, a.id, {})
    third = b.service.jobs.claim(b.id, later + 0.3)
    assert third is not None and third.unit == "DV1" and third.id > first.id


def test_events_survive_an_app_restart(service_config, campaign_file) -> None:  # type: ignore[no-untyped-def]
    write_rows(campaign_file, "DV2", [["Nguyễn Văn An", 1990]])
    first = create_app(service_config)
    resp = post_event(first.test_client(), event("DV2"))
    event_id = resp.get_json()["event_id"]
    first.extensions["thidua"].close()

    second = create_app(service_config)
    try:
        svc = second.extensions["thidua"]
        assert svc.worker.run_until_idle(now=time.time() + 1.0) >= 1
        with svc.engine.connect() as conn:
            stored = conn.execute(select(Event.status).where(Event.id == event_id)).scalar_one()
        assert stored == "done"
        assert status_column(campaign_file, "DV2") == ["✓ Hợp lệ"]
    finally:
        second.extensions["thidua"].close()


def test_a_dead_workers_job_is_reclaimed_after_its_lease(app, client) -> None:  # type: ignore[no-untyped-def]
    svc = app.extensions["thidua"]
    post_event(client, event("DV1"))
    now = time.time() + 1.0
    svc.jobs.dispatch(now)
    dead = svc.jobs.claim("dead-worker", now)
    assert dead is not None
    alive = Worker(svc)
    assert svc.jobs.claim(alive.id, now + 1) is None  # lease still running
    after = now + svc.jobs.lease + 1
    assert svc.jobs.reclaim(after) == 1
    job = svc.jobs.claim(alive.id, after)
    assert job is not None and job.id == dead.id and job.attempts == 2
    assert not svc.jobs.finish(dead, "dead-worker", {})  # the dead worker cannot finish it
    assert svc.jobs.finish(job, alive.id, {})


def test_consolidation_is_debounced_after_validations(app, client, campaign_file) -> None:  # type: ignore[no-untyped-def]
    svc = app.extensions["thidua"]
    write_rows(campaign_file, "DV1", [["Lò Thị Mai", 1985]])
    post_event(client, event("DV1"))
    post_event(client, event("DV2"))
    now = time.time() + 1.0
    svc.worker.run_until_idle(now=now)
    consolidations = [j for j in _jobs(app) if j.kind == "consolidate"]
    assert [j.status for j in consolidations] == ["pending"]  # two validations → one, waiting
    assert not (campaign_file.parent / "workbooks" / "Tong-hop.xlsx").exists()
    # due one debounce after the validations finished (however long they took)
    svc.worker.run_until_idle(now=time.time() + svc.jobs.consolidate_debounce + 1)
    assert [j.status for j in _jobs(app) if j.kind == "consolidate"] == ["done"]
    assert (campaign_file.parent / "workbooks" / "Tong-hop.xlsx").exists()


def test_submit_event_records_the_official_snapshot(app, client, campaign_file) -> None:  # type: ignore[no-untyped-def]
    svc = app.extensions["thidua"]
    write_rows(campaign_file, "DV1", [["Lò Thị Mai", 1985], ["Vàng A Sử", 1979]])
    post_event(client, event("DV1"))
    post_event(client, event("DV1", "submit"))
    svc.worker.run_until_idle(now=time.time() + 1.0)
    kinds = [(j.kind, j.status, j.events) for j in _jobs(app) if j.unit == "DV1"]
    assert kinds == [("submit", "done", 2)]  # the edit before it is absorbed
    with svc.engine.connect() as conn:
        subs = conn.execute(select(Submission)).all()
    assert [(s.unit, s.form, s.on_time, s.rows) for s in subs] == [("DV1", "ds", True, 2)]
    state = AuditStates.for_campaign_db(svc.engine, svc.campaign).get("DV1", "ds")
    assert state.snapshot == [["Lò Thị Mai", 1985], ["Vàng A Sử", 1979]]
    assert state.submitted_hash == state.content_hash


def test_failed_submission_is_a_result_not_a_crash(app, client, campaign_file) -> None:  # type: ignore[no-untyped-def]
    svc = app.extensions["thidua"]
    write_rows(campaign_file, "DV2", [["", 1800]])
    post_event(client, event("DV2", "submit"))
    svc.worker.run_until_idle(now=time.time() + 1.0)
    job = next(j for j in _jobs(app) if j.kind == "submit")
    assert job.status == "done"
    assert job.result["submitted"] is False
    assert "lỗi" in job.result["message"]
