"""Settings page in a real browser (sample campaign, now = 12/04/2025 09:00): the organiser
changes a unit's quota and a form's due date; the campaign file on disk changes (its
comments kept) and the dashboard shows the new quota at once; an invalid quota is refused
with `check`'s message and the file is unchanged; a leader account cannot save (403)."""

from __future__ import annotations

import re
from typing import Any

from sync.audit import campaign_url, open_engine
from sync.users import add_user
from tests.browser.conftest import (
    Console,
    LiveServer,
    axe_violations,
    login,
    no_sideways_scroll,
    screenshot,
)

UNIT = "H-SINHO"
FORM = "dai_bieu"
LEADER = ("lanhdao", "Lanh-dao-chi-xem-2025")


def _unit_block(text: str, unit: str) -> str:
    found = re.search(rf"  - id: {unit}\n(?:    .*\n)+", text)
    assert found, unit
    return found.group(0)


def test_organiser_changes_a_quota_and_a_due_date(
    page: Any, live_server: LiveServer, console: Console
) -> None:
    file = live_server.campaign_dir / "campaign.yaml"
    before = file.read_text(encoding="utf-8")
    assert "quotas: {dai_bieu: 17}" in _unit_block(before, UNIT)
    login(page, live_server)
    page.get_by_role("link", name="Cấu hình đợt").click()
    page.wait_for_url("**/dashboard/settings")
    row = page.locator(f"#unit-{UNIT}")
    assert row.locator("td.quota[data-form=dai_bieu]").inner_text().strip() == "17"
    screenshot(page, "settings-desktop")
    assert axe_violations(page) == []

    # the quota: an invalid value first
    row.get_by_role("link", name="Sửa").click()
    page.wait_for_url(f"**/dashboard/settings/units/{UNIT}")
    quota = page.get_by_label(re.compile(r"^Đại biểu — "))
    assert quota.input_value() == "17"
    quota.fill("-5")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu").click()
    alert = page.locator("#save-issues").inner_text()
    assert "quotas.dai_bieu: phải ≥ 0 (đang là -5)" in alert
    assert page.locator("#err-quota-dai_bieu").inner_text() == "phải ≥ 0 (đang là -5)"
    assert file.read_text(encoding="utf-8") == before
    screenshot(page, "settings-unit-invalid")
    assert axe_violations(page) == []
    quota = page.get_by_label(re.compile(r"^Đại biểu — "))
    quota.fill("20")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu").click()
    notice = page.locator(".notice--success").first.inner_text()
    assert "đơn vị H-SINHO: chỉ tiêu «Đại biểu» 17 → 20" in notice
    assert page.locator(f"#unit-{UNIT} td.quota[data-form=dai_bieu]").inner_text().strip() == "20"

    # the due date
    page.locator(f"#form-{FORM}").get_by_role("link", name="Sửa").click()
    page.wait_for_url(f"**/dashboard/settings/forms/{FORM}")
    assert page.get_by_label("Ngày").input_value() == "2025-04-20"
    assert page.get_by_label("Giờ", exact=True).input_value() == "17:00"
    page.get_by_label("Ngày").fill("2025-04-25")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu").click()
    assert (
        "hạn nộp 20/04/2025 17:00 → 25/04/2025 17:00"
        in page.locator(".notice--success").first.inner_text()
    )
    assert page.locator(f"#form-{FORM} td.due").inner_text() == "25/04/2025 17:00"

    # the file on disk: those two values, nothing else; its comments are all there
    after = file.read_text(encoding="utf-8")
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        ("    quotas: {dai_bieu: 17}", "    quotas: {dai_bieu: 20}"),
        ("    due: 2025-04-20T17:00", "    due: 2025-04-25T17:00"),
    ]
    assert "quotas: {dai_bieu: 20}" in _unit_block(after, UNIT)
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(c in after.splitlines() for c in comments)

    # the dashboard shows the new quota and the new deadline
    page.goto(f"{live_server.url}/dashboard?form={FORM}")
    cell = page.locator(f'tr[data-unit="{UNIT}"] td').nth(1).inner_text()
    assert cell.endswith("/ 20"), cell
    assert "25/04/2025" in page.locator(".deadline").inner_text()
    page.goto(f"{live_server.url}/dashboard/settings#history-title")
    history = page.locator(".settings-history tbody").inner_text()
    assert "đơn vị H-SINHO: chỉ tiêu «Đại biểu» 17 → 20" in history
    screenshot(page, "settings-after-save")
    assert console.errors == []


