"""Where every unit spreadsheet stands, in one Drive call: modifiedTime and whether the
service's own write (its feedback) was the last change."""

from __future__ import annotations

from pathlib import Path

from sync.feedback import RowStatus
from sync.stores.base import Revision
from tests.fake_google import FakeGoogle
from tests.google_driver import make_google_store
from tests.test_google_store import _feedback, google_campaign

STAFF = "vanthu@donvi.example.vn"


def test_revisions_of_all_units_in_one_call_tell_our_writes_from_the_units(
    tmp_path: Path,
) -> None:
    fake = FakeGoogle()
    drive = fake.add_shared_drive("Thi đua")
    campaign = google_campaign(tmp_path, f"  folder_id: {drive}\n")
    store = make_google_store(campaign, tmp_path, fake)
    units = campaign.units
    for unit in units:
        store.provision(unit)
    typist = make_google_store(campaign, tmp_path, fake, user=STAFF)
    fake.reset_counts()
    first = store.revisions(units)
    assert fake.reads() == 1 and fake.counts["drive.files.list"] == 1
    assert all(r.marker and r.ours for r in first.values())

    typist.put_rows(units[0].id, "dai_bieu", [{"ho_ten": "Nguyễn Thị Hoa"}])
    second = store.revisions(units)
    assert second[units[0].id].marker != first[units[0].id].marker
    assert second[units[0].id].ours is False
    assert second[units[1].id] == first[units[1].id]

    assert store.read_unit(units[0]).problem is None
    status = {2: RowStatus("✓ Hợp lệ")}
    assert store.write_feedback(units[0], _feedback(status, []))
    third = store.revisions(units)
    assert third[units[0].id].ours is True
    assert third[units[0].id].marker != second[units[0].id].marker


def test_a_unit_without_spreadsheet_has_no_revision(tmp_path: Path) -> None:
    fake = FakeGoogle()
    store = make_google_store(google_campaign(tmp_path), tmp_path, fake)
    assert store.revisions(store.campaign.units)[store.campaign.units[0].id] == Revision(None)
