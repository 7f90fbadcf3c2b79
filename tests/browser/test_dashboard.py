"""The organiser dashboard in a real browser (sample campaign): units, chart, drill-down to a
unit's findings, the consolidated workbook download, the print list, a phone."""

from __future__ import annotations

import re
import time
from typing import Any

import openpyxl

from sync.stores.local.consolidated import HEADER_ROW
from tests.browser.conftest import (
    ARTIFACTS,
    Console,
    LiveServer,
    axe_violations,
    login,
    no_sideways_scroll,
    screenshot,
)

FORM = "dai_bieu"
TABLE = f"#form-{FORM} table.units"


def wait_for_checks(page: Any, live: LiveServer, timeout: float = 60.0) -> None:
    """Reload the dashboard until the start-up consolidation recorded every unit."""
    end = time.monotonic() + timeout
    while True:
        page.goto(live.url + "/dashboard")
        if page.locator(f"{TABLE} .badge", has_text="Chưa kiểm tra").count() == 0:
            return
        assert time.monotonic() < end, "the start-up consolidation never recorded the units"
        page.wait_for_timeout(500)


def test_organiser_sees_units_drills_in_and_downloads(
    page: Any, live_server: LiveServer, console: Console, tmp_path: Any
) -> None:
    login(page, live_server)
    wait_for_checks(page, live_server)
    units = live_server.service.campaign.units
    rows = page.locator(f"{TABLE} tbody tr.unit")
    assert rows.count() == len(units)
    for unit in units:
        assert page.locator(f"{TABLE} tr[data-unit='{unit.id}'] a").inner_text() == unit.name
    total = page.locator(f"{TABLE} tr.total")
    assert total.locator("th").inner_text() == "Tổng cộng"
    assert total.locator("td").nth(1).inner_text().endswith("/ 160")  # the sample's quotas
    chart = page.locator(f"#chart-{FORM}")
    assert chart.is_visible()
    assert chart.get_attribute("role") == "img"
    assert "Toàn đợt" in (chart.locator("desc").text_content() or "")
    countdown = page.locator(f"#form-{FORM} time.countdown")
    assert countdown.inner_text().startswith("còn 8 ngày")  # due 20/04 17:00, now 12/04 09:00
    screenshot(page, "dashboard")
    page.locator(f"#form-{FORM}").screenshot(path=str(ARTIFACTS / "dashboard-form.png"))
    assert axe_violations(page) == []

    # a unit with errors in a cell (not only over quota): its findings with row and column
    with_errors = page.locator(f"{TABLE} tbody tr.unit").filter(has=page.locator("td.sev-error"))
    assert with_errors.count() > 0
    numbered: list[list[str]] = []
    for i in range(with_errors.count()):
        link = with_errors.nth(i).locator("th a")
        name = link.inner_text()
        link.click()
        page.wait_for_url("**/dashboard/units/**")
        assert page.get_by_role("heading", level=1).inner_text().startswith(name)
        table = page.locator(f"#form-{FORM} table.findings")
        assert table.is_visible()
        headers = table.locator("thead th").all_inner_texts()
        assert headers == ["Dòng", "Cột", "Mức độ", "Nội dung", "Giá trị"]
        numbered = [
            texts
            for texts in (
                r.locator("td").all_inner_texts() for r in table.locator("tbody tr").all()
            )
            if texts[0].isdigit()
        ]
        if numbered:
            break
        page.go_back()
    assert numbered, "no unit has a finding on a row"
    headers_of_form = live_server.service.campaign.form(FORM).headers
    assert all(n[1] in headers_of_form for n in numbered)  # the column by its header
    assert any(n[2] == "Lỗi" for n in numbered)
    screenshot(page, "dashboard-unit")
    assert axe_violations(page) == []

    # the consolidated workbook
    page.get_by_role("link", name="Tổng hợp").first.click()
    page.wait_for_url("**/dashboard")
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải bảng tổng hợp (.xlsx)").click()
    download = info.value
    assert download.suggested_filename == "Tong-hop-laichau-2025.xlsx"
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames[0] == "Tổng hợp" and wb.sheetnames[-1] == "Cần sửa"
    assert "Đại biểu" in wb.sheetnames
    names = {r[2] for r in wb["Tổng hợp"].iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    assert {u.name for u in units} <= names
    assert console.errors == []


def test_print_list(page: Any, live_server: LiveServer, console: Console) -> None:
    """The official delegate list: NĐ 30 title block, the template's title, rows grouped
    by unit, and at most 6 A4 landscape pages in Chromium's print-to-PDF."""
    login(page, live_server)
    wait_for_checks(page, live_server)
    page.locator(f"#form-{FORM}").get_by_role("link", name="In danh sách trích ngang").click()
    page.wait_for_url(f"**/dashboard/print/{FORM}")
    assert page.locator(".org-parent").inner_text() == "TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM"
    assert page.locator(".org-name").inner_text() == "LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU"
    assert page.locator(".nation").inner_text() == "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert page.locator(".date-line").inner_text() == "Lai Châu, ngày 12 tháng 4 năm 2025"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "DANH SÁCH TRÍCH NGANG ĐẠI BIỂU DỰ HỘI NGHỊ ĐIỂN HÌNH TIÊN TIẾN"
    )
    assert page.locator(".signature__name").inner_text() == "Hoàng Thọ Trung"
    rows = page.locator(".print-table tbody tr:not(.group)").count()
    assert rows > 50
    screenshot(page, "dashboard-print")
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="In").is_visible()  # hidden on paper
    assert not page.locator(".topbar").is_visible()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / "dashboard-print.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    print(f"print page: {rows} rows on {pages} A4 landscape pages")
    assert 1 < pages <= 6
    page.emulate_media(media="screen")
    page.get_by_label("Danh sách gồm").select_option("hop_le")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**pham_vi=hop_le")
    valid = page.locator(".print-table tbody tr:not(.group)").count()
    assert valid > rows
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True)
    more = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    print(f"print page, every valid row: {valid} rows on {more} pages")
    assert more <= -(-valid * 6 // 86)  # at least the density of 86 rows in 6 pages
    page.emulate_media(media="screen")
    assert axe_violations(page) == []
    assert console.errors == []


def test_dashboard_on_a_phone(phone: Any, live_server: LiveServer, console: Console) -> None:
    login(phone, live_server)
    wait_for_checks(phone, live_server)
    assert no_sideways_scroll(phone)
    assert phone.locator(f"#chart-{FORM}").is_visible()
    screenshot(phone, "dashboard-phone")
    phone.locator(f"{TABLE} tbody tr.unit th a").first.click()
    phone.wait_for_url("**/dashboard/units/**")
    assert no_sideways_scroll(phone)
    screenshot(phone, "dashboard-unit-phone")
    assert axe_violations(phone) == []
    assert console.errors == []
