"""Per-unit signed upload links (offline mode, docs/design.md: Web pages), signed with itsdangerous.

A link carries the campaign, the unit and an expiry, signed with a key derived from the
campaign secret; it cannot be altered to reach another unit. Rotating the secret
(`.thidua/secret`) revokes every link at once.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from . import i18n
from .campaign import Campaign, Unit
from .errors import ThiduaError

SALT = "thidua-unit-upload"
DEFAULT_GRACE = timedelta(days=30)
"""A link lives until the last form's deadline plus this (or `--days`)."""


class LinkError(ThiduaError):
    """An upload link that is malformed, forged, for another campaign, or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


def campaign_secret(campaign_dir: Path) -> str:
    """THIDUA_SECRET, else `.thidua/secret` beside the campaign file (created, mode 600)."""
    env = os.environ.get("THIDUA_SECRET")
    if env:
        return env
    path = campaign_dir / ".thidua" / "secret"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


@dataclass(frozen=True)
class UnitLink:
    """One unit's upload link."""

    unit: Unit
    token: str
    expires_at: datetime

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/u/{self.token}"


def _serializer(secret: str) -> URLSafeSerializer:
    key = hmac.new(secret.encode(), b"unit-upload-links", hashlib.sha256).hexdigest()
    return URLSafeSerializer(key, salt=SALT)


def default_expiry(campaign: Campaign) -> datetime:
    """The last form's deadline (with its grace) plus 30 days."""
    last = max(f.closes for f in campaign.forms)
    return last + DEFAULT_GRACE


def make_link(campaign: Campaign, secret: str, unit: Unit, expires_at: datetime) -> UnitLink:
    """Sign a link for `unit` valid until `expires_at`."""
    token = _serializer(secret).dumps(
        {"c": campaign.id, "u": unit.id, "e": int(expires_at.timestamp())}
    )
    return UnitLink(unit=unit, token=token, expires_at=expires_at)


def read_link(campaign: Campaign, secret: str, token: str, now: float | None = None) -> Unit:
    """The unit a token was signed for; LinkError (Vietnamese) when it is not valid now."""
    try:
        data = _serializer(secret).loads(token)
    except BadSignature:
        raise LinkError(i18n.t("link.invalid")) from None
    if not isinstance(data, dict) or data.get("c") != campaign.id:
        raise LinkError(i18n.t("link.other_campaign"))
    try:
        unit = campaign.unit(str(data.get("u")))
    except KeyError:
        raise LinkError(i18n.t("link.unit_gone")) from None
    expires = float(data.get("e", 0))
    if (now if now is not None else time.time()) > expires:
        when = datetime.fromtimestamp(expires, campaign.tz).strftime(i18n.t("format.time_on_day"))
        raise LinkError(i18n.t("link.expired", when=when), expired=True)
    return unit


def unit_links(
    campaign: Campaign, secret: str, expires_at: datetime | None = None
) -> list[UnitLink]:
    """A link for every unit, in campaign order."""
    until = expires_at or default_expiry(campaign)
    return [make_link(campaign, secret, u, until) for u in campaign.units]
