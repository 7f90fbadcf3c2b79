"""Organiser login: accounts from `thidua user add`, session cookie, CSRF,
rate-limited attempts. `login_required` guards the dashboard.

See docs/design.md, Web pages.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from sync.users import Account, authenticate, end_sessions, get_user

from .errors import page_error
from .guard import service
from .logs import log_event
from .web import limit_key, limiter

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(
        _l("Tên đăng nhập"),
        validators=[DataRequired(_l("Nhập tên đăng nhập.")), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(_l("Nhập mật khẩu.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


def _username_key() -> str:
    return limit_key("login-user:" + (request.form.get("username") or "").strip().lower()[:80])


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never `//evil` or `https://evil`)."""
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("dashboard.index")
    return target


def current_user() -> Account | None:
    """The signed-in organiser, checked against the database on every request."""
    if "user" in g:
        return g.user
    user = None
    data = session.get("user")
    if isinstance(data, dict):
        svc = service()
        found = get_user(svc.engine, svc.campaign.id, str(data.get("name", "")))
        if found is not None and found.session_token and found.session_matches(data.get("s")):
            user = found
        else:
            session.pop("user", None)
    g.user = user
    return user


@bp.app_context_processor
def _signed_in() -> dict[str, Any]:
    """`user` for the templates: the organiser signed in (dashboard and login pages)."""
    return {
        "user": current_user() if request.blueprint in ("dashboard", "auth", "settings") else None
    }


READ_METHODS = ("GET", "HEAD", "OPTIONS")


def login_required(view: F) -> F:
    """Redirect to the login page (remembering where to come back) when signed out; a
    `leader` account reads everything but every change (any other method) is 403."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if request.method not in READ_METHODS and not user.can_change:
            log_event("refused: leader", logging.WARNING, source="web", user=user.username)
            return page_error(
                403,
                str(_l("Tài khoản lãnh đạo chỉ xem được, không thay đổi được dữ liệu.")),
            )
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _failed(resp: Any) -> bool:
    """Only failed attempts count against the limits (a success redirects)."""
    return bool(getattr(resp, "status_code", 200) != 302)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"], deduct_when=_failed)
@limiter.limit(
    "5 per minute;30 per hour", key_func=_username_key, methods=["POST"], deduct_when=_failed
)
def login() -> ResponseReturnValue:
    """The login form; on success a fresh session and back to where the user was going."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        svc = service()
        account = authenticate(
            svc.engine, svc.campaign.id, form.username.data or "", form.password.data or ""
        )
        if account is not None:
            lang = session.get("lang")
            session.clear()  # no session fixation
            if lang:
                session["lang"] = lang
            session["user"] = {"name": account.username, "s": account.session_token}
            session.permanent = True
            log_event("login", source="web", user=account.username)
            return redirect(_safe_next(request.args.get("next")))
        log_event("login failed", logging.WARNING, source="web", ip=request.remote_addr)
        error = _l("Tên đăng nhập hoặc mật khẩu không đúng.")
    status = 401 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session on the server side: every cookie of this account stops working."""
    user = current_user()
    if user is not None:
        svc = service()
        end_sessions(svc.engine, svc.campaign.id, user.username)
        log_event("logout", source="web", user=user.username)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))
