"""Keys with one purpose each (docs/security.md).

- The server's key (`THIDUA_SECRET`, else `.thidua/secret` beside the campaign file) never
  leaves the server. Every other key is derived from it with HMAC-SHA256 and a purpose
  label, so knowing one derived key reveals neither the server key nor any other key.
- Each unit has its own Apps Script key (`thidua keys`), derived from the server key, the
  campaign, the unit and the unit's key generation (kept in the audit database table
  `unit_keys`; `thidua keys --rotate --unit ID` bumps it, which revokes the old key).
- Sessions and upload links use keys derived for those purposes only: no unit holds them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from . import i18n
from .audit.db import AuditError
from .audit.models import UnitKey

UNIT_KEY_PREFIX = "tdk1_"


def server_secret(campaign_dir: Path) -> str:
    """THIDUA_SECRET, else `.thidua/secret` beside the campaign file (created, mode 600)."""
    env = os.environ.get("THIDUA_SECRET")
    if env:
        return env
    path = campaign_dir / ".thidua" / "secret"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def derive(secret: str, purpose: str) -> str:
    """A key for one purpose (`flask-session`, `unit-upload-links`…), as 64 hex digits."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def unit_key(secret: str, campaign_id: str, unit_id: str, generation: int = 1) -> str:
    """The Apps Script key of one unit at one key generation."""
    label = f"thidua-unit-key\x00{campaign_id}\x00{unit_id}\x00{generation}".encode()
    mac = hmac.new(secret.encode(), label, hashlib.sha256).digest()
    return UNIT_KEY_PREFIX + base64.urlsafe_b64encode(mac).decode().rstrip("=")


@dataclass(frozen=True)
class UnitKeyInfo:
    """A unit's current key and its generation."""

    unit: str
    key: str
    generation: int
    rotated_at: float | None


def generations(engine: Engine, campaign_id: str) -> dict[str, tuple[int, float | None]]:
    """(generation, rotated_at) of every unit whose key was rotated; others are at 1."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(UnitKey.unit, UnitKey.generation, UnitKey.rotated_at).where(
                    UnitKey.campaign == campaign_id
                )
            ).all()
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("keys.read_failed", error=type(exc).__name__)) from exc
    return {str(u): (int(g), r) for u, g, r in rows}


def generation(engine: Engine, campaign_id: str, unit_id: str) -> int:
    """The unit's current key generation (1 until the key is rotated)."""
    with engine.connect() as conn:
        found = conn.execute(
            select(UnitKey.generation).where(
                (UnitKey.campaign == campaign_id) & (UnitKey.unit == unit_id)
            )
        ).scalar()
    return int(found) if found is not None else 1


def current_key(engine: Engine, secret: str, campaign_id: str, unit_id: str) -> str:
    """The key that verifies the unit's requests now."""
    return unit_key(secret, campaign_id, unit_id, generation(engine, campaign_id, unit_id))


def unit_keys(
    engine: Engine, secret: str, campaign_id: str, unit_ids: list[str]
) -> list[UnitKeyInfo]:
    """Every listed unit's current key, in the given order."""
    gens = generations(engine, campaign_id)
    out = []
    for unit in unit_ids:
        gen, rotated = gens.get(unit, (1, None))
        out.append(UnitKeyInfo(unit, unit_key(secret, campaign_id, unit, gen), gen, rotated))
    return out


ADDON_URL = "THIDUA_URL"
ADDON_KEY = "THIDUA_UNIT_KEY"
"""The add-on's two settings (developer metadata written by provisioning, or Script
Properties): the service address and the unit's own key."""


def addon_settings(
    engine: Engine, secret: str, campaign_id: str, unit_ids: list[str], url: str | None
) -> dict[str, dict[str, str]]:
    """unit → what provisioning writes into its spreadsheet for the add-on: that unit's own
    current key and, when known, the service address. Never the server's key."""
    out = {}
    for info in unit_keys(engine, secret, campaign_id, unit_ids):
        out[info.unit] = {ADDON_KEY: info.key, **({ADDON_URL: url} if url else {})}
    return out


def rotate(engine: Engine, secret: str, campaign_id: str, unit_id: str) -> UnitKeyInfo:
    """Replace one unit's key (the old one stops working at once, in every process)."""
    from sqlalchemy import insert, update

    now = time.time()
    try:
        with engine.begin() as conn:
            done = conn.execute(
                update(UnitKey)
                .where((UnitKey.campaign == campaign_id) & (UnitKey.unit == unit_id))
                .values(generation=UnitKey.generation + 1, rotated_at=now)
            ).rowcount
            if not done:
                conn.execute(
                    insert(UnitKey).values(
                        campaign=campaign_id, unit=unit_id, generation=2, rotated_at=now
                    )
                )
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("keys.write_failed", error=type(exc).__name__)) from exc
    gen = generation(engine, campaign_id, unit_id)
    return UnitKeyInfo(unit_id, unit_key(secret, campaign_id, unit_id, gen), gen, now)
