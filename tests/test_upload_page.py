"""The unit upload page through the Flask client: upload → findings → annotated workbook →
re-upload → Nộp; wrong files, too-large files, locked forms and bad links are refused."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync import clock
from sync.links import make_link
from tests.service_helpers import SECRET, make_campaign

FAR = datetime(2099, 12, 31, tzinfo=timezone.utc)


def token_for(app: Any, unit: str = "DV1", expires: datetime = FAR, secret: str = SECRET) -> str:
    c = app.extensions["thidua"].campaign
    return make_link(c, secret, c.unit(unit), expires).token


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has a CSRF field"
    return match.group(1)


def workbook_with(campaign_file: Path, rows: list[list[Any]], unit: str = "DV1") -> bytes:
    """The unit's workbook as provisioned, with `rows` typed below the header."""
    wb = openpyxl.load_workbook(campaign_file.parent / "workbooks" / f"{unit}.xlsx")
    ws = wb["Danh sách"]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post_file(client: Any, token: str, data: bytes, name: str = "so-don-vi.xlsx") -> Any:
    page = client.get(f"/u/{token}").get_data(as_text=True)
    return client.post(
        f"/u/{token}/upload",
        data={"csrf_token": csrf_of(page), "workbook": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def submit(client: Any, token: str, form: str = "ds") -> Any:
    page = client.get(f"/u/{token}").get_data(as_text=True)
    return client.post(f"/u/{token}/submit", data={"csrf_token": csrf_of(page), "form": form})


def findings_rows(html: str) -> list[list[str]]:
    """Cells of the findings tables (Dòng, Cột, Mức độ, Nội dung)."""
    out = []
    for table in re.findall(r'<table class="data findings">(.*?)</table>', html, re.S):
        for tr in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S):
            out.append([text_of(td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)])
    return out


def test_upload_findings_download_reupload_submit(app, client, campaign_file) -> None:  # type: ignore[no-untyped-def]
    token = token_for(app)
    first = client.get(f"/u/{token}")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "Đơn vị Một" in page and 'type="file"' in page and 'accept=".xlsx' in page
    # a Vietnamese file chooser (a label styled as a button), not the browser's English one
    assert '<label class="button file-picker__button" for="workbook">Chọn tệp…</label>' in page
    assert "Chưa chọn tệp nào" in page
    assert re.search(r'<time class="countdown[^"]*" datetime="2099-04-20T17:00:00\+07:00">', page)

    resp = post_file(
        client, token, workbook_with(campaign_file, [["Lò Thị Mai", 1800], ["", 1990]])
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/u/{token}")
    page = client.get(f"/u/{token}").get_data(as_text=True)
    text = text_of(page)
    assert "Kết quả kiểm tra: 2 lỗi" in text
    rows = findings_rows(page)
    assert rows[0][:3] == ["2", "Năm sinh", "Lỗi"] and "1955" in rows[0][3]
    assert rows[1][:3] == ["3", "Họ và tên", "Lỗi"]
    assert "Được nhận" in text and "so-don-vi.xlsx" in text

    download = client.get(f"/u/{token}/workbook.xlsx")
    assert download.status_code == 200
    assert "DV1-phan-hoi.xlsx" in download.headers["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(download.data))["Danh sách"]
    assert ws["C1"].value == (  # the form's state under the status column's title
        "Kết quả kiểm tra\nĐang nhập, còn 2 lỗi — sửa hết lỗi rồi nộp trước 20/04/2099 17:00"
    )
    assert "1955" in str(ws["C2"].value) and "Họ và tên" in str(ws["C3"].value)

    # Nộp is disabled while errors remain, with the reason beside it
    button = re.search(
        r'class="submit-form">.*?<button type="submit" class="button button--primary"([^>]*)>',
        page,
        re.S,
    )
    assert button is not None and "disabled" in button.group(1) and "data-confirm" not in page
    assert "Chưa nộp được: còn 2 lỗi. Sửa hết lỗi trong sổ (xem bảng trên) rồi gửi lên lại." in text
    assert "Đã nhập" in text and "2 dòng / chỉ tiêu 3" in text  # progress names what it counts
    refused = submit(client, token)  # the server refuses too (a stale page, no script)
    assert refused.status_code == 302
    assert "Chưa nộp được" in text_of(client.get(f"/u/{token}").get_data(as_text=True))

    post_file(
        client, token, workbook_with(campaign_file, [["Lò Thị Mai", 1985], ["Vàng A Sử", 1990]])
    )
    page = client.get(f"/u/{token}").get_data(as_text=True)
    assert findings_rows(page) == [] and "Không có lỗi" in text_of(page)
    assert "data-confirm=" in page and "Chưa nộp được" not in text_of(page)
    on_disk = openpyxl.load_workbook(campaign_file.parent / "workbooks" / "DV1.xlsx")["Danh sách"]
    assert on_disk["A3"].value == "Vàng A Sử"  # the re-upload replaced the workbook
    assert text_of(page).count("Được nhận") == 2

    ok = submit(client, token)
    assert ok.status_code == 302
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert re.search(r"Đã nộp «Danh sách» lúc \d\d/\d\d/\d{4} \d\d:\d\d — đúng hạn", text)
    assert "Các lần nộp" in text and "Đúng hạn" in text


def test_wrong_files_are_refused_with_their_message(app, client, campaign_file) -> None:  # type: ignore[no-untyped-def]
    token = token_for(app)
    client.get(f"/u/{token}")  # the first visit checks the workbook (feedback written)
    before = (campaign_file.parent / "workbooks" / "DV1.xlsx").read_bytes()
    post_file(client, token, "Họ và tên,Năm sinh\nA,1980\n".encode(), "danh-sach.xlsx")
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert "tệp văn bản/CSV" in text and "Bị từ chối" in text
    # a file that says what it is gets named for it, not "renamed"
    post_file(client, token, "Họ và tên,Năm sinh\nA,1980\n".encode(), "danh-sach.csv")
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert "Tệp CSV (.csv) — hãy tải sổ Excel (.xlsx) của đơn vị (nút «Tải sổ của đơn vị»)" in text
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)
    post_file(client, token, ole2, "so-cu.xls")
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert "Tệp Excel cũ (.xls) — hệ thống chỉ đọc sổ .xlsx" in text
    post_file(client, token, workbook_with(campaign_file, [["B", 1980]], unit="DV2"))
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert "sổ của đơn vị khác: «Đơn vị Hai» (DV2)" in text
    assert (campaign_file.parent / "workbooks" / "DV1.xlsx").read_bytes() == before
    kept = list((campaign_file.parent / ".thidua" / "uploads" / "DV1").glob("*"))
    assert len(kept) == 4  # refused uploads are kept too


def test_no_file_chosen(app, client) -> None:  # type: ignore[no-untyped-def]
    token = token_for(app)
    page = client.get(f"/u/{token}").get_data(as_text=True)
    client.post(f"/u/{token}/upload", data={"csrf_token": csrf_of(page)})
    assert "Chưa chọn tệp" in text_of(client.get(f"/u/{token}").get_data(as_text=True))


def test_upload_without_csrf_is_refused(app, client, campaign_file) -> None:  # type: ignore[no-untyped-def]
    token = token_for(app)
    resp = client.post(
        f"/u/{token}/upload",
        data={"workbook": (io.BytesIO(workbook_with(campaign_file, [])), "a.xlsx")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400


@pytest.fixture
def small_app(service_config: dict[str, object]) -> Iterator[Any]:
    from webhooks import create_app

    application = create_app({**service_config, "UPLOAD_MAX_BYTES": 20_000})
    yield application
    application.extensions["thidua"].close()


def test_too_large_upload_gets_the_friendly_message(small_app) -> None:  # type: ignore[no-untyped-def]
    client = small_app.test_client()
    token = token_for(small_app)
    resp = post_file(client, token, b"PK\x03\x04" + b"\x00" * 200_000, "to.xlsx")
    assert resp.status_code == 302
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert "Tệp quá lớn" in text and "tối đa 20 KB" in text and "Bị từ chối" in text


def test_bad_links_show_an_error_page(app, client) -> None:  # type: ignore[no-untyped-def]
    token = token_for(app)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    resp = client.get(f"/u/{tampered}")
    assert resp.status_code == 403
    assert "không hợp lệ" in text_of(resp.get_data(as_text=True))
    expired = token_for(app, expires=datetime(2020, 1, 1, tzinfo=timezone.utc))
    resp = client.get(f"/u/{expired}")
    assert resp.status_code == 410 and "hết hạn" in text_of(resp.get_data(as_text=True))
    other = token_for(app, secret="another-secret")
    assert client.get(f"/u/{other}/workbook.xlsx").status_code == 403
    assert client.post(f"/u/{tampered}/submit", data={}).status_code in (400, 403)


LOCKED = """\
forms:
  - id: ds
    template: ./ds.yaml
    due: 2025-04-20T17:00
    grace: 2d
    lock: true
    rules: [{kind: max_rows, quota: true}]
"""


@pytest.fixture
def locked_app(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """A campaign whose only form locked at 22/04/2025 17:00; now is 23/04/2025."""
    from webhooks import create_app

    campaign_file = make_campaign(tmp_path / "locked")
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(text.split("forms:")[0] + LOCKED, encoding="utf-8")
    clock.pin("2025-04-23T09:00:00+07:00")
    application = create_app(
        {
            "TESTING": True,
            "CAMPAIGN": str(campaign_file),
            "SECRET": SECRET,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'locked.sqlite3'}",
            "WORKER": "none",
            "REDIS_URL": None,
        }
    )
    yield application, campaign_file
    application.extensions["thidua"].close()
    clock.pin(None)


def test_after_the_lock_uploads_and_submissions_are_refused(locked_app) -> None:  # type: ignore[no-untyped-def]
    app, campaign_file = locked_app
    client = app.test_client()
    token = token_for(app)
    page = client.get(f"/u/{token}").get_data(as_text=True)
    assert "Đã khoá sổ" in text_of(page) and "22/04/2025" in text_of(page)
    assert re.search(r'<input[^>]*type="file"[^>]*disabled', page)
    before = (campaign_file.parent / "workbooks" / "DV1.xlsx").read_bytes()
    post_file(client, token, workbook_with(campaign_file, [["Lò Thị Mai", 1985]]))
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert "không nhận tệp gửi lên nữa" in text and "Bị từ chối" in text
    assert (campaign_file.parent / "workbooks" / "DV1.xlsx").read_bytes() == before
    submit(client, token)
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert "đã khoá sổ lúc 22/04/2025 17:00" in text


def test_google_backend_explains_instead(app, client) -> None:  # type: ignore[no-untyped-def]
    svc = app.extensions["thidua"]

    class FakeGoogle:
        kind = "google"

    real, svc._store = svc._store, FakeGoogle()
    try:
        resp = client.get(f"/u/{token_for(app)}")
    finally:
        svc._store = real
    assert resp.status_code == 200 and "Google" in text_of(resp.get_data(as_text=True))
    assert 'type="file"' not in resp.get_data(as_text=True)


def test_uploads_are_rate_limited_per_link(app, client) -> None:  # type: ignore[no-untyped-def]
    token = token_for(app)
    csrf = csrf_of(client.get(f"/u/{token}").get_data(as_text=True))
    statuses = [
        client.post(f"/u/{token}/upload", data={"csrf_token": csrf}).status_code for _ in range(31)
    ]
    assert statuses[:30] == [302] * 30 and statuses[30] == 429
    resp = client.post(f"/u/{token}/upload", data={"csrf_token": csrf})
    assert resp.status_code == 429
    assert "gửi quá nhiều lần trong một giờ" in text_of(resp.get_data(as_text=True))
    other = token_for(app, unit="DV2")  # another unit's link is not held back
    assert client.get(f"/u/{other}").status_code == 200
    csrf2 = csrf_of(client.get(f"/u/{other}").get_data(as_text=True))
    assert client.post(f"/u/{other}/upload", data={"csrf_token": csrf2}).status_code == 302


MEETING = """\
id: hn
title: Hội nghị điển hình
tab: Hội nghị
columns:
  - {key: ten, header: Tên hội nghị, type: text, required: true}
  - {key: so_dai_bieu, header: Số đại biểu, type: integer, min: 1, required: true}
"""
GRACE = """\
forms:
  - id: hn
    template: ./hn.yaml
    due: 2025-04-20T17:00
    grace: 2d
    quota: 300
    rules: [{kind: max_sum, column: so_dai_bieu, quota: true}]
"""


@pytest.fixture
def grace_app(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """A form whose quota counts delegates (max_sum), seen inside its grace period."""
    from sync.campaign import load_campaign
    from sync.stores import open_store
    from webhooks import create_app

    campaign_file = make_campaign(tmp_path / "grace")
    (campaign_file.parent / "hn.yaml").write_text(MEETING, encoding="utf-8")
    text = campaign_file.read_text(encoding="utf-8").replace("quotas: {ds: 3}", "quotas: {}")
    campaign_file.write_text(text.split("forms:")[0] + GRACE, encoding="utf-8")
    campaign = load_campaign(campaign_file)
    for unit in campaign.units:
        (campaign.local_path / f"{unit.id}.xlsx").unlink()
        open_store(campaign).provision(unit)
    clock.pin("2025-04-21T10:00:00+07:00")
    application = create_app(
        {
            "TESTING": True,
            "CAMPAIGN": str(campaign_file),
            "SECRET": SECRET,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'grace.sqlite3'}",
            "WORKER": "none",
            "REDIS_URL": None,
        }
    )
    yield application, campaign_file
    application.extensions["thidua"].close()
    clock.pin(None)


def test_grace_period_and_delegate_progress_are_said_plainly(grace_app) -> None:  # type: ignore[no-untyped-def]
    app, campaign_file = grace_app
    client = app.test_client()
    token = token_for(app)
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert (
        "Hạn nộp 17:00 20/04/2025 — đã quá hạn, vẫn nhận đến 17:00 22/04/2025 (tính là trễ hạn)"
        in text
    )
    assert "Số đại biểu: 0 / chỉ tiêu 300" in text  # delegates, not rows
    wb = openpyxl.load_workbook(campaign_file.parent / "workbooks" / "DV1.xlsx")
    ws = wb["Hội nghị"]
    for r, row in enumerate([["Hội nghị xã A", 120], ["Hội nghị xã B", 80]], start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c).value = value
    out = io.BytesIO()
    wb.save(out)
    post_file(client, token, out.getvalue())
    text = text_of(client.get(f"/u/{token}").get_data(as_text=True))
    assert "Số đại biểu: 200 / chỉ tiêu 300" in text
