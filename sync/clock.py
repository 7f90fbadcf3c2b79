"""The injectable clock: `--now` / THIDUA_NOW pin "now" for every command."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from . import i18n
from .errors import ConfigError

_pinned: datetime | None = None


def parse_instant(text: str, tz: ZoneInfo | None = None) -> datetime:
    """Parse an ISO date-time; a naive one is read in `tz` (default UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(i18n.t("cli.bad_now", text=text)) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz or timezone.utc)
    return value


def pin(now: datetime | str | None) -> None:
    """Pin the clock (None releases it)."""
    global _pinned
    _pinned = parse_instant(now) if isinstance(now, str) else now


def is_pinned() -> bool:
    """True when `pin` fixed the clock."""
    return _pinned is not None


def now(tz: ZoneInfo | None = None) -> datetime:
    """The current instant: pinned, else THIDUA_NOW, else the system clock."""
    value = _pinned
    if value is None:
        env = os.environ.get("THIDUA_NOW")
        value = parse_instant(env, tz) if env else datetime.now(timezone.utc)
    return value.astimezone(tz) if tz else value
