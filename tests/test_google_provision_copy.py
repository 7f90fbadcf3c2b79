"""Provisioning by copy: each unit spreadsheet is a Drive copy of the organiser's template
(which carries the bound add-on), with the add-on's settings in developer metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.campaign import Unit
from tests.fake_google import FakeGoogle
from tests.google_driver import make_google_store
from tests.test_google_store import google_campaign

SCRIPT = "function onOpen(e) { /* Thi đua */ }"
URL = "https://thidua.example.vn"


def template(fake: FakeGoogle, folder: str) -> str:
    body = json.dumps({"properties": {"title": "Mẫu đợt 2025"}}).encode()
    _, _, payload = fake.handle("POST", "/v4/spreadsheets", "", body, {"authorization": "Bearer o"})
    sid = str(json.loads(payload)["spreadsheetId"])
    fake.books[sid].bound_script = SCRIPT
    fake.drive_files[sid]["parents"] = [folder]
    return sid


def metadata(fake: FakeGoogle, sid: str) -> dict[str, str]:
    book = fake.books[sid]
    return {m["metadataKey"]: m["metadataValue"] for m in book.developer_metadata}


def test_units_are_copies_of_the_template_with_their_key_and_url(tmp_path: Path) -> None:
    fake = FakeGoogle()
    drive = fake.add_shared_drive("Thi đua")
    tpl = template(fake, drive)
    campaign = google_campaign(
        tmp_path,
        f"  folder_id: {drive}\n  template_spreadsheet: https://docs.google.com/spreadsheets/d/{tpl}/edit\n",
    )
    store = make_google_store(campaign, tmp_path, fake)
    keys = {u.id: f"khoa-{u.id.lower()}" for u in campaign.units}

    def settings(unit: Unit) -> dict[str, str]:
        return {"THIDUA_URL": URL, "THIDUA_UNIT_KEY": keys[unit.id]}

    store.addon_settings = settings
    fake.reset_counts()
    reports = [store.provision(u) for u in campaign.units]
    assert fake.counts["drive.files.copy"] == len(campaign.units)
    assert fake.counts["drive.files.create"] == 0
    for unit, report in zip(campaign.units, reports, strict=True):
        sid = store.spreadsheet_id(unit)
        assert sid is not None and sid != tpl and report.created
        assert fake.books[sid].bound_script == SCRIPT  # the add-on came with the copy
        assert fake.drive_files[sid]["parents"] == [drive]
        assert fake.drive_files[sid]["name"] == f"{campaign.info.title} — {unit.name}"
        assert metadata(fake, sid) == {"THIDUA_URL": URL, "THIDUA_UNIT_KEY": keys[unit.id]}
        visible = {m["visibility"] for m in fake.books[sid].developer_metadata}
        assert visible == {"DOCUMENT"}
        tabs = [s.title for s in fake.books[sid].sheets]
        assert tabs[:2] == ["Hướng dẫn", "Kiểm tra"] and "Sheet1" not in tabs
    assert metadata(fake, tpl) == {}  # the template itself is left alone

    fake.reset_counts()
    again = store.provision(campaign.units[0])
    assert again.actions == ["Không có thay đổi"] and fake.writes() == 0

    keys[campaign.units[0].id] = "khoa-moi"  # the key was rotated
    changed = store.provision(campaign.units[0])
    sid = store.spreadsheet_id(campaign.units[0])
    assert sid is not None
    assert metadata(fake, sid)["THIDUA_UNIT_KEY"] == "khoa-moi"
    assert len(fake.books[sid].developer_metadata) == 2
    assert any("THIDUA_UNIT_KEY" in a for a in changed.actions)


def test_without_template_units_are_created_blank(tmp_path: Path) -> None:
    fake = FakeGoogle()
    drive = fake.add_shared_drive("Thi đua")
    store = make_google_store(google_campaign(tmp_path, f"  folder_id: {drive}\n"), tmp_path, fake)
    store.provision(store.campaign.units[0])
    assert fake.counts["drive.files.copy"] == 0 and fake.counts["drive.files.create"] == 1


def test_a_bad_template_link_is_explained(tmp_path: Path) -> None:
    from sync.errors import StoreError

    fake = FakeGoogle()
    campaign = google_campaign(tmp_path, "  template_spreadsheet: https://drive.google.com/x\n")
    store = make_google_store(campaign, tmp_path, fake)
    with pytest.raises(StoreError, match=r"backend\.template_spreadsheet"):
        store.provision(campaign.units[0])


def test_thidua_provision_writes_each_units_own_key_that_the_service_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`thidua provision` writes into each copy the key `thidua keys` prints for THAT unit
    (never another's, never the server's) and the service address; the service accepts an
    event signed with a spreadsheet's own metadata key and refuses it for another unit's."""
    from click.testing import CliRunner

    from sync.cli import cli
    from tests.service_helpers import SECRET, event, post_event
    from webhooks import create_app

    fake = FakeGoogle()
    drive = fake.add_shared_drive("Thi đua")
    tpl = template(fake, drive)
    campaign = google_campaign(
        tmp_path,
        f"  folder_id: {drive}\n  template_spreadsheet: {tpl}\n  service_url: {URL}/\n",
    )
    store = make_google_store(campaign, tmp_path, fake)
    monkeypatch.setattr("sync.cli.sheet_cmds.open_store", lambda _c: store)
    db = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    monkeypatch.setenv("THIDUA_SECRET", SECRET)
    monkeypatch.setenv("THIDUA_DATABASE_URL", db)
    path = str(tmp_path / "campaign.yaml")
    runner = CliRunner()

    done = runner.invoke(cli, ["provision", path])
    assert done.exit_code == 0, done.output
    printed = runner.invoke(cli, ["keys", path, "--format", "json"])
    keys = {item["unit"]: item["key"] for item in json.loads(printed.output)}
    assert len(set(keys.values())) == len(campaign.units) >= 2 and SECRET not in keys.values()
    sids = {u.id: str(store.spreadsheet_id(u)) for u in campaign.units}
    for unit in campaign.units:
        assert metadata(fake, sids[unit.id]) == {
            "THIDUA_URL": URL,
            "THIDUA_UNIT_KEY": keys[unit.id],
        }
    assert done.output.count("Ghi cấu hình tiện ích (THIDUA_UNIT_KEY, THIDUA_URL)") == len(keys)

    a, b = campaign.units[0].id, campaign.units[1].id
    app = create_app(
        {"CAMPAIGN": path, "SECRET": SECRET, "DATABASE_URL": db, "WORKER": "none", "STORE": store}
    )
    try:
        client = app.test_client()
        own = metadata(fake, sids[a])["THIDUA_UNIT_KEY"]
        assert post_event(client, event(sids[a]), key=own).status_code == 202
        assert post_event(client, event(sids[b], range="B3"), key=own).status_code == 401
    finally:
        app.extensions["thidua"].close()

    # a rotated key reaches that unit's spreadsheet on the next provisioning, and only it
    assert runner.invoke(cli, ["keys", path, "--rotate", "--unit", a]).exit_code == 0
    fake.reset_counts()
    again = runner.invoke(cli, ["provision", path])
    assert again.exit_code == 0, again.output
    assert again.output.count("Ghi cấu hình tiện ích (THIDUA_UNIT_KEY)") == 1
    assert fake.writes() == 1
    rotated = json.loads(runner.invoke(cli, ["keys", path, "--unit", a, "--format", "json"]).output)
    assert metadata(fake, sids[a])["THIDUA_UNIT_KEY"] == rotated[0]["key"] != keys[a]
    assert metadata(fake, sids[b])["THIDUA_UNIT_KEY"] == keys[b]


def test_provision_without_a_service_url_writes_the_keys_and_says_the_url_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from sync.cli import cli

    fake = FakeGoogle()
    drive = fake.add_shared_drive("Thi đua")
    campaign = google_campaign(tmp_path, f"  folder_id: {drive}\n")
    store = make_google_store(campaign, tmp_path, fake)
    monkeypatch.setattr("sync.cli.sheet_cmds.open_store", lambda _c: store)
    monkeypatch.setenv("THIDUA_DATABASE_URL", f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    path = str(tmp_path / "campaign.yaml")
    done = CliRunner().invoke(cli, ["provision", path])
    assert done.exit_code == 0, done.output
    assert "Chưa có địa chỉ dịch vụ" in done.output
    for unit in campaign.units:
        assert set(metadata(fake, str(store.spreadsheet_id(unit)))) == {"THIDUA_UNIT_KEY"}
    refused = CliRunner().invoke(cli, ["provision", path, "--service-url", "http://may-chu.vn"])
    assert refused.exit_code != 0 and "phải bắt đầu bằng https://" in refused.output
