"""Login, sessions, CSRF, rate limits and security headers of the web pages."""

from __future__ import annotations

from typing import Any

import pytest

from sync.users import set_password
from tests.web_helpers import PASSWORD, csrf_from, make_organiser, sign_in


@pytest.fixture
def service_config(service_config: dict[str, Any]) -> dict[str, Any]:
    return {**service_config, "COOKIE_SECURE": None}  # the production default


@pytest.fixture
def db_url(tmp_path: Any) -> str:  # web behaviour does not depend on the database kind
    return f"sqlite:///{tmp_path / 'audit.sqlite3'}"


def test_pages_send_security_headers(client: Any) -> None:
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html and " onclick=" not in html


def test_dashboard_requires_login(client: Any) -> None:
    resp = client.get("/dashboard")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?next=/dashboard"


def test_login_sets_a_hardened_session_cookie(app: Any, client: Any) -> None:
    make_organiser(app)
    resp = sign_in(client)
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("thidua_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_wrong_password_is_refused_in_vietnamese(app: Any, client: Any) -> None:
    make_organiser(app)
    resp = sign_in(client, password="khong-phai-mat-khau")
    assert resp.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in resp.get_data(as_text=True)
    assert sign_in(client, username="khong-co-ai").status_code == 401


def test_login_without_csrf_token_is_refused(app: Any, client: Any) -> None:
    make_organiser(app)
    resp = client.post("/login", data={"username": "bantochuc", "password": PASSWORD})
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn hoặc trang đã cũ" in body
    assert resp.mimetype == "text/html"


def test_failed_logins_are_rate_limited_per_username(app: Any, client: Any) -> None:
    make_organiser(app)
    statuses = [sign_in(client, password=f"sai-{n}-mat-khau").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    page = sign_in(client)  # even the right password waits now
    assert page.status_code == 429
    assert "Bạn đã thử quá nhiều lần" in page.get_data(as_text=True)


def test_successful_logins_do_not_count_against_the_limit(app: Any, client: Any) -> None:
    make_organiser(app)
    for _ in range(7):
        assert sign_in(client).status_code == 302


def test_next_parameter_cannot_leave_the_site(app: Any, client: Any) -> None:
    make_organiser(app)
    for target in ("https://evil.example/x", "//evil.example/x", "javascript:alert(1)"):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        resp = client.post(
            "/login?next=" + target,
            data={"csrf_token": token, "username": "bantochuc", "password": PASSWORD},
        )
        assert resp.headers["Location"] == "/dashboard", target


def test_changing_the_password_ends_open_sessions(app: Any, client: Any) -> None:
    make_organiser(app)
    sign_in(client)
    assert client.get("/dashboard").status_code == 200
    svc = app.extensions["thidua"]
    set_password(svc.engine, svc.campaign.id, "bantochuc", "Mat-khau-moi-hoan-toan")
    assert client.get("/dashboard").status_code == 302


def test_logout_needs_post_with_csrf(app: Any, client: Any) -> None:
    make_organiser(app)
    sign_in(client)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token: nothing happens
    assert client.get("/dashboard").status_code == 200
    page = client.get("/dashboard").get_data(as_text=True)
    resp = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert resp.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_language_toggle_is_remembered(client: Any) -> None:
    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in client.get("/login?lang=vi").get_data(as_text=True)


def test_api_errors_stay_json_and_pages_get_html(client: Any) -> None:
    api = client.get("/api/nothing-here")
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"
    page = client.get("/nothing-here")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Không tìm thấy trang" in page.get_data(as_text=True)
