"""Review in a real browser (sample campaign, now = 12/04/2025 09:00): the organiser returns a
unit's submission with a reason, the unit reads it on its upload page and submits again,
the organiser approves; a leader account reads the same pages and gets 403 on every change."""

from __future__ import annotations

import random
from typing import Any

from sync.audit import campaign_url, open_engine
from sync.demo import sample_rows
from sync.operations import jobs
from sync.stores.local.writer import put_rows
from sync.users import add_user
from tests.browser.conftest import Console, LiveServer, axe_violations, login, screenshot
from tests.browser.test_upload import clear_rows, unit_url

UNIT = "H-SINHO"
FORM = "dai_bieu"
REASON = "Đại biểu thứ hai chưa ghi đúng chức vụ: sửa rồi nộp lại"
LEADER = ("lanhdao", "Lanh-dao-chi-xem-2025")


def _submitted(live: LiveServer) -> None:
    """The unit has filled its list cleanly and submitted it (on time)."""
    c = live.service.campaign
    form = c.form(FORM)
    path = live.campaign_dir / "workbooks" / f"{UNIT}.xlsx"
    rows = sample_rows(form, 3, "Sìn Hồ", random.Random(7))
    for i, row in enumerate(rows):
        row["ho_ten"] = ["Lò Văn Chiến", "Tao Thị Hương", "Pờ Xá Dế"][i]
    clear_rows(path, form)
    put_rows(path, form, rows)
    result = jobs.submit_job(live.service.workspace, UNIT, FORM, "browser-submit")
    assert result["submitted"], result


def test_return_reason_resubmit_approve(
    page: Any, live_server: LiveServer, console: Console, browser: Any
) -> None:
    _submitted(live_server)
    login(page, live_server)
    page.goto(f"{live_server.url}/dashboard/units/{UNIT}")
    section = page.locator(f"#form-{FORM}")
    assert "Đã nộp đúng hạn" in section.locator(".badge").first.inner_text()
    section.get_by_text("Trả lại để sửa").click()
    section.get_by_label("Lý do (đơn vị sẽ đọc trong sổ của mình)").fill(REASON)
    with page.expect_navigation():  # the next page, not the old one
        section.get_by_role("button", name="Trả lại", exact=True).click()
    assert "Đã trả lại «" in page.get_by_role("status").first.inner_text()
    section = page.locator(f"#form-{FORM}")
    assert section.locator(".badge").first.inner_text() == "Bị trả lại để sửa"
    assert REASON in section.locator(".review-note").inner_text()
    screenshot(page, "review-returned")
    assert axe_violations(page) == []

    # the unit opens its link: the reason is there, and it submits again
    unit_page = browser.new_page()
    unit_page.goto(unit_url(live_server, UNIT))
    card = unit_page.locator(f"#bieu-mau-{FORM}")
    assert REASON in card.locator(".official-notice").first.inner_text()
    assert "Bị trả lại để sửa" in unit_page.locator("table").first.inner_text()
    screenshot(unit_page, "review-unit-sees-reason")
    assert axe_violations(unit_page) == []
    unit_page.once("dialog", lambda d: d.accept())
    with unit_page.expect_navigation():  # the next page, not the old one
        card.get_by_role("button", name="Nộp lại").click()
    notice = unit_page.locator(".notice--success").first.inner_text()
    assert "Nộp bổ sung: Đã nộp «" in notice and "đúng hạn" in notice
    unit_page.close()

    # back on the dashboard: a correction, on time; approve it
    page.goto(f"{live_server.url}/dashboard/units/{UNIT}")
    section = page.locator(f"#form-{FORM}")
    assert section.locator(".badge").first.inner_text() == "Đã nộp đúng hạn (bổ sung)"
    with page.expect_navigation():  # the next page, not the old one
        section.get_by_role("button", name="Duyệt", exact=True).click()
    section = page.locator(f"#form-{FORM}")
    assert section.locator(".badge").first.inner_text() == "Đã duyệt (bổ sung)"
    assert section.get_by_role("button", name="Duyệt", exact=True).count() == 0
    screenshot(page, "review-approved")
    assert console.errors == []


def test_a_leader_reads_but_every_change_is_403(
    page: Any, live_server: LiveServer, console: Console
) -> None:
    c = live_server.service.campaign
    engine = open_engine(campaign_url(c, None))
    add_user(engine, c.id, *LEADER, name="Lãnh đạo tỉnh", role="leader")
    engine.dispose()
    _submitted(live_server)
    login(page, live_server, LEADER)
    assert page.locator("h1").first.is_visible()
    page.goto(f"{live_server.url}/dashboard/units/{UNIT}")
    section = page.locator(f"#form-{FORM}")
    assert "Đã nộp đúng hạn" in section.locator(".badge").first.inner_text()
    assert section.get_by_role("button").count() == 0  # no Duyệt / Trả lại / Gia hạn
    assert page.locator("#tien-ich").count() == 0  # the add-on's key status: organisers only
    screenshot(page, "review-leader")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    base = f"{live_server.url}/dashboard/units/{UNIT}/{FORM}"
    for path, data in [
        ("/review", {"decision": "approved"}),
        ("/review", {"decision": "returned", "reason": "x"}),
        ("/extend", {"until": "2025-04-30T17:00"}),
    ]:
        resp = page.request.post(base + path, form={"csrf_token": token or "", **data})
        assert resp.status == 403, (path, data)
        assert "Tài khoản lãnh đạo chỉ xem được" in resp.text()
    page.goto(f"{live_server.url}/dashboard/units/{UNIT}")
    assert "Đã nộp đúng hạn" in page.locator(f"#form-{FORM} .badge").first.inner_text()
    assert console.errors == []
