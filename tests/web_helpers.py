"""Helpers for web-page tests with the Flask test client: CSRF tokens, signing in."""

from __future__ import annotations

import re
from typing import Any

from sync.users import add_user

PASSWORD = "Mat-khau-kiem-thu-2025"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def make_organiser(app: Any, username: str = "bantochuc", password: str = PASSWORD) -> None:
    """Create an organiser account in the app's audit database."""
    svc = app.extensions["thidua"]
    add_user(svc.engine, svc.campaign.id, username, password, name="Ban Tổ chức")


def sign_in(client: Any, username: str = "bantochuc", password: str = PASSWORD) -> Any:
    """Post the login form (with its CSRF token); returns the response."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"csrf_token": token, "username": username, "password": password}
    )
