"""What the settings page may change, as typed by the organiser, and how a typed value
becomes a campaign-file value.

Values are parsed as little as possible: what is not clearly a number, a date or a policy
name stays text, so the loader reports it with the same message as `thidua check`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

_WHOLE_RE = re.compile(r"[+-]?\d+")
_GROUPED_RE = re.compile(r"\d{1,3}(?:([.,\u00a0 ])\d{3})(?:\1\d{3})*")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL_SPLIT_RE = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class UnitEdit:
    """New values for one unit; a field left None is not touched, "" clears it."""

    id: str
    level: str | None = None
    staff: str | None = None
    editors: str | None = None
    quotas: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FormEdit:
    """A form's new due date (date, optional time) and grace ("2d", "12h", "" = none)."""

    id: str
    due_date: str | None = None
    due_time: str | None = None
    grace: str | None = None


@dataclass(frozen=True)
class NewUnit:
    """A unit to add at the end of the units."""

    id: str
    name: str
    parent: str = ""
    level: str = ""
    staff: str = ""
    editors: str = ""
    quotas: dict[str, str] = field(default_factory=dict)


Edit = UnitEdit | FormEdit | NewUnit


@dataclass(frozen=True)
class Change:
    """One value changed in the campaign file (JSON-friendly old and new values)."""

    subject: str
    """unit | form"""
    id: str
    field: str
    """level, staff, editors, quotas.<form>, due, grace; `added` for a new unit"""
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "id": self.id,
            "field": self.field,
            "old": self.old,
            "new": self.new,
        }


def parse_whole(raw: str) -> int | str | None:
    """'' → None (clear); '15', '-1', '1.850', '1 850' → int; anything else stays text."""
    text = raw.strip()
    if not text:
        return None
    if _WHOLE_RE.fullmatch(text):
        return int(text)
    if _GROUPED_RE.fullmatch(text):
        return int(re.sub(r"\D", "", text))
    return text


def parse_quota(raw: str, policies: Collection[str] = ()) -> int | str | dict[str, str] | None:
    """A quota: a whole number, a quota policy's name ({policy: name}), '' to clear."""
    value = parse_whole(raw)
    if isinstance(value, str) and value in policies:
        return {"policy": value}
    return value


def parse_text(raw: str) -> str | None:
    """Stripped text; '' → None (clear)."""
    text = raw.strip()
    return text or None


def parse_editors(raw: str) -> list[str] | None:
    """E-mail addresses separated by commas, semicolons, spaces or lines; '' → None."""
    items = [e for e in _EMAIL_SPLIT_RE.split(raw.strip()) if e]
    return items or None


def parse_due(day: str, at: str) -> date | str:
    """The due value to write: a date (ISO, from a date field) alone, or date and time as
    the campaign file writes them (2025-04-20T17:00); other text is kept for the loader."""
    day, at = day.strip(), at.strip()
    if _ISO_DATE_RE.fullmatch(day):
        if not at:
            try:
                return date.fromisoformat(day)
            except ValueError:
                return day
        return f"{day}T{at}"
    return f"{day} {at}".strip()


def parse_grace(raw: str) -> str | None:
    """'2d', '12h', '1d12h'; '' or '0' → None (no grace)."""
    text = raw.strip().replace(" ", "")
    return None if text in ("", "0") else raw.strip()


def plain(value: Any) -> Any:
    """JSON-friendly copy of a YAML value (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes") if not value.second else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)
