"""Drive change signals through the fake: push channels (start/renew/stop, /hooks/drive)
and the polling fallback (one files.list per interval)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from sync.audit import open_engine
from sync.audit.models import Event
from sync.campaign import load_campaign
from sync.cli import cli
from sync.stores.google import GoogleStore
from sync.stores.google.watch import Channels
from tests.fake_google import FakeGoogle
from tests.google_driver import make_google_store
from tests.service_helpers import CAMPAIGN, SECRET, TEMPLATE

BASE = "https://thidua.example.vn"


def google_campaign_file(folder: Path, fake: FakeGoogle, units: int = 2) -> Path:
    drive = fake.add_shared_drive("Thi đua")
    text = CAMPAIGN.replace(
        "backend: {kind: local, path: ./workbooks}",
        f"backend: {{kind: google, folder_id: {drive}}}",
    )
    lines = "".join(
        f"  - {{id: DV{i}, name: Đơn vị {i}, quotas: {{ds: 3}}}}\n" for i in range(1, units + 1)
    )
    head, rest = text.split("units:\n", 1)
    text = head + "units:\n" + lines + rest[rest.index("forms:") :]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ds.yaml").write_text(TEMPLATE, encoding="utf-8")
    path = folder / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def fake() -> FakeGoogle:
    return FakeGoogle()


@pytest.fixture
def store(fake: FakeGoogle, tmp_path: Path) -> GoogleStore:
    path = google_campaign_file(tmp_path, fake, units=3)
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


def channels_of(app: Any, store: GoogleStore, clock: Any = None) -> Channels:
    engine = app.extensions["thidua"].engine
    return Channels(store, engine) if clock is None else Channels(store, engine, clock)


def notify(client: Any, channel: str, token: str, state: str = "update") -> Any:
    headers = {
        "X-Goog-Channel-ID": channel,
        "X-Goog-Channel-Token": token,
        "X-Goog-Resource-State": state,
    }
    return client.post("/hooks/drive", headers=headers)


def test_start_opens_one_channel_per_unit_and_the_hook_trusts_only_its_tokens(
    app: Any, store: GoogleStore, fake: FakeGoogle
) -> None:
    channels = channels_of(app, store)
    report = channels.start(BASE)
    assert sorted(report.created) == ["DV1", "DV2", "DV3"]
    assert len(fake.channels) == 3
    rows = channels.rows()
    assert {r.id for r in rows} == set(fake.channels)
    for row in rows:
        sent = fake.channels[row.id]
        assert sent["address"] == BASE + "/hooks/drive"
        assert sent["token"] == row.token
        assert sent["fileId"] == store.spreadsheet_id(store.campaign.unit(row.unit))
        assert row.resource_id == sent["resourceId"]
    assert len({r.token for r in rows}) == 3  # a random token per channel

    # starting again keeps the live channels: no new Drive channel
    again = channels.start()
    assert again.created == [] and sorted(again.kept) == ["DV1", "DV2", "DV3"]
    assert len(fake.channels) == 3

    client = app.test_client()
    row = rows[0]
    answer = notify(client, row.id, row.token)
    assert answer.status_code == 202
    assert notify(client, row.id, row.token, "sync").status_code == 200
    assert notify(client, row.id, "wrong-token").status_code == 401
    assert notify(client, "no-such-channel", row.token).status_code == 401
    with app.extensions["thidua"].engine.connect() as conn:
        events = conn.execute(select(Event.unit, Event.source)).all()
    assert events == [(row.unit, "drive")]


def test_renew_replaces_only_channels_near_expiry_then_stop_empties(
    app: Any, store: GoogleStore, fake: FakeGoogle
) -> None:
    now = [1_000_000.0]
    channels = channels_of(app, store, lambda: now[0])
    channels.start(BASE, ttl=24 * 3600)
    first = {r.unit: r for r in channels.rows()}
    # one unit's channel was opened earlier: it expires in 30 minutes
    now[0] += 0.5 * 3600
    fresh = channels.renew(ttl=24 * 3600, margin=3600)
    assert fresh.created == [] and len(fake.channels) == 3
    now[0] += 23 * 3600  # 30 minutes left on every channel
    renewed = channels.renew(ttl=24 * 3600, margin=3600)
    assert sorted(renewed.created) == ["DV1", "DV2", "DV3"]
    rows = channels.rows()
    assert len(rows) == 3 and len(fake.channels) == 3
    assert not {r.id for r in rows} & {r.id for r in first.values()}
    assert set(fake.channels) == {r.id for r in rows}  # old channels stopped at Drive
    assert all((r.expires_at or 0) > now[0] + 23 * 3600 for r in rows)

    stopped = channels.stop()
    assert sorted(stopped.stopped) == ["DV1", "DV2", "DV3"]
    assert fake.channels == {} and channels.rows() == []
    # an old channel's notification is refused once stopped
    assert notify(app.test_client(), rows[0].id, rows[0].token).status_code == 401


def test_watch_cli_start_and_stop(
    store: GoogleStore, fake: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.cli.watch_cmds.open_store", lambda _c: store)
    monkeypatch.setenv("THIDUA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()
    path = str(tmp_path / "campaign.yaml")
    started = runner.invoke(cli, ["watch", "start", path, "--base-url", BASE])
    assert started.exit_code == 0, started.output
    assert "Đã mở 3 kênh mới" in started.output and len(fake.channels) == 3
    no_address = runner.invoke(cli, ["watch", "renew", path])
    assert no_address.exit_code == 0 and len(fake.channels) == 3
    stopped = runner.invoke(cli, ["watch", "stop", path])
    assert stopped.exit_code == 0 and "Đã dừng 3 kênh" in stopped.output
    assert fake.channels == {}


def test_watch_cli_refuses_the_local_backend(tmp_path: Path) -> None:
    from tests.service_helpers import make_campaign

    path = make_campaign(tmp_path / "local")
    result = CliRunner().invoke(cli, ["watch", "start", str(path), "--base-url", BASE])
    assert result.exit_code == 2
    assert "backend.kind: google" in result.output


def test_one_poll_is_one_files_list_and_queues_each_changed_unit(
    store: GoogleStore, fake: FakeGoogle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sync.cli.watch_cmds.open_store", lambda _c: store)
    url = f"sqlite:///{tmp_path / 'poll.sqlite3'}"
    monkeypatch.setenv("THIDUA_DATABASE_URL", url)
    runner = CliRunner()
    path = str(tmp_path / "campaign.yaml")
    first = runner.invoke(cli, ["watch", "poll", path, "--interval", "30s", "--once"])
    assert first.exit_code == 0, first.output  # picks up the provisioning itself
    assert "3 bảng tính thay đổi, 3 việc kiểm tra mới" in first.output
    store.put_rows("DV1", "ds", [["Nguyễn Văn A", 1980]])
    store.put_rows("DV3", "ds", [["Trần Thị B", 1990]])
    fake.reset_counts()
    polled = runner.invoke(cli, ["watch", "poll", path, "--interval", "30s", "--once"])
    assert polled.exit_code == 0, polled.output
    assert dict(fake.counts) == {"drive.files.list": 1}
    assert "2 bảng tính thay đổi, 2 việc kiểm tra mới" in polled.output
    with open_engine(url).connect() as conn:
        events = conn.execute(
            select(Event.unit, Event.kind).where(Event.source == "poll").order_by(Event.id)
        ).all()
    assert sorted(events[-2:]) == [("DV1", "change"), ("DV3", "change")]
    # nothing changed since: one call, nothing queued
    again = runner.invoke(cli, ["watch", "poll", path, "--once"])
    assert "0 bảng tính thay đổi" in again.output
