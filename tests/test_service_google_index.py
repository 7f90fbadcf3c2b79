"""On the Google backend the service finds units by the spreadsheet ids recorded at provisioning."""

from __future__ import annotations

import json
from pathlib import Path

from sync.campaign import load_campaign
from tests.fake_google import FakeGoogle
from tests.google_driver import make_google_store
from tests.test_google_watch import google_campaign_file
from webhooks import create_app
from webhooks.signing import sign

SECRET = "khoa-bi-mat"


def post(client, sid: str):  # type: ignore[no-untyped-def]
    svc = client.application.extensions["thidua"]
    unit = svc.index.unit_for(sid)
    key = svc.unit_key(unit.id) if unit is not None else "no-unit"
    body = json.dumps(
        {"spreadsheetId": sid, "sheet": "Đại biểu", "range": "A5", "user": "", "event": "edit"}
    ).encode()
    return client.post(
        "/hooks/sheets",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Thidua-Signature": sign(key, "POST", "/hooks/sheets", body),
        },
    )


def test_recorded_and_later_provisioned_spreadsheets_are_known(tmp_path: Path) -> None:
    fake = FakeGoogle()
    path = google_campaign_file(tmp_path, fake, units=2)
    campaign = load_campaign(path)
    store = make_google_store(campaign, tmp_path, fake)
    first, second = campaign.units
    store.provision(first)
    app = create_app(
        {
            "CAMPAIGN": str(path),
            "SECRET": SECRET,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
            "WORKER": "none",
            "STORE": store,
            "REDIS_URL": None,
            "LOCK_CHECK_SECONDS": 0,
            "CHANNEL_RENEW_SECONDS": 0,
        }
    )
    client = app.test_client()
    assert post(client, str(store.spreadsheet_id(first))).status_code == 202
    assert post(client, "not-a-unit-sheet").status_code == 404
    # provisioned by another process while the service runs: found without a restart
    other = make_google_store(load_campaign(path), tmp_path, fake)
    other.provision(second)
    assert post(client, str(other.spreadsheet_id(second))).status_code == 202
