"""The dashboard built around a leader's questions, in Chromium at 1366×768 and 390×844:
one form at a time, campaign-wide answers, a table that shows the state without scrolling
sideways, sorting, filters, highlighted shares below target, and the unit page (rows,
history, a copy-link button)."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import (
    ARTIFACTS,
    Console,
    LiveServer,
    axe_violations,
    login,
    no_sideways_scroll,
    screenshot,
)
from tests.browser.test_dashboard import wait_for_checks

FORM = "dai_bieu"
TABLE = "table.units"

STATE_VISIBLE = """() => {
    const cell = document.querySelector("table.units tbody tr.unit td.col-state");
    const box = cell.closest(".table-wrap").getBoundingClientRect();
    const r = cell.getBoundingClientRect();
    return r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1
        && r.right <= window.innerWidth + 1;
}"""


def unit_rows(page: Any) -> list[dict[str, str]]:
    rows = []
    for row in page.locator(f"{TABLE} tbody tr.unit").all():
        rows.append(
            {
                "unit": row.get_attribute("data-unit") or "",
                "state": row.get_attribute("data-state") or "",
                "errors": row.locator("td[data-label='Lỗi']").inner_text().strip(),
            }
        )
    return rows


def test_dashboard_answers_sorts_filters_and_switches_forms(
    page: Any, live_server: LiveServer, console: Console
) -> None:
    login(page, live_server)
    wait_for_checks(page, live_server)
    assert page.locator(f"#form-{FORM} h2").inner_text() == "Danh sách trích ngang đại biểu"
    screenshot(page, "dashboard-1366")
    assert page.evaluate(STATE_VISIBLE), "the state column is off-screen at 1366 px"
    assert no_sideways_scroll(page)
    answers = dict(
        zip(
            page.locator(".answers dt").all_inner_texts(),
            page.locator(".answers dd").all_inner_texts(),
            strict=True,
        )
    )
    units = live_server.service.campaign.units
    submitted = sum(1 for r in unit_rows(page) if r["state"].startswith("submitted"))
    assert answers["Đã nộp / phải nộp"] == f"{submitted}/{len(units)}"
    assert "Chỉ tiêu đã dùng" in answers
    # a share below its target is highlighted, in the table and above it
    low = page.locator(f"{TABLE} tbody td.off-target--below")
    assert low.count() > 0
    assert "chưa đạt chỉ tiêu" in (low.first.text_content() or "")
    assert page.locator(".answer--alert").count() > 0
    assert axe_violations(page) == []

    # sort by errors, largest first
    before = [r["unit"] for r in unit_rows(page)]
    page.locator(f"{TABLE} thead th a", has_text="Lỗi").click()
    page.wait_for_url("**sap_xep=loi**")
    errors = [int(r["errors"]) for r in unit_rows(page)]
    assert errors == sorted(errors, reverse=True) and errors[0] > 0
    assert [r["unit"] for r in unit_rows(page)] != before
    assert page.locator(f"{TABLE} thead th[aria-sort='descending']").inner_text().startswith("Lỗi")

    # filter "chưa nộp": only units that have not submitted remain
    page.get_by_label("Trạng thái").select_option("chua_nop")
    page.wait_for_url("**trang_thai=chua_nop**")
    shown = unit_rows(page)
    assert shown and len(shown) == len(units) - submitted
    assert all(not r["state"].startswith("submitted") for r in shown)
    assert page.locator(f"{TABLE} tr.total th").inner_text() == "Tổng cộng"
    screenshot(page, "dashboard-1366-filtered")
    assert axe_violations(page) == []

    # the form picker switches forms
    page.get_by_label("Biểu mẫu", exact=True).select_option("hoi_nghi_co_so")
    page.wait_for_url("**form=hoi_nghi_co_so**")
    assert page.locator("#form-hoi_nghi_co_so h2").is_visible()
    assert page.locator(f"#form-{FORM}").count() == 0
    assert console.errors == []


def test_unit_page_shows_rows_history_and_copy_link(
    page: Any, live_server: LiveServer, console: Console
) -> None:
    login(page, live_server)
    wait_for_checks(page, live_server)
    submitted = next(r for r in unit_rows(page) if r["state"].startswith("submitted"))
    page.locator(f"{TABLE} tr[data-unit='{submitted['unit']}'] th a").click()
    page.wait_for_url("**/dashboard/units/**")
    rows = page.locator(f"#form-{FORM} .unit-rows tbody tr")
    assert rows.count() > 0
    history = page.locator("#lich-su table tbody tr")
    assert history.count() > 0
    assert "Nộp" in history.locator("td").nth(1).all_inner_texts()[0] or any(
        "Nộp" in t for t in page.locator("#lich-su td").all_inner_texts()
    )
    link = page.locator("#unit-link")
    assert f"{live_server.url}/u/" in (link.input_value() or "")
    copy = page.get_by_role("button", name="Chép đường dẫn")
    copy.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('button[data-copy]')]"
        ".some(b => b.textContent.trim() === 'Đã chép')"
    )
    screenshot(page, "dashboard-unit-1366")
    assert axe_violations(page) == []
    assert console.errors == []


def test_dashboard_and_unit_page_on_a_phone(
    phone: Any, live_server: LiveServer, console: Console
) -> None:
    login(phone, live_server)
    wait_for_checks(phone, live_server)
    assert no_sideways_scroll(phone)
    assert phone.evaluate(STATE_VISIBLE), "the state is off-screen at 390 px"
    screenshot(phone, "dashboard-390")
    phone.screenshot(path=str(ARTIFACTS / "dashboard-390-top.png"))
    phone.locator(f"{TABLE} tbody tr.unit").first.scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "dashboard-390-table.png"))
    assert axe_violations(phone) == []
    phone.locator(f"{TABLE} tbody tr.unit th a").first.click()
    phone.wait_for_url("**/dashboard/units/**")
    assert no_sideways_scroll(phone)
    assert phone.get_by_role("button", name="Chép đường dẫn").is_visible()
    screenshot(phone, "dashboard-unit-390")
    phone.screenshot(path=str(ARTIFACTS / "dashboard-unit-390-top.png"))
    assert axe_violations(phone) == []
    assert console.errors == []
