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
