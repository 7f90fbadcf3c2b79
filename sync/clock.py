"""The injectable clock: `--now` / THIDUA_NOW pin "now" for every command."""

from __future__ import annotations

import os
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from . import i18n
from .errors import ConfigError
from .normalize import parse_when

_pinned: datetime | None = None


def _parse(text: str) -> datetime:
    """2025-04-20T17:00[+07:00], 20/04/2025 17:00, or a day (its start); may be naive."""
    try:
        value = parse_when(text)
    except ValueError as exc:
        raise ConfigError(i18n.t("cli.bad_now", text=text, exc=exc)) from None
    return value if isinstance(value, datetime) else datetime.combine(value, time(0, 0))


def parse_instant(text: str, tz: ZoneInfo | None = None) -> datetime:
    """Parse a date-time; one without an offset is read in `tz` (default UTC)."""
    value = _parse(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=tz or timezone.utc)


def pin(now: datetime | str | None) -> None:
    """Pin the clock (None releases it). Text without an offset stays local time: `now(tz)`
    reads it in the campaign's timezone (`--now 2025-04-20T16:00` is 16:00 in Vietnam)."""
    global _pinned
    _pinned = _parse(now) if isinstance(now, str) else now


def is_pinned() -> bool:
    """True when `pin` fixed the clock."""
    return _pinned is not None


def now(tz: ZoneInfo | None = None) -> datetime:
    """The current instant: pinned, else THIDUA_NOW, else the system clock."""
    value = _pinned
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=tz or timezone.utc)
    if value is None:
        env = os.environ.get("THIDUA_NOW")
        value = parse_instant(env, tz) if env else datetime.now(timezone.utc)
    return value.astimezone(tz) if tz else value