def test_a_broken_file_is_not_applied_and_the_dashboard_says_why(
    page: Any, live_server: LiveServer, console: Console
) -> None:
    file = live_server.campaign_dir / "campaign.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace("staff: 2400", "staff: 2.400 người"), encoding="utf-8")
    live_server.service.follower.check(force=True)  # as the scheduler would within seconds
    login(page, live_server)
    banner = page.locator("#campaign-refusal")
    assert "Thay đổi trong tệp campaign.yaml chưa được áp dụng." in banner.inner_text()
    assert "đơn vị H-SINHO (units[3]) — staff: cần một số nguyên" in banner.inner_text()
    assert live_server.service.campaign.unit(UNIT).staff == 2400  # the previous campaign runs
    screenshot(page, "settings-refused-dashboard")
    assert axe_violations(page) == []
    file.write_text(text, encoding="utf-8")
    live_server.service.follower.check(force=True)
    page.reload()
    assert page.locator("#campaign-refusal").count() == 0
    assert console.errors == []


def test_settings_on_a_phone(phone: Any, live_server: LiveServer, console: Console) -> None:
    login(phone, live_server)
    phone.goto(f"{live_server.url}/dashboard/settings")
    assert no_sideways_scroll(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "settings-phone")
    assert axe_violations(phone) == []
    phone.goto(f"{live_server.url}/dashboard/settings/units/{UNIT}")
    assert no_sideways_scroll(phone)
    screenshot(phone, "settings-unit-phone")
    assert axe_violations(phone) == []
    phone.goto(f"{live_server.url}/dashboard/settings/forms/{FORM}")
    assert no_sideways_scroll(phone)
    screenshot(phone, "settings-form-phone")
    assert axe_violations(phone) == []
    assert console.errors == []


def test_a_leader_cannot_save(page: Any, live_server: LiveServer, console: Console) -> None:
    c = live_server.service.campaign
    engine = open_engine(campaign_url(c, None))
    add_user(engine, c.id, *LEADER, name="Lãnh đạo tỉnh", role="leader")
    engine.dispose()
    file = live_server.campaign_dir / "campaign.yaml"
    before = file.read_bytes()
    login(page, live_server, LEADER)
    page.goto(f"{live_server.url}/dashboard/settings")
    assert "Tài khoản lãnh đạo chỉ xem cấu hình" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Sửa").count() == 0
    page.goto(f"{live_server.url}/dashboard/settings/units/{UNIT}")
    assert page.get_by_role("button", name="Lưu").count() == 0
    assert page.get_by_label("Số CB-NLĐ").is_disabled()
    screenshot(page, "settings-leader")
    assert axe_violations(page) == []
    token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    for path, data in [
        (f"/dashboard/settings/units/{UNIT}", {"quota-dai_bieu": "30"}),
        (f"/dashboard/settings/forms/{FORM}", {"due_date": "2025-05-01"}),
        ("/dashboard/settings/new-unit", {"id": "H-MOI", "name": "Mới"}),
    ]:
        resp = page.request.post(live_server.url + path, form={"csrf_token": token, **data})
        assert resp.status == 403, path
        assert "Tài khoản lãnh đạo chỉ xem được" in resp.text()
    assert file.read_bytes() == before
    assert console.errors == []
