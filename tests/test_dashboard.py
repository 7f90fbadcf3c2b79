"""Organiser dashboard (docs/design.md: Web pages): units table rolled up by parent, drill-down, downloads,
print list; every page behind the login. Exact values from a small four-unit campaign."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync import clock
from sync.operations import jobs

TEMPLATE = """\
id: ds
title: Danh sách đại biểu
tab: Đại biểu
columns:
  - {key: ho_ten, header: Họ và tên, type: text, required: true}
  - {key: gioi_tinh, header: Giới tính, type: choice, choices: [Nam, Nữ], required: true}
  - {key: nam_sinh, header: Năm sinh, type: year, min: 1955, max: 2007, required: true}
"""
CAMPAIGN = """\
campaign:
  id: dash-test
  title: Đợt thử trang tổng hợp
  organizer: Liên đoàn Lao động tỉnh Lai Châu
  timezone: Asia/Ho_Chi_Minh
backend: {kind: local, path: ./workbooks}
units:
  - {id: TINH, name: Công đoàn tỉnh, quotas: {ds: 2}}
  - {id: H1, name: Huyện Một, parent: TINH, quotas: {ds: 3}}
  - {id: H2, name: Huyện Hai, parent: TINH, quotas: {ds: 2}}
  - {id: DV3, name: Đơn vị Ba, quotas: {ds: 4}}
forms:
  - id: ds
    template: ./ds.yaml
    opens: 2025-03-01
    due: 2025-04-20T17:00
    grace: 2d
    rules:
      - {kind: max_rows, quota: true}
      - {kind: min_share, where: {gioi_tinh: Nữ}, share: 0.5, severity: warning, label: Tỷ lệ nữ}
"""
ROWS = {
    "H1": [["Lò Thị Hoa", "Nữ", 1980], ["Nguyễn Văn An", "Nam", 1975]],
    "H2": [
        ["Trần Văn Bình", "Nam", 1940],
        ["Lê Văn Cường", "Nam", 1990],
        ["Vàng A Sùng", "Nam", 1985],
    ],
    "DV3": [["Giàng Thị Mai", "Nữ", 1992]],
}
USER = ("bantochuc", "Mat-khau-thu-nghiem-2025")
ON_TIME = "2025-04-12T09:00:00+07:00"
LATE = "2025-04-21T10:00:00+07:00"  # after due, inside the 2-day grace


@pytest.fixture
def campaign_file(tmp_path: Path) -> Path:
    """Override: a campaign with a parent (TINH ← H1, H2) and a share rule."""
    from sync.campaign import load_campaign
    from sync.stores import open_store

    folder = tmp_path / "campaign"
    folder.mkdir()
    (folder / "ds.yaml").write_text(TEMPLATE, encoding="utf-8")
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    campaign = load_campaign(path)
    store = open_store(campaign)
    for unit in campaign.units:
        store.provision(unit)
    for unit, rows in ROWS.items():
        book = folder / "workbooks" / f"{unit}.xlsx"
        wb = openpyxl.load_workbook(book)
        ws = wb["Đại biểu"]
        for i, row in enumerate(rows, start=2):
            for j, value in enumerate(row, start=1):
                ws.cell(row=i, column=j).value = value
        wb.save(book)
    return path


@pytest.fixture
def checked(app: Any) -> Iterator[Any]:
    """H1 submits on time, DV3 late; then a consolidation records every unit's check."""
    from sync.users import add_user

    svc = app.extensions["thidua"]
    add_user(svc.engine, svc.campaign.id, *USER, name="Ban Tổ chức")
    clock.pin(ON_TIME)
    try:
        assert jobs.submit_job(svc.workspace, "H1", "ds", "t-1")["submitted"]
        clock.pin(LATE)
        assert jobs.submit_job(svc.workspace, "DV3", "ds", "t-2")["submitted"]
        jobs.consolidate_job(svc.workspace, "t-3")
        yield app
    finally:
        clock.pin(None)


def login(client: Any) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    resp = client.post(
        "/login",
        data={"username": USER[0], "password": USER[1], "csrf_token": token.group(1)},
    )
    assert resp.status_code == 302


def cells(html: str, unit: str) -> list[str]:
    """The visible texts of the table row `data-unit=unit` (first match)."""
    row = re.search(rf'<tr class="[a-z]+" data-unit="{unit}"[^>]*>(.*?)</tr>', html, re.S)
    assert row is not None, unit
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in found]


