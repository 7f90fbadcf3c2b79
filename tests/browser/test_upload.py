"""A unit's upload page in a real browser (sample campaign, now = 12/04/2025 09:00):
open the link, upload a workbook with mistakes, read the findings, download the annotated
workbook, fix it, upload again, Nộp; a CSV renamed .xlsx is refused with its message."""

from __future__ import annotations

import random
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl

from sync.campaign import Campaign, Form
from sync.demo import sample_rows
from sync.links import default_expiry, make_link
from sync.stores.local.writer import put_rows
from tests.browser.conftest import (
    Console,
    LiveServer,
    axe_violations,
    no_sideways_scroll,
    screenshot,
)

UNIT = "H-TAMDUONG"
FILE_LABEL = "Chọn tệp Excel (.xlsx) đã điền"
SEND = "Gửi lên và kiểm tra"
STATES_VISIBLE = """() => [...document.querySelectorAll(
        "table.forms-overview td[data-label='Tình trạng']")].every(td => {
    const r = td.getBoundingClientRect();
    return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth + 1;
})"""


def unit_url(live: LiveServer, unit: str = UNIT) -> str:
    c: Campaign = live.service.campaign
    link = make_link(c, live.service.secret, c.unit(unit), default_expiry(c) + timedelta(days=1))
    return link.url(live.url)


def clear_rows(path: Path, form: Form) -> None:
    """Empty the form's data rows of a workbook copy (as a clerk deleting them would)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[form.tab]
    for r in range(form.header_row + 1, ws.max_row + 1):
        for c in range(1, len(form.keys) + 1):
            ws.cell(row=r, column=c).value = None
    wb.save(path)


def findings_table(page: Any, form: Form) -> Any:
    return page.locator(f"#bieu-mau-{form.id} table.findings")


def test_unit_uploads_fixes_and_submits(
    page: Any, live_server: LiveServer, console: Console, tmp_path: Path
) -> None:
    c: Campaign = live_server.service.campaign
    form = c.form("dai_bieu")
    rows = sample_rows(form, 4, "Tam Đường", random.Random(41))
    for i, row in enumerate(rows):
        row["ho_ten"] = ["Lò Thị Mai", "Vàng A Sử", "Tẩn Thị Dung", "Hoàng Văn Páo"][i]
    rows[1]["nam_sinh"] = 1800  # out of range
    rows[2]["gioi_tinh"] = "Nữa"  # not a choice
    book = tmp_path / "so-tam-duong.xlsx"
    shutil.copy(live_server.campaign_dir / "workbooks" / f"{UNIT}.xlsx", book)
    clear_rows(book, form)
    put_rows(book, form, rows)

    page.goto(unit_url(live_server))
    assert page.get_by_role("heading", level=1).inner_text() == c.unit(UNIT).name
    assert page.evaluate(STATES_VISIBLE)
    page.get_by_label(FILE_LABEL).set_input_files(str(book))
    assert page.locator("#workbook-name").inner_text() == book.name  # the chooser names it
    with page.expect_navigation():  # the next page, not the old one
        page.get_by_role("button", name=SEND).click()
    assert "Đã nhận tệp" in page.get_by_role("status").first.inner_text()
    table = findings_table(page, form)
    first_row = form.header_row + 1
    error_rows = table.locator("tbody tr", has=page.locator(".sev-error"))
    seen = {
        (r.locator("td").nth(0).inner_text(), r.locator("td").nth(1).inner_text())
        for r in error_rows.all()
    }
    assert (str(first_row + 1), "Năm sinh") in seen
    assert (str(first_row + 2), "Giới tính") in seen
    card = page.locator(f"#bieu-mau-{form.id}")
    nop = card.get_by_role("button", name=f"«{form.title}»")
    assert nop.is_disabled()  # no confirmation dialog for a submission the server refuses
    assert "Chưa nộp được: còn" in card.locator(".submit-reason").inner_text()
    screenshot(page, "upload-errors")
    assert axe_violations(page) == []

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải sổ của đơn vị (.xlsx)").click()
    download = info.value
    assert download.suggested_filename == f"{UNIT}-phan-hoi.xlsx"
    annotated = tmp_path / "phan-hoi.xlsx"
    download.save_as(str(annotated))
    wb = openpyxl.load_workbook(annotated)
    ws = wb[form.tab]
    status_col = len(form.keys) + 1
    assert ws.cell(row=form.header_row, column=status_col).value == (  # title, then the state
        "Kết quả kiểm tra\nĐang nhập, còn 2 lỗi — sửa hết lỗi rồi nộp trước 20/04/2025 17:00"
    )
    assert "1955" in str(ws.cell(row=first_row + 1, column=status_col).value)
    assert "Giới tính" in str(ws.cell(row=first_row + 2, column=status_col).value)

    # the clerk fixes the two cells in the annotated workbook and sends it again
    ws.cell(row=first_row + 1, column=form.keys.index("nam_sinh") + 1).value = 1980
    ws.cell(row=first_row + 2, column=form.keys.index("gioi_tinh") + 1).value = "Nữ"
    wb.save(annotated)
    page.get_by_label(FILE_LABEL).set_input_files(str(annotated))
    with page.expect_navigation():  # the next page, not the old one
        page.get_by_role("button", name=SEND).click()
    card = page.locator(f"#bieu-mau-{form.id}")
    assert card.locator(".sev-error").count() == 0
    screenshot(page, "upload-fixed")

    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():  # the next page, not the old one
        card.get_by_role("button", name=f"«{form.title}»").click()
    notice = page.locator(".notice--success").first.inner_text()
    assert f"Đã nộp «{form.title}» lúc 12/04/2025 09:00 — đúng hạn" in notice
    history = page.locator("#lich-su")
    assert history.locator("table.history tbody tr").count() == 2
    assert history.get_by_text("Được nhận").count() == 2
    assert history.locator(".submissions").get_by_text(form.title).count() >= 1
    screenshot(page, "upload-submitted")

    csv_file = tmp_path / "danh-sach.xlsx"
    csv_file.write_text("Họ và tên,Giới tính,Năm sinh\nLò Thị Mai,Nữ,1985\n", encoding="utf-8")
    page.get_by_label(FILE_LABEL).set_input_files(str(csv_file))
    with page.expect_navigation():  # the next page, not the old one
        page.get_by_role("button", name=SEND).click()
    alert = page.get_by_role("alert").first.inner_text()
    assert "văn bản/CSV" in alert and "Lưu thành" in alert
    assert history.get_by_text("Bị từ chối").count() == 1
    screenshot(page, "upload-wrong-file")
    assert axe_violations(page) == []
    assert console.errors == []


def test_upload_page_on_a_phone(phone: Any, live_server: LiveServer, console: Console) -> None:
    phone.goto(unit_url(live_server, "H-PHONGTHO"))
    assert phone.get_by_text("Chọn tệp…").is_visible()  # the Vietnamese chooser
    assert phone.get_by_text("Chưa chọn tệp nào").is_visible()
    assert no_sideways_scroll(phone)
    assert phone.evaluate(STATES_VISIBLE), "a form's state is cut off at 390 px"
    screenshot(phone, "upload-phone")
    assert axe_violations(phone) == []
    assert console.errors == []


def test_bad_link_page(page: Any, live_server: LiveServer, console: Console) -> None:
    resp = page.goto(live_server.url + "/u/not-a-real-token")
    assert resp is not None and resp.status == 403
    assert "không hợp lệ" in page.get_by_role("main").inner_text()
