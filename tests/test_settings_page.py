"""Settings page (docs/web.md: Settings): the organiser changes a unit's quota, staff,
editors and level, a form's due date and grace, adds a unit; the campaign file changes in
place (comments kept), the service runs the new campaign at once, the audit database says
who changed what; invalid values are refused with `check`'s messages and nothing is
written; leaders read but cannot save."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sync.audit.models import Event
from sync.users import add_user
from tests.web_helpers import PASSWORD, csrf_from, make_organiser, sign_in

TEMPLATE = """\
id: ds
title: Danh sách
tab: Danh sách
columns:
  - {key: ho_ten, header: Họ và tên, type: text, required: true}
"""
CAMPAIGN = """\
# Đợt thử trang cấu hình — chú thích đầu tệp phải còn sau khi lưu
campaign: {id: settings-test, title: Đợt thử cấu hình, organizer: LĐLĐ tỉnh}
backend: {kind: local, path: ./workbooks}
quota_policies:
  theo_so_cb:
    kind: tiered
    tiers:
      - {below: 100, share: 0.1}
      - {share: 0.05, max: 20}
units:
  - id: TINH
    name: Công đoàn tỉnh
  - id: H1            # huyện một
    name: Huyện Một
    parent: TINH
    staff: 120
    editors: [mot@example.vn]
    quotas: {ds: 3}
  - id: H2
    name: Huyện Hai
    parent: TINH
    quotas: {ds: 2}

# --- biểu mẫu ---
forms:
  - id: ds
    template: ./ds.yaml
    opens: 2099-03-01
    due: 2099-04-20T17:00   # hạn nộp theo kế hoạch
    grace: 2d
    rules: [{kind: max_rows, quota: true}]
"""


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only here (the audit events are plain rows; PostgreSQL is covered elsewhere)."""
    return f"sqlite:///{tmp_path / 'audit.db'}"


@pytest.fixture
def campaign_file(tmp_path: Path) -> Path:
    from sync.campaign import load_campaign
    from sync.stores import open_store

    folder = tmp_path / "campaign"
    folder.mkdir()
    (folder / "ds.yaml").write_text(TEMPLATE, encoding="utf-8")
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    store = open_store(load_campaign(path))
    for unit in load_campaign(path).units:
        store.provision(unit)
    return path


@pytest.fixture
def organiser(app: Any, client: Any) -> Any:
    make_organiser(app)
    assert sign_in(client).status_code == 302
    return client


def _post(client: Any, path: str, **data: str) -> Any:
    page = client.get(path).get_data(as_text=True)
    digest = re.search(r'name="digest" value="([0-9a-f]*)"', page)
    form = {"csrf_token": csrf_from(page), "digest": digest.group(1) if digest else ""}
    # what the page shows, with the test's changes on top (like a browser)
    for name, value in re.findall(r'<input[^>]+name="([^"]+)"[^>]+value="([^"]*)"', page):
        if name not in ("csrf_token", "digest"):
            form.setdefault(name, value)
    for name, value in re.findall(r'<textarea[^>]+name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        form.setdefault(name, value)
    form.update(data)
    return client.post(path, data=form)


def _settings_events(app: Any) -> list[tuple[str, dict[str, Any]]]:
    svc = app.extensions["thidua"]
    with svc.engine.connect() as conn:
        rows = conn.execute(
            select(Event.kind, Event.payload)
            .where(Event.kind.in_(("settings", "reload", "reload_refused")))
            .order_by(Event.id)
        ).all()
    return [(k, p) for k, p in rows]


def test_the_page_shows_the_campaign_as_loaded(app: Any, organiser: Any) -> None:
    page = organiser.get("/dashboard/settings").get_data(as_text=True)
    assert "Hợp lệ" in page
    h1 = re.search(r'<tr id="unit-H1".*?</tr>', page, re.S)
    assert h1 is not None
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", h1.group(0), re.S)
    ]
    assert cells[:6] == ["H1", "Huyện Một", "Công đoàn tỉnh", "—", "120", "3"]
    assert "mot@example.vn" in cells[6]
    form = re.search(r'<tr id="form-ds".*?</tr>', page, re.S)
    assert form is not None and "20/04/2099 17:00" in form.group(0) and "2d" in form.group(0)
    assert "Mọi đơn vị đã có sổ." in page


