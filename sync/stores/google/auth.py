"""Credentials for the Google store (never called by the tests: they inject a client).

Order: `backend.credentials` (a service-account key file), else `backend.oauth_client`
(the organiser's own Google account through the installed-app OAuth flow, token cached in
`.thidua/google-token.json`), else `GOOGLE_APPLICATION_CREDENTIALS`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import i18n
from ...errors import ConfigError, PermissionDenied
from .budget import Budget, DatabaseBudget, Limits, RedisBudget

if TYPE_CHECKING:
    from ...campaign import Campaign

SCOPES = [
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
]
TOKEN_NAME = "google-token.json"


def _path(campaign: Campaign, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else campaign.base_dir / path


def load_credentials(campaign: Campaign) -> list[Any]:
    """google-auth credentials for the campaign's Google backend (several service accounts
    when `backend.credentials` lists several key files)."""
    backend = campaign.google
    if backend is None:
        raise ConfigError(i18n.t("google.not_google"))
    if backend.credential_files:
        return [_service_account(_path(campaign, f)) for f in backend.credential_files]
    if backend.oauth_client:
        token = campaign.base_dir / ".thidua" / TOKEN_NAME
        return [_user_oauth(_path(campaign, backend.oauth_client), token)]
    env = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if env:
        return [_service_account(Path(env))]
    raise ConfigError(i18n.t("google.no_credentials"))


def _service_account(path: Path) -> Any:
    from google.oauth2 import service_account

    if not path.exists():
        raise ConfigError(i18n.t("google.key_not_found", path=path))
    try:
        return service_account.Credentials.from_service_account_file(str(path), scopes=SCOPES)
    except (ValueError, KeyError, OSError) as exc:
        raise ConfigError(i18n.t("google.bad_key", path=path, error=type(exc).__name__)) from None


def _user_oauth(client_file: Path, token_file: Path) -> Any:
    from google.auth.exceptions import GoogleAuthError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials
    from google_auth_oauthlib.flow import InstalledAppFlow

    creds = None
    if token_file.exists():
        try:
            creds = Credentials.from_authorized_user_file(str(token_file), SCOPES)
        except (ValueError, OSError):
            creds = None
    try:
        if creds is not None and creds.expired and creds.refresh_token:
            creds.refresh(Request())
        if creds is None or not creds.valid:
            if not client_file.exists():
                raise ConfigError(i18n.t("google.oauth_client_not_found", client_file=client_file))
            flow = InstalledAppFlow.from_client_secrets_file(str(client_file), SCOPES)
            creds = flow.run_local_server(port=0, open_browser=True)
    except GoogleAuthError as exc:
        raise PermissionDenied(
            i18n.t("google.login_failed", exc=exc, token_file=token_file)
        ) from None
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(creds.to_json(), encoding="utf-8")
    os.chmod(token_file, 0o600)
    return creds


def account_email(creds: Any) -> str | None:
    """The e-mail the store acts as (service accounts know it; user OAuth does not)."""
    email = getattr(creds, "service_account_email", None)
    return str(email) if email else None


def build_clients(campaign: Campaign) -> list[tuple[Any, str | None]]:
    """A gspread client per credential, with the account e-mail when known."""
    import gspread

    from .retry import RetryingHTTPClient

    return [
        (gspread.Client(auth=creds, http_client=RetryingHTTPClient), account_email(creds))
        for creds in load_credentials(campaign)
    ]


def shared_budget(campaign: Campaign, limits: Limits) -> Budget:
    """The quota budget every process of the campaign shares: Redis when
    `THIDUA_REDIS_URL` is set, else the audit database."""
    redis_url = os.environ.get("THIDUA_REDIS_URL")
    if redis_url:
        import redis

        return RedisBudget(redis.Redis.from_url(redis_url), limits)
    from ...audit import campaign_url, open_engine

    return DatabaseBudget(open_engine(campaign_url(campaign, None)), limits)
