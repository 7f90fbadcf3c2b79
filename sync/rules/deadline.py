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
from typing import Any
from zoneinfo import ZoneInfo

from ..campaign.campaign import Deadline, Form
from . import messages as M


@dataclass(frozen=True)
class UnitTimes:
    """Per (unit, form): what the official record knows besides the rows.

    `submitted_at` is the *first* submission (it decides timeliness; later ones are
    corrections); `deadline` is the unit's own (override, extension, return) when known.
    """

    last_change_at: datetime | None = None
    submitted_at: datetime | None = None
    deadline: Deadline | None = None
    review: str | None = None
    """The last review still in effect: "approved" or "returned" (None: not reviewed)."""
    changed_since_submit: bool = False
    corrections: int = 0
    """Submissions after the first one (shown as *bổ sung*)."""
    review_info: dict[str, Any] | None = None
    """The last review as shown: {decision, reason, by, at, until}."""
    last_submitted_at: datetime | None = None
    """The latest submission (the official snapshot's time)."""


def deadline_of(form: Form, unit: str, times: UnitTimes | None) -> Deadline:
    """The deadline that applies to the unit's form."""
    if times is not None and times.deadline is not None:
        return times.deadline
    return form.deadline_for(unit)


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
    deadline = deadline_of(form, unit, times)
    due = _aware(deadline.due, tz)
    closes = _aware(deadline.closes, tz)
    submitted = times.submitted_at if times is not None else None
    change = change_time(times, rows, now)
    out: list[dict[str, object]] = []
    after_lock = deadline.lock and change is not None and _aware(change, tz) > closes
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


def on_time(form: Form, unit: str, times: UnitTimes | None, tz: ZoneInfo) -> bool | None:
    """Whether the first submission met the unit's deadline (None: never submitted)."""
    submitted = times.submitted_at if times is not None else None
    if submitted is None:
        return None
    return _aware(submitted, tz) <= _aware(deadline_of(form, unit, times).due, tz)


def state(
    form: Form,
    rows: int,
    errors: int,
    times: UnitTimes | None,
    now: datetime,
    tz: ZoneInfo,
    unit: str | None = None,
) -> str:
    """returned | approved | submitted_on_time | submitted_late | locked | not_started |
    in_progress | valid (`not_applicable` is decided by the engine)."""
    if times is not None and times.review in ("returned", "approved"):
        return times.review
    deadline = deadline_of(form, unit or "", times)
    timely = on_time(form, unit or "", times, tz)
    if timely is not None:
        return "submitted_on_time" if timely else "submitted_late"
    if deadline.lock and _aware(now, tz) > _aware(deadline.closes, tz):
        return "locked"
    if rows == 0:
        return "not_started"
    return "in_progress" if errors else "valid"
