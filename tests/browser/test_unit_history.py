"""The dashboard's unit page answers "what happened to this unit's list, and can its add-on
reach us?" (sample campaign, now = 12/04/2025 09:00): its history lists the organiser's
reviews (return with the reason, approve — who and when) and extensions beside uploads and
submissions; organisers see the Apps Script key status (never pinged → pinged with the
unit's key → key changed since). At 1366×768 and 390×844, axe clean."""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from sync import clock
from sync.audit.jobs import ACTIVE
from sync.keys import rotate
from sync.operations import jobs
from tests.browser.conftest import (
    Console,
    LiveServer,
    axe_violations,
    login,
    no_sideways_scroll,
    screenshot,
)
from tests.browser.test_review import FORM, REASON, UNIT, _submitted
from webhooks.signing import HEADER, sign


def _ping(live: LiveServer) -> None:
    """The unit's add-on reaches the service (menu opened), signed with the unit's key."""
    body = json.dumps(
        {"spreadsheetId": UNIT, "sheet": "", "range": "", "user": "", "event": "ping"}
    ).encode()
    key = live.service.unit_key(UNIT)
    answer = requests.post(
        f"{live.url}/hooks/sheets",
        data=body,
        headers={
            HEADER: sign(key, "POST", "/hooks/sheets", body),
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    assert answer.status_code == 202, answer.text


def _idle(live: LiveServer) -> None:
    """Wait until the service's worker has no job left (the consolidation a decision
    schedules), so the next step starts from what the page shows."""
    for _ in range(600):
        counts = live.service.jobs.counts()
        if not any(counts.get(status) for status in ACTIVE):
            return
        time.sleep(0.1)
    raise AssertionError(f"jobs still queued: {live.service.jobs.counts()}")


def _decisions(page: Any) -> list[tuple[str, str]]:
    """(decision, detail) of the history's review and extension lines, newest first."""
    rows = page.locator("table.history tbody tr[data-decision]")
    return [
        (
            str(rows.nth(i).get_attribute("data-decision")),
            rows.nth(i).locator("td").nth(3).inner_text(),
        )
        for i in range(rows.count())
    ]


def test_unit_page_history_has_reviews_and_addon_key_status(
    page: Any, phone: Any, live_server: LiveServer, console: Console
) -> None:
    live = live_server
    _submitted(live)
    login(page, live)
    unit_url = f"{live.url}/dashboard/units/{UNIT}"
    page.goto(unit_url)
    addon = page.locator("#tien-ich")
    assert addon.locator("[data-addon]").get_attribute("data-addon") == "missing"
    assert "Bật kiểm tra tự động" in addon.inner_text()
    assert _decisions(page) == []

    section = page.locator(f"#form-{FORM}")
    section.get_by_text("Trả lại để sửa").click()
    section.get_by_label("Lý do (đơn vị sẽ đọc trong sổ của mình)").fill(REASON)
    section.get_by_label("Mở cho đơn vị sửa đến (để trống: lúc khoá sổ, hoặc 7 ngày nữa)").fill(
        "2025-04-18T17:00"
    )
    with page.expect_navigation():
        section.get_by_role("button", name="Trả lại", exact=True).click()
    clock.pin("2025-04-13T10:00:00+07:00")  # the next decisions come on later days
    section = page.locator(f"#form-{FORM}")
    section.get_by_text("Gia hạn cho đơn vị").click()
    section.get_by_label("Hạn nộp mới").fill("2025-04-25T17:00")
    with page.expect_navigation():
        section.get_by_role("button", name="Gia hạn", exact=True).click()
    # the unit corrects and submits again; the organiser approves
    _idle(live)
    clock.pin("2025-04-14T08:30:00+07:00")
    result = jobs.submit_job(live.service.workspace, UNIT, FORM, "browser-resubmit")
    assert result["submitted"], result
    clock.pin("2025-04-14T15:00:00+07:00")
    page.goto(unit_url)
    with page.expect_navigation():
        page.locator(f"#form-{FORM}").get_by_role("button", name="Duyệt", exact=True).click()

    decisions = _decisions(page)
    assert [d for d, _ in decisions] == ["approved", "extension", "returned"]
    assert decisions[0][1] == "bantochuc duyệt bản đã nộp"
    assert decisions[1][1] == "bantochuc gia hạn đến 25/04/2025 17:00"
    assert decisions[2][1] == f"bantochuc trả lại: {REASON} (sửa và nộp lại trước 18/04/2025 17:00)"
    kinds = page.locator("table.history tbody tr td:nth-child(2)").all_inner_texts()
    # newest first; the return, made the minute the list was submitted, above that submission
    assert kinds[:5] == ["Duyệt", "Nộp", "Gia hạn", "Trả lại", "Nộp"]

    _ping(live)
    page.goto(unit_url)
    addon = page.locator("#tien-ich")
    assert addon.locator("[data-addon]").get_attribute("data-addon") == "ok"
    assert "Tiện ích đã liên lạc lúc" in addon.inner_text()
    page.locator("#lich-su").scroll_into_view_if_needed()
    screenshot(page, "unit-history-1366")
    assert axe_violations(page) == []

    # a new key for the unit: the add-on still holds the old one
    rotate(live.service.engine, live.service.secret, live.service.campaign.id, UNIT)
    page.goto(unit_url)
    assert page.locator("#tien-ich [data-addon]").get_attribute("data-addon") == "stale"
    assert "lần cấp thứ 2" in page.locator("#tien-ich").inner_text()

    login(phone, live)
    phone.goto(unit_url)
    assert phone.locator("#tien-ich [data-addon]").get_attribute("data-addon") == "stale"
    assert [d for d, _ in _decisions(phone)] == ["approved", "extension", "returned"]
    assert no_sideways_scroll(phone)
    screenshot(phone, "unit-history-390")
    assert axe_violations(phone) == []
    assert console.errors == []
