"""An upload kept while the unit's workbook was busy is checked later by the queue (also
when several units are checked in one pass) against the unit's OWN deadline — a
campaign-file override earlier than the form's, an extension later than it — as it stood
when the file was received."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sync import clock
from sync.audit.models import Job, Upload
from sync.operations import extend
from tests.service_helpers import SECRET, make_campaign, status_column
from tests.test_upload_page import post_file, token_for, workbook_with

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
EXTRA = """\
id: bs
title: Bổ sung
tab: Bổ sung
columns:
  - {key: ho_ten, header: Họ và tên, type: text, required: true}
"""
FORMS = """forms:
  - id: ds
    template: ./ds.yaml
    due: 2025-04-20T17:00
    grace: 2d
    lock: true
    deadlines: {DV1: 2025-04-12T17:00}
  - id: bs
    template: ./bs.yaml
    due: 2099-04-20T17:00
"""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """Form `ds` closes 22/04/2025 17:00, for DV1 already 14/04 (override); `bs` is open."""
    from webhooks import create_app

    folder = tmp_path / "campaign"
    campaign_file = make_campaign(folder)
    (folder / "bs.yaml").write_text(EXTRA, encoding="utf-8")
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(text.split("forms:")[0] + FORMS, encoding="utf-8")
    for book in (folder / "workbooks").glob("*.xlsx"):
        book.unlink()
    from sync.campaign import load_campaign
    from sync.stores import open_store

    campaign = load_campaign(campaign_file)
    store = open_store(campaign)
    for unit in campaign.units:
        store.provision(unit)
    app = create_app(
        {
            "TESTING": True,
            "CAMPAIGN": str(campaign_file),
            "SECRET": SECRET,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
            "WORKER": "none",
            "REDIS_URL": None,
            "DEBOUNCE_SECONDS": 0.0,
            "UPLOAD_LOCK_WAIT": 0.0,
        }
    )
    yield app, campaign_file
    app.extensions["thidua"].close()
    clock.pin(None)


def queued_upload(app: Any, campaign_file: Path, unit: str, rows: list[list[Any]]) -> Any:
    """Upload while another job holds the unit's workbook: the file is kept and queued."""
    svc = app.extensions["thidua"]
    assert svc.jobs.acquire(unit, "another-job", wait=0)
    try:
        client = app.test_client()
        token = token_for(app, unit)
        post_file(client, token, workbook_with(campaign_file, rows, unit))
        page = client.get(f"/u/{token}").get_data(as_text=True)
        assert "sẽ được kiểm tra trong ít phút" in page
    finally:
        svc.jobs.release(unit, "another-job")
    with svc.engine.connect() as conn:
        (state,) = conn.execute(select(Upload.state).where(Upload.unit == unit)).scalars()
    assert state == "received"
    return svc


def outcome(svc: Any, unit: str) -> tuple[str, bool, str]:
    svc.worker.run_until_idle(now=datetime.now().timestamp() + 5)
    with svc.engine.connect() as conn:
        row = conn.execute(
            select(Upload.state, Upload.accepted, Upload.message).where(Upload.unit == unit)
        ).one()
    return row.state, row.accepted, row.message


def test_an_extension_later_than_the_form_lets_the_queued_upload_in(service) -> None:  # type: ignore[no-untyped-def]
    app, campaign_file = service
    svc = app.extensions["thidua"]
    clock.pin("2025-04-21T09:00:00+07:00")
    extend(svc.workspace, "DV2", "ds", until=datetime(2025, 4, 30, 17, tzinfo=TZ), by="bantochuc")
    clock.pin("2025-04-23T09:00:00+07:00")  # the form closed yesterday; DV2's own is open
    queued_upload(app, campaign_file, "DV2", [["Lò Thị Mai", 1985]])
    state, accepted, _message = outcome(svc, "DV2")
    assert (state, accepted) == ("accepted", True)
    assert status_column(campaign_file, "DV2") == ["✓ Hợp lệ"]


def test_a_file_received_in_time_stays_in_time_while_it_waits(service) -> None:  # type: ignore[no-untyped-def]
    app, campaign_file = service
    svc = app.extensions["thidua"]
    clock.pin("2025-04-22T16:00:00+07:00")  # an hour before the form's lock
    queued_upload(app, campaign_file, "DV2", [["Lò Thị Mai", 1985]])
    clock.pin("2025-04-22T18:00:00+07:00")  # the queue reaches it after the lock
    assert outcome(svc, "DV2")[:2] == ("accepted", True)


def test_an_override_earlier_than_the_form_refuses_the_queued_change(service) -> None:  # type: ignore[no-untyped-def]
    app, campaign_file = service
    svc = app.extensions["thidua"]
    clock.pin("2025-04-18T09:00:00+07:00")  # the form is open; DV1's `ds` closed on 14/04
    queued_upload(app, campaign_file, "DV1", [["Lò Thị Mai", 1985]])
    state, accepted, message = outcome(svc, "DV1")
    assert (state, accepted) == ("refused", False)
    assert "14/04/2025" in message and "22/04/2025" not in message  # DV1's own lock
    assert status_column(campaign_file, "DV1") == []  # the workbook was not replaced


def test_queued_uploads_of_units_checked_in_one_pass_are_all_applied(service) -> None:  # type: ignore[no-untyped-def]
    app, campaign_file = service
    svc = app.extensions["thidua"]
    clock.pin("2025-04-01T09:00:00+07:00")  # everything open
    queued_upload(app, campaign_file, "DV1", [["Lò Thị Mai", 1985]])
    queued_upload(app, campaign_file, "DV2", [["Vàng A Sử", 1979]])
    assert outcome(svc, "DV1")[:2] == outcome(svc, "DV2")[:2] == ("accepted", True)
    with svc.engine.connect() as conn:
        results = conn.execute(select(Job.result).where(Job.kind == "validate")).scalars().all()
    assert [r["batch"] for r in results] == [2, 2]  # one pass for both units
    assert (
        status_column(campaign_file, "DV1") == status_column(campaign_file, "DV2") == ["✓ Hợp lệ"]
    )