def test_quota_change_is_written_keeping_comments_and_applied(
    app: Any, organiser: Any, campaign_file: Path
) -> None:
    before = campaign_file.read_text(encoding="utf-8")
    resp = _post(organiser, "/dashboard/settings/units/H1", **{"quota-ds": "5", "staff": "1.250"})
    assert resp.status_code == 302
    after = campaign_file.read_text(encoding="utf-8")
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        ("    staff: 120", "    staff: 1250"),
        ("    quotas: {ds: 3}", "    quotas: {ds: 5}"),
    ]
    svc = app.extensions["thidua"]
    assert svc.campaign.quota("H1", "ds") == 5
    assert svc.campaign.unit("H1").staff == 1250
    events = _settings_events(app)
    assert [k for k, _p in events] == ["settings", "reload"]
    assert events[0][1]["by"] == "bantochuc"
    assert events[0][1]["changes"] == [
        {"subject": "unit", "id": "H1", "field": "staff", "old": 120, "new": 1250},
        {"subject": "unit", "id": "H1", "field": "quotas.ds", "old": 3, "new": 5},
    ]
    assert events[1][1]["checked"] == ["H1"]
    page = organiser.get("/dashboard/settings").get_data(as_text=True)
    assert "đơn vị H1: chỉ tiêu «Danh sách» 3 → 5" in page  # the history
    dash = organiser.get("/dashboard").get_data(as_text=True)
    row = re.search(r'<tr class="unit" data-unit="H1".*?</tr>', dash, re.S)
    assert row is not None and "/ 5" in row.group(0)


def test_invalid_quota_is_refused_with_the_check_message_and_nothing_written(
    app: Any, organiser: Any, campaign_file: Path
) -> None:
    before = campaign_file.read_bytes()
    resp = _post(organiser, "/dashboard/settings/units/H1", **{"quota-ds": "-2"})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "campaign.yaml:" in page and "quotas.ds: phải ≥ 0 (đang là -2)" in page
    assert 'id="f-quota-ds"' in page and 'aria-invalid="true"' in page
    assert campaign_file.read_bytes() == before
    assert app.extensions["thidua"].campaign.quota("H1", "ds") == 3
    assert _settings_events(app) == []
    resp = _post(organiser, "/dashboard/settings/units/H1", staff="nhiều lắm")
    assert resp.status_code == 400
    assert "staff: cần một số nguyên" in resp.get_data(as_text=True)
    assert campaign_file.read_bytes() == before


def test_form_due_date_and_grace(app: Any, organiser: Any, campaign_file: Path) -> None:
    resp = _post(
        organiser, "/dashboard/settings/forms/ds", due_date="2099-04-25", due_time="", grace="1d12h"
    )
    assert resp.status_code == 302
    text = campaign_file.read_text(encoding="utf-8")
    # the comment stays where it was (its column too)
    assert re.search(r"\n    due: 2099-04-25 +# hạn nộp theo kế hoạch\n    grace: 1d12h\n", text)
    form = app.extensions["thidua"].campaign.form("ds")
    assert (form.due.day, form.due.hour, form.due.minute) == (25, 23, 59)
    assert form.grace.total_seconds() == 36 * 3600
    page = organiser.get("/dashboard/settings").get_data(as_text=True)
    assert "biểu mẫu ds: hạn nộp 20/04/2099 17:00 → 25/04/2099" in page
    assert "biểu mẫu ds: gia hạn 2d → 1d12h" in page
    resp = _post(organiser, "/dashboard/settings/forms/ds", due_date="2099-02-20", due_time="")
    assert resp.status_code == 400
    assert "phải sau ngày mở 01/03/2099 00:00" in resp.get_data(as_text=True)


