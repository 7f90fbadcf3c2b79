"""What the web pages share: sessions, CSRF, login rate limits, language,
security headers.

- The session cookie is signed with a key derived from the campaign secret; HttpOnly,
  SameSite=Lax, Secure unless the service is reached over plain HTTP on loopback.
- CSRF (Flask-WTF) on every form; the signed JSON endpoints (`/hooks`, `/api`) are exempt.
- Login attempts are limited (Flask-Limiter; Redis when the service has one).
- Vietnamese by default, English by `?lang=en` (Flask-Babel over the one message catalogue,
  `sync/i18n`).
- Content-Security-Policy without inline scripts or styles, frame and referrer policies.

See docs/design.md, Web pages.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from babel.support import Translations
from flask import Flask, Response, g, request, session
from flask_babel import Babel, Domain, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from sync import clock, i18n

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .service import Service

LANGUAGES = ("vi", "en")
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # upload links carry their token in the path: never send it to another site
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, strategy="fixed-window")


class CatalogueDomain(Domain):
    """Page texts come from the same message catalogue as the library's (`sync.i18n`)."""

    def get_translations(self) -> Translations:
        return i18n.translations(page_language())


class CatalogueBabel(Babel):
    """Flask-Babel reading `sync/i18n/<lang>.po` instead of compiled `translations/`."""

    _domain = CatalogueDomain()

    @property
    def domain_instance(self) -> Domain:
        return self._domain


babel = CatalogueBabel()


def page_language() -> str:
    """The reader's language on this page (`vi` outside a request)."""
    locale = get_locale()
    return str(locale) if locale is not None and str(locale) in LANGUAGES else "vi"


def select_locale() -> str:
    """`?lang=` (remembered in the session), else the session's, else Vietnamese."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    kept = session.get("lang")
    return kept if kept in LANGUAGES else "vi"


def _secure_headers(resp: Response) -> Response:
    for name, value in HEADERS.items():
        resp.headers.setdefault(name, value)
    if request.is_secure:
        resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if resp.mimetype == "text/html":
        resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def session_key(secret: str) -> str:
    """The cookie-signing key, derived so that it is not the campaign secret itself."""
    return hmac.new(secret.encode(), b"flask-session", hashlib.sha256).hexdigest()


def init_web(app: Flask, service: Service) -> None:
    """Attach sessions, CSRF, limiter, Babel and headers to `app`."""
    cfg: dict[str, Any] = app.config
    app.secret_key = session_key(service.secret)
    cookie_secure = cfg.get("COOKIE_SECURE")  # None: secure (serve on loopback says False)
    app.config.update(
        SESSION_COOKIE_NAME="thidua_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=True if cookie_secure is None else bool(cookie_secure),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=float(cfg.get("SESSION_HOURS") or 12)),
        WTF_CSRF_TIME_LIMIT=None,  # bound to the session instead
        WTF_CSRF_SSL_STRICT=True,
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE=str(service.campaign.tz),
        RATELIMIT_STORAGE_URI=cfg.get("REDIS_URL") or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_KEY_PREFIX=f"thidua:{service.campaign.id}",
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_secure_headers)

    @app.before_request
    def _reader_language() -> None:
        # library texts made during this request (errors, refusals) in the reader's language
        g.thidua_language = i18n.set_language(page_language())

    @app.teardown_request
    def _default_language(_exc: BaseException | None) -> None:
        token = g.pop("thidua_language", None)
        if token is not None:
            i18n.reset_language(token)

    @app.before_request
    def _first_check() -> None:
        if request.blueprint == "dashboard" and request.endpoint != "dashboard.favicon":
            try:
                service.ensure_checked()
            except Exception as exc:  # the page still shows what is recorded
                log.warning("first check not scheduled: %s", type(exc).__name__)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        locale = page_language()
        other = "en" if locale != "en" else "vi"
        args = {k: v for k, v in request.args.items() if k != "lang"}
        return {
            "campaign": service.campaign,
            "lang": locale,
            "other_lang": other,
            "lang_url": request.path + "?" + urlencode({**args, "lang": other}),
            "now_iso": clock.now(service.campaign.tz).isoformat(),
        }
