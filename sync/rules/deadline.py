"""Deadlines: `late` (warning) and `after_lock` (error), unit-level, and states.

- A submission after `due`, or (not submitted) a change after `due` → `late`.
- With `lock: true`, a change after `due + grace` → `after_lock` (the change is not part of
  the official submission); `late` is then not repeated for that change.
- Without a known change time, `now` is the change time of a unit that has rows and has not
  submitted (conservative: what is in the sheet now is what would be counted).

See docs/design.md, Deadlines and timeliness.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..campaign.campaign import Form
from . import messages as M


@dataclass(frozen=True)
class UnitTimes:
    """Per (unit, form): when the sheet last changed and when the unit submitted."""

    last_change_at: datetime | None = None
    submitted_at: datetime | None = None


def _aware(value: datetime, tz: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def change_time(times: UnitTimes | None, rows: int, now: datetime) -> datetime | None:
    """The change time used for deadline checks."""
    if times is not None and times.last_change_at is not None:
        return times.last_change_at
    submitted = times is not None and times.submitted_at is not None
    return now if rows > 0 and not submitted else None


def findings(
    form: Form,
    unit: str,
    rows: int,
    times: UnitTimes | None,
    now: datetime,
    tz: ZoneInfo,
    lang: str,
) -> list[dict[str, object]]:
    """Unit-level deadline findings (dicts with unit, code, severity, message, value)."""
    due = _aware(form.due, tz)
    closes = _aware(form.closes, tz)
    submitted = times.submitted_at if times is not None else None
    change = change_time(times, rows, now)
    out: list[dict[str, object]] = []
    after_lock = form.lock and change is not None and _aware(change, tz) > closes
    if after_lock:
        assert change is not None
        out.append(
            {
                "unit": unit,
                "code": "after_lock",
                "severity": "error",
                "message": M.text(
                    lang,
                    "after_lock",
                    closes=M.fmt_instant(closes, tz),
                    at=M.fmt_instant(change, tz),
                ),
                "value": _aware(change, tz).isoformat(),
            }
        )
    late_at: datetime | None = None
    if submitted is not None and _aware(submitted, tz) > due:
        late_at = submitted
    elif submitted is None and change is not None and _aware(change, tz) > due and not after_lock:
        late_at = change
    if late_at is not None:
        out.append(
            {
                "unit": unit,
                "code": "late",
                "severity": "warning",
                "message": M.text(
                    lang, "late", at=M.fmt_instant(late_at, tz), due=M.fmt_instant(due, tz)
                ),
                "value": _aware(late_at, tz).isoformat(),
            }
        )
    return out


def state(
    form: Form, rows: int, errors: int, times: UnitTimes | None, now: datetime, tz: ZoneInfo
) -> str:
    """not_started | in_progress | valid | submitted_on_time | submitted_late | locked."""
    submitted = times.submitted_at if times is not None else None
    if submitted is not None:
        return (
            "submitted_on_time"
            if _aware(submitted, tz) <= _aware(form.due, tz)
            else "submitted_late"
        )
    if form.lock and _aware(now, tz) > _aware(form.closes, tz):
        return "locked"
    if rows == 0:
        return "not_started"
    return "in_progress" if errors else "valid"
