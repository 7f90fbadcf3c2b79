"""Organiser login in a real browser: wrong password refused, right one lands on the dashboard."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import (
    ORGANISER,
    Console,
    LiveServer,
    axe_violations,
    login,
    no_sideways_scroll,
    screenshot,
)


def test_login_wrong_password_then_right(
    page: Any, live_server: LiveServer, console: Console
) -> None:
    page.goto(live_server.url + "/dashboard")
    assert "/login" in page.url  # signed out: sent to the login page
    page.get_by_label("Tên đăng nhập").fill(ORGANISER[0])
    page.get_by_label("Mật khẩu").fill("sai-mat-khau-roi")
    page.get_by_role("button", name="Đăng nhập").click()
    alert = page.get_by_role("alert")
    assert "không đúng" in alert.inner_text()
    screenshot(page, "login-wrong-password")
    assert axe_violations(page) == []
    login(page, live_server)
    assert page.url.endswith("/dashboard")
    assert console.errors == []


def test_login_page_on_a_phone(phone: Any, live_server: LiveServer, console: Console) -> None:
    phone.goto(live_server.url + "/login")
    assert no_sideways_scroll(phone)
    screenshot(phone, "login-phone")
    phone.get_by_role("link", name="English").click()
    assert phone.get_by_role("heading", level=1).inner_text() != ""
    assert console.errors == []


def test_english_toggle_on_the_dashboard(
    page: Any, live_server: LiveServer, console: Console
) -> None:
    page.goto(live_server.url + "/login?lang=en")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to the dashboard"
    page.get_by_label("Username").fill(ORGANISER[0])
    page.get_by_label("Password").fill(ORGANISER[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard**")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()
    screenshot(page, "dashboard-english")
    page.get_by_role("link", name="Tiếng Việt").click()
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("button", name="Đăng xuất").is_visible()
    assert console.errors == []