def test_add_a_unit_then_make_its_workbook(app: Any, organiser: Any, campaign_file: Path) -> None:
    resp = _post(
        organiser,
        "/dashboard/settings/new-unit",
        id="H3",
        name="Huyện Ba",
        parent="TINH",
        staff="80",
        editors="ba@example.vn\nphu.ba@example.vn",
        **{"quota-ds": "theo_so_cb"},
    )
    assert resp.status_code == 302
    svc = app.extensions["thidua"]
    unit = svc.campaign.unit("H3")
    assert (unit.parent, unit.staff, unit.editors) == (
        "TINH",
        80,
        ("ba@example.vn", "phu.ba@example.vn"),
    )
    assert svc.campaign.quota("H3", "ds") == 8  # 10% of 80
    text = campaign_file.read_text(encoding="utf-8")
    assert "    quotas: {ds: 2}\n  - id: H3\n" in text
    assert text.index("# --- biểu mẫu ---") > text.index("id: H3")
    page = organiser.get("/dashboard/settings").get_data(as_text=True)
    assert "1 đơn vị chưa có sổ (bảng tính) để điền: H3." in page
    resp = organiser.post("/dashboard/settings/provision", data={"csrf_token": csrf_from(page)})
    assert resp.status_code == 302
    assert (campaign_file.parent / "workbooks" / "H3.xlsx").is_file()
    # a duplicate code is refused with check's message
    resp = _post(organiser, "/dashboard/settings/new-unit", id="H3", name="Trùng")
    assert resp.status_code == 400
    assert "mã đơn vị &#39;H3&#39; bị trùng" in resp.get_data(as_text=True)


def test_a_file_changed_meanwhile_is_not_overwritten(
    app: Any, organiser: Any, campaign_file: Path
) -> None:
    page = organiser.get("/dashboard/settings/units/H1").get_data(as_text=True)
    token = csrf_from(page)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page)
    assert digest is not None
    text = campaign_file.read_text(encoding="utf-8").replace("quotas: {ds: 2}", "quotas: {ds: 4}")
    campaign_file.write_text(text, encoding="utf-8")  # someone edits the file meanwhile
    resp = organiser.post(
        "/dashboard/settings/units/H1",
        data={"csrf_token": token, "digest": digest.group(1), "quota-ds": "9", "staff": "120"},
    )
    assert resp.status_code == 409
    assert campaign_file.read_text(encoding="utf-8") == text
    assert app.extensions["thidua"].campaign.quota("H2", "ds") == 4  # their change is applied


def test_a_leader_reads_the_page_but_cannot_save(
    app: Any, client: Any, campaign_file: Path
) -> None:
    svc = app.extensions["thidua"]
    add_user(svc.engine, svc.campaign.id, "lanhdao", PASSWORD, name="Lãnh đạo", role="leader")
    assert sign_in(client, "lanhdao").status_code == 302
    page = client.get("/dashboard/settings").get_data(as_text=True)
    assert "Tài khoản lãnh đạo chỉ xem cấu hình" in page
    assert "/dashboard/settings/units/H1" not in page and "Thêm đơn vị" not in page
    before = campaign_file.read_bytes()
    edit = client.get("/dashboard/settings/units/H1").get_data(as_text=True)
    token = csrf_from(edit)
    for path, data in [
        ("/dashboard/settings/units/H1", {"quota-ds": "9"}),
        ("/dashboard/settings/forms/ds", {"due_date": "2099-05-01"}),
        ("/dashboard/settings/new-unit", {"id": "X", "name": "X"}),
        ("/dashboard/settings/provision", {}),
    ]:
        resp = client.post(path, data={"csrf_token": token, **data})
        assert resp.status_code == 403, path
    assert campaign_file.read_bytes() == before
    assert _settings_events(app) == []


def test_a_post_without_csrf_token_is_refused(
    app: Any, organiser: Any, campaign_file: Path
) -> None:
    before = campaign_file.read_bytes()
    resp = organiser.post("/dashboard/settings/units/H1", data={"quota-ds": "9"})
    assert resp.status_code == 400
    assert campaign_file.read_bytes() == before