def group_row(html: str, kind: str) -> list[str]:
    row = re.search(rf'<tr class="{kind}" data-unit="[^"]*"[^>]*>(.*?)</tr>', html, re.S)
    assert row is not None, kind
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in found]


PAGES = [
    "/dashboard",
    "/dashboard/units/H1",
    "/dashboard/download/tong-hop.xlsx",
    "/dashboard/download/ds.csv",
    "/dashboard/print/ds",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_login(client: Any, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


def test_home_redirects_to_dashboard(client: Any) -> None:
    resp = client.get("/")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/dashboard")


def test_units_table_rolled_up_by_parent(checked: Any, client: Any) -> None:
    login(client)
    html = client.get("/dashboard").get_data(as_text=True)
    # Mã, Đơn vị, Dòng / chỉ tiêu, Lỗi, Tỷ lệ nữ (≥ 50 %), Trạng thái, Thay đổi lúc: what
    # fits 1366 px; shares below target and rows over quota are marked (not by colour only)
    assert cells(html, "TINH") == [
        "TINH", "Công đoàn tỉnh", "0 / 2", "0", "", "Chưa nhập Quá hạn, chưa nộp", "",
    ]  # fmt: skip
    assert cells(html, "H1") == [
        "H1", "Huyện Một", "2 / 3", "0", "50,0 %", "Đã nộp đúng hạn", "12/04/2025 09:00",
    ]  # fmt: skip
    assert cells(html, "H2") == [
        "H2", "Huyện Hai", "3 / 2 — vượt chỉ tiêu", "2", "0,0 % — chưa đạt chỉ tiêu",
        "Đang nhập, còn lỗi Quá hạn, chưa nộp", "12/04/2025 09:00",
    ]  # fmt: skip
    assert cells(html, "DV3") == [
        "DV3", "Đơn vị Ba", "1 / 4", "0", "100,0 %", "Đã nộp trễ hạn", "12/04/2025 09:00",
    ]  # fmt: skip
    # totals per parent and for the campaign, with shares pooled over their rows
    assert group_row(html, "group") == [
        "", "Cộng: Công đoàn tỉnh", "5 / 7", "2", "20,0 % — chưa đạt chỉ tiêu", "1/3 đã nộp", "",
    ]  # fmt: skip
    assert group_row(html, "total") == [
        "", "Tổng cộng", "6 / 11", "2", "33,3 % — chưa đạt chỉ tiêu", "2/4 đã nộp", "",
    ]  # fmt: skip
    # tree order: the parent, its children, its subtotal, then the unit without a parent
    order = re.findall(r'<tr class="([a-z]+)" data-unit="([^"]*)"', html)
    assert order == [
        ("unit", "TINH"), ("unit", "H1"), ("unit", "H2"), ("group", "TINH"),
        ("unit", "DV3"), ("total", ""),
    ]  # fmt: skip
    assert 'sticky-2 indent-1"' in html  # children indented under their parent
    assert 'href="/dashboard/units/H2#form-ds"' in html


def test_deadline_progress_and_chart(checked: Any, client: Any) -> None:
    login(client)
    html = client.get("/dashboard").get_data(as_text=True)
    assert '<time class="countdown" datetime="2025-04-20T17:00:00+07:00">' in html
    assert "đã quá hạn 0 ngày 17 giờ" in html  # now 21/04 10:00, due 20/04 17:00
    assert "gia hạn đến 22/04/2025 17:00 (vẫn nhận, ghi là trễ hạn)" in html
    answers = {k: v.strip() for k, v in re.findall(r"<dt>([^<]+)</dt>\s*<dd>([^<]+)", html)}
    assert answers == {
        "Đã nộp / phải nộp": "2/4",
        "Đúng hạn": "1",
        "Trễ hạn": "1",
        "Quá hạn, chưa nộp": "2",
        "Chỉ tiêu đã dùng": "6/11",
        "Tỷ lệ nữ": "33,3 %",  # campaign-wide, against its 50 % target
    }
    alerts = re.findall(r'<div class="answer answer--alert">\s*<dt>([^<]+)</dt>', html)
    assert alerts == ["Trễ hạn", "Quá hạn, chưa nộp", "Tỷ lệ nữ"]
    svg = re.search(r'<svg class="chart" id="chart-ds".*?</svg>', html, re.S)
    assert svg is not None
    chart = svg.group(0)
    assert 'role="img"' in chart and "<title id=" in chart
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", chart, re.S)
    assert desc is not None
    assert desc.group(1) == (
        "Toàn đợt — 4 đơn vị: Đã nộp: 2/4 (50,0 %); Nộp đúng hạn: 1/4 (25,0 %). "
        "Công đoàn tỉnh — 3 đơn vị: Đã nộp: 1/3 (33,3 %); Nộp đúng hạn: 1/3 (33,3 %)."
    )
    widths = re.findall(r'width="([\d.]+)%" height="12" rx="3" fill="#', chart)
    assert widths == ["100", "50.00", "100", "25.00", "100", "33.33", "100", "33.33"]


def test_unit_never_checked_is_not_an_error(app: Any, client: Any) -> None:
    from sync.users import add_user

    svc = app.extensions["thidua"]
    add_user(svc.engine, svc.campaign.id, *USER)
    login(client)
    resp = client.get("/dashboard")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    # no share column yet (no check reported one)
    assert cells(html, "H1")[2:5] == ["– / 3", "–", "Chưa kiểm tra Quá hạn, chưa nộp"]
    assert "4 đơn vị chưa được kiểm tra lần nào" in html
    unit = client.get("/dashboard/units/H1").get_data(as_text=True)
    assert "Chưa kiểm tra: số liệu sẽ có sau lần kiểm tra đầu tiên." in unit


def test_drill_down_lists_findings_by_row_with_column(checked: Any, client: Any) -> None:
    login(client)
    resp = client.get("/dashboard/units/H2")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<h1>Huyện Hai" in html
    assert 'Trực thuộc: <a href="/dashboard/units/TINH">Công đoàn tỉnh</a>' in html
    body = re.search(r'<table class="data findings".*?<tbody>(.*?)</tbody>', html, re.S)
    assert body is not None
    rows = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]
    assert rows == [
        ["–", "(cả danh sách)", "Lỗi", "Vượt chỉ tiêu: 3/2 dòng — bớt 1 dòng", "3"],
        [
            "–",
            "(cả danh sách)",
            "Cảnh báo",
            "Tỷ lệ nữ 0 % (0/3), yêu cầu tối thiểu 50 % — cần ít nhất 2/3",
            "0,0 %",
        ],
        [
            "2",
            "Năm sinh",
            "Lỗi",
            "«Năm sinh» 1940 ngoài khoảng cho phép — nhập từ 1955 đến 2007",
            "1940",
        ],
    ]
    ok = client.get("/dashboard/units/H1").get_data(as_text=True)
    assert "Không có lỗi nào." in ok and "Nộp lúc 12/04/2025 09:00" in ok


def test_unknown_unit_is_a_404_page(checked: Any, client: Any) -> None:
    login(client)
    resp = client.get("/dashboard/units/KHONG-CO")
    assert resp.status_code == 404
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "Không tìm thấy đơn vị" in html
    assert "Không có đơn vị mã «KHONG-CO» trong đợt này." in html
    assert client.get("/dashboard/download/khong_co.csv").status_code == 404
    assert client.get("/dashboard/print/khong_co").status_code == 404


def test_csv_is_the_forms_merged_rows(checked: Any, client: Any) -> None:
    login(client)
    resp = client.get("/dashboard/download/ds.csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="dash-test-ds.csv"'
    assert resp.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    late = "«Năm sinh» 1940 ngoài khoảng cho phép — nhập từ 1955 đến 2007"
    assert rows == [
        ["Mã đơn vị", "Đơn vị", "Họ và tên", "Giới tính", "Năm sinh", "Kết quả kiểm tra"],
        ["H1", "Huyện Một", "Lò Thị Hoa", "Nữ", "1980", "Đã nộp · ✓ Hợp lệ"],
        ["H1", "Huyện Một", "Nguyễn Văn An", "Nam", "1975", "Đã nộp · ✓ Hợp lệ"],
        ["H2", "Huyện Hai", "Trần Văn Bình", "Nam", "", f"Chưa nộp · ✗ 1 lỗi: {late}"],
        ["H2", "Huyện Hai", "Lê Văn Cường", "Nam", "1990", "Chưa nộp · ✓ Hợp lệ"],
        ["H2", "Huyện Hai", "Vàng A Sùng", "Nam", "1985", "Chưa nộp · ✓ Hợp lệ"],
        ["DV3", "Đơn vị Ba", "Giàng Thị Mai", "Nữ", "1992", "Đã nộp · ✓ Hợp lệ"],
    ]


def test_xlsx_download_is_the_consolidated_workbook(checked: Any, client: Any) -> None:
    login(client)
    resp = client.get("/dashboard/download/tong-hop.xlsx")
    assert resp.status_code == 200
    assert "filename=Tong-hop-dash-test.xlsx" in resp.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["Tổng hợp", "Đại biểu", "Cần sửa"]
    tabs = read_consolidated_bytes(resp.data)
    summary = tabs["Tổng hợp"]
    assert summary[0][8] == "Tỷ lệ nữ"
    assert summary[-1][:9] == [None, "Tổng cộng", "Danh sách đại biểu", 11, 6, 5, 2, 2, None]
    assert len(tabs["Đại biểu"]) == 7  # header + 6 rows
    fixes = [tuple(r[3:5]) for r in tabs["Cần sửa"][1:]]
    assert (2, "Năm sinh") in fixes


def read_consolidated_bytes(data: bytes) -> dict[str, list[list[Any]]]:
    """The tables of a downloaded consolidated workbook (header row first)."""
    import tempfile

    from sync.stores.local.consolidated import read_consolidated

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Tong-hop.xlsx"
        path.write_bytes(data)
        return read_consolidated(path)


def test_xlsx_download_when_a_store_fails(
    checked: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.errors import StoreError

    login(client)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise StoreError("Không đọc được thư mục bảng tính")

    monkeypatch.setattr("sync.pipeline.run_validation", broken)
    resp = client.get("/dashboard/download/tong-hop.xlsx")
    assert resp.status_code == 503
    assert resp.mimetype == "text/html"
    assert "Không tạo được tệp tổng hợp: Không đọc được thư mục bảng tính" in resp.get_data(
        as_text=True
    )


def test_print_list_has_the_title_block(checked: Any, client: Any) -> None:
    login(client)
    resp = client.get("/dashboard/print/ds")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "print.css" in html and "data-print" in html
    for text in (
        '<p class="org-name">LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU</p>',
        '<p class="nation">CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM</p>',
        '<p class="motto">Độc lập - Tự do - Hạnh phúc</p>',
        '<p class="date-line">……, ngày 21 tháng 4 năm 2025</p>',
        '<h1 id="print-title" class="doc-title">DANH SÁCH ĐẠI BIỂU</h1>',
        "TM. BAN TỔ CHỨC",
        "/dashboard/download/ds.docx?pham_vi=da_nop",
    ):
        assert text in html
    body = re.search(r'<table class="print-table".*?<tbody>(.*?)</tbody>', html, re.S)
    assert body is not None
    rows = [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)
        ]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    ]
    # default: the official rows of the units that submitted (H1 on time, DV3 late),
    # grouped by unit
    assert rows == [
        ["Huyện Một (2)"],
        ["1", "Lò Thị Hoa", "Nữ", "1980"],
        ["2", "Nguyễn Văn An", "Nam", "1975"],
        ["Đơn vị Ba (1)"],
        ["3", "Giàng Thị Mai", "Nữ", "1992"],
    ]
    everyone = client.get("/dashboard/print/ds?pham_vi=hop_le").get_data(as_text=True)
    # the valid rows of Huyện Hai (not submitted) are added, its row with an error is not
    assert "Huyện Hai * (2)" in everyone and "Tổng số: 5 dòng của 3 đơn vị." in everyone
    word = client.get("/dashboard/download/ds.docx")
    assert word.status_code == 200 and word.data[:2] == b"PK"
    assert "dash-test-ds.docx" in word.headers["Content-Disposition"]


def test_print_list_is_never_half_built(app: Any, client: Any) -> None:
    """The first request after a start, before any check was recorded, lists every unit's
    valid rows (a full check runs first), not the few units checked so far."""
    from sync.users import add_user

    svc = app.extensions["thidua"]
    add_user(svc.engine, svc.campaign.id, *USER)
    login(client)
    clock.pin(ON_TIME)
    try:
        html = client.get("/dashboard/print/ds?pham_vi=hop_le").get_data(as_text=True)
    finally:
        clock.pin(None)
    # H1 2 rows, H2 2 valid rows of 3, DV3 1 row: all of them on the first view
    assert "Tổng số: 5 dòng của 3 đơn vị." in html


def test_print_css_is_a4_landscape() -> None:
    css = (Path(__file__).parents[1] / "webhooks" / "static" / "print.css").read_text("utf-8")
    assert re.search(r"@page \{\s*size: A4 landscape;", css)
    assert 'counter(page) "/" counter(pages)' in css  # page numbers
    assert re.search(r"@media print \{[^@]*\.no-print", css)


# --- review, return, extend from the unit page; leaders only read ---------------------------


def _post(client: Any, path: str, page: str, **data: str) -> Any:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    return client.post(path, data={"csrf_token": token.group(1), **data})


def test_return_then_approve_from_the_unit_page(checked: Any, client: Any) -> None:
    login(client)
    page = client.get("/dashboard/units/H1").get_data(as_text=True)
    assert "Đã nộp đúng hạn" in page and ">Duyệt</button>" in page
    clock.pin("2025-04-13T08:00:00+07:00")
    try:
        resp = _post(
            client,
            "/dashboard/units/H1/ds/review",
            page,
            decision="returned",
            reason="Thiếu giới tính của người thứ hai",
            until="2025-04-25T17:00",
        )
        assert resp.status_code == 302
        page = client.get("/dashboard/units/H1").get_data(as_text=True)
        assert "Đã trả lại «Danh sách đại biểu» cho Huyện Một" in page
        assert "Bị trả lại để sửa" in page
        assert (
            "Trả lại bởi bantochuc lúc 13/04/2025 08:00: Thiếu giới tính của người thứ hai "
            "(sửa và nộp lại trước 25/04/2025 17:00)" in page
        )
        assert ">Duyệt</button>" not in page  # waits for the unit to resubmit
        svc = checked.extensions["thidua"]
        clock.pin("2025-04-14T09:00:00+07:00")
        assert jobs.submit_job(svc.workspace, "H1", "ds", "t-4")["corrected"] is True
        page = client.get("/dashboard/units/H1").get_data(as_text=True)
        assert "Đã nộp đúng hạn (bổ sung)" in page
        resp = _post(client, "/dashboard/units/H1/ds/review", page, decision="approved")
        assert resp.status_code == 302
        page = client.get("/dashboard/units/H1").get_data(as_text=True)
        assert "Đã duyệt «Danh sách đại biểu» của Huyện Một." in page
        assert "Đã duyệt bởi bantochuc lúc 14/04/2025 09:00." in page
        status = client.get("/api/campaign/status").get_json()
        h1 = next(u for u in status["units"] if u["unit"] == "H1")
        assert (h1["state"], h1["changed_since_submit"]) == ("approved", False)
        assert h1["review"]["decision"] == "approved"
        # A refusal is explained, nothing changes.
        resp = _post(client, "/dashboard/units/H2/ds/review", page, decision="approved")
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert "Chưa thực hiện được: Huyện Hai chưa nộp «Danh sách đại biểu»" in page
        resp = _post(client, "/dashboard/units/H2/ds/extend", page, until="2025-04-30T17:00")
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert "Đã gia hạn «Danh sách đại biểu» cho Huyện Hai đến 30/04/2025 17:00." in page
        assert "Hạn nộp của đơn vị: 30/04/2025 17:00 (gia hạn)" in page
    finally:
        clock.pin("2025-04-21T10:00:00+07:00")


LEADER = ("lanhdao", "Lanh-dao-chi-xem-2025")


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/dashboard/units/H1/ds/review", {"decision": "approved"}),
        ("/dashboard/units/H1/ds/review", {"decision": "returned", "reason": "x"}),
        ("/dashboard/units/H1/ds/extend", {"until": "2025-04-30T17:00"}),
    ],
)
def test_a_leader_reads_everything_and_changes_nothing(
    checked: Any, client: Any, path: str, data: dict[str, str]
) -> None:
    from sync.audit.models import Extension, Review
    from sync.users import add_user

    svc = checked.extensions["thidua"]
    add_user(svc.engine, svc.campaign.id, *LEADER, name="Lãnh đạo", role="leader")
    page = client.get("/login").get_data(as_text=True)
    resp = _post(client, "/login", page, username=LEADER[0], password=LEADER[1])
    assert resp.status_code == 302
    for read in PAGES:
        assert client.get(read).status_code == 200, read
    page = client.get("/dashboard/units/H1").get_data(as_text=True)
    assert ">Duyệt</button>" not in page and "Gia hạn cho đơn vị" not in page
    resp = _post(client, path, page, **data)
    assert resp.status_code == 403
    assert "Tài khoản lãnh đạo chỉ xem được" in resp.get_data(as_text=True)
    with svc.engine.connect() as conn:
        assert conn.execute(Review.__table__.select()).all() == []
        assert conn.execute(Extension.__table__.select()).all() == []
