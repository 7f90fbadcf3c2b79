"""Lock after the deadline on Google, and the service's periodic chores (scheduler)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.campaign import load_campaign
from sync.stores.google import LOCK_DESCRIPTION, GoogleStore
from sync.stores.google.watch import Channels
from tests.fake_google import FakeGoogle
from tests.google_driver import SERVICE_ACCOUNT, make_google_store
from tests.service_helpers import SECRET
from tests.test_google_watch import BASE, google_campaign_file


@pytest.fixture
def fake() -> FakeGoogle:
    return FakeGoogle()


@pytest.fixture
def store(fake: FakeGoogle, tmp_path: Path) -> GoogleStore:
    path = google_campaign_file(tmp_path, fake, units=3)
    text = path.read_text(encoding="utf-8").replace(
        "    due: 2099-04-20T17:00\n", "    due: 2026-04-20T17:00\n    grace: 1d\n    lock: true\n"
    )
    path.write_text(text, encoding="utf-8")
    store = make_google_store(load_campaign(path), tmp_path, fake)
    for unit in store.campaign.units:
        store.provision(unit)
    return store


@pytest.fixture
def app(store: GoogleStore, tmp_path: Path) -> Iterator[Any]:
    from webhooks import create_app

    application = create_app(
        {
            "TESTING": True,
            "CAMPAIGN": str(tmp_path / "campaign.yaml"),
            "SECRET": SECRET,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
            "WORKER": "none",
            "STORE": store,
            "REDIS_URL": None,
        }
    )
    yield application
    application.extensions["thidua"].close()


def locks(fake: FakeGoogle, store: GoogleStore) -> dict[str, list[dict[str, Any]]]:
    """Our deadline protections per unit, on the form's tab."""
    out = {}
    for unit in store.campaign.units:
        sid = store.spreadsheet_id(unit)
        assert sid is not None
        sheet = fake.books[sid].sheet_by_title("Danh sách")
        assert sheet is not None
        out[unit.id] = [
            p
            for p in sheet.protected_ranges
            if p.get("description") == LOCK_DESCRIPTION.format(form="ds")
        ]
    return out


def test_forms_lock_once_per_unit_after_due_plus_grace(
    app: Any, store: GoogleStore, fake: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler = app.extensions["thidua_scheduler"]
    monkeypatch.setenv("THIDUA_NOW", "2026-04-21T16:00")  # late, but within the grace day
    assert scheduler.lock() == []
    assert all(found == [] for found in locks(fake, store).values())

    monkeypatch.setenv("THIDUA_NOW", "2026-04-21T17:01")  # after due + grace
    assert sorted(scheduler.lock()) == [("DV1", "ds"), ("DV2", "ds"), ("DV3", "ds")]
    found = locks(fake, store)
    assert all(len(ranges) == 1 for ranges in found.values())
    for ranges in found.values():
        protected = ranges[0]
        assert set(protected["editors"]["users"]) == {SERVICE_ACCOUNT}  # no unit editor
        assert protected["range"]["startRowIndex"] == 1  # data rows, below the header
        assert not protected.get("warningOnly")

    fake.reset_counts()
    assert scheduler.lock() == []  # remembered: no call at all
    assert sum(fake.counts.values()) == 0
    restarted = type(scheduler)(app.extensions["thidua"])  # forgets what it locked
    assert len(restarted.lock()) == 3
    assert fake.writes() == 0  # recognised by description: no duplicate
    assert all(len(ranges) == 1 for ranges in locks(fake, store).values())


def test_an_extension_unlocks_one_unit_until_its_own_deadline(
    app: Any, store: GoogleStore, fake: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync import clock
    from sync.operations import extend

    scheduler = app.extensions["thidua_scheduler"]
    monkeypatch.setenv("THIDUA_NOW", "2026-04-21T17:01")
    assert len(scheduler.lock()) == 3
    svc = app.extensions["thidua"]
    until = clock.parse_instant("2026-04-24T17:00", store.campaign.tz)
    extend(svc.workspace, "DV2", "ds", until=until, by="bantochuc")
    assert [u for u, ranges in locks(fake, store).items() if not ranges] == ["DV2"]
    monkeypatch.setenv("THIDUA_NOW", "2026-04-22T09:00")
    assert scheduler.lock() == []  # DV2 is due 24/04, closes 25/04 17:00 (grace kept)
    monkeypatch.setenv("THIDUA_NOW", "2026-04-25T17:01")
    assert scheduler.lock() == [("DV2", "ds")]
    assert all(len(ranges) == 1 for ranges in locks(fake, store).values())


def test_scheduler_tick_renews_channels_close_to_expiry(
    app: Any, store: GoogleStore, fake: FakeGoogle
) -> None:
    channels = Channels(store, app.extensions["thidua"].engine)
    channels.start(BASE, ttl=1800)  # expires within the one-hour margin
    before = set(fake.channels)
    app.extensions["thidua_scheduler"].tick(now=0.0)
    assert len(fake.channels) == 3 and not before & set(fake.channels)
    assert {r.id for r in channels.rows()} == set(fake.channels)
