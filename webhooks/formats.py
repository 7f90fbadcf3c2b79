"""How the pages write times and countdowns (shared by the dashboard and the upload page)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _

from sync import clock

if TYPE_CHECKING:
    from sync.campaign import Campaign


def fmt_time(value: datetime | float | str | None, campaign: Campaign) -> str:
    """A datetime, an ISO time or UNIX seconds as dd/mm/yyyy HH:MM in the campaign's
    timezone ('' for none)."""
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float)):
        when = datetime.fromtimestamp(float(value), campaign.tz)
    elif isinstance(value, str):
        when = clock.parse_instant(value, campaign.tz)
    else:
        when = value
    return when.astimezone(campaign.tz).strftime("%d/%m/%Y %H:%M")


def countdown_text(due: datetime, now: datetime) -> str:
    """The countdown as a page shows it before (or without) JavaScript."""
    left = (due - now).total_seconds()
    s = int(abs(left))
    d, h, m = s // 86400, (s % 86400) // 3600, (s % 3600) // 60
    if left >= 0:
        return _("còn %(d)d ngày %(h)d giờ %(m)d phút", d=d, h=h, m=m)
    return _("đã quá hạn %(d)d ngày %(h)d giờ", d=d, h=h)


def fmt_deadline(value: datetime, campaign: Campaign) -> str:
    """A deadline as people say it: '17:00 20/04/2025'."""
    return value.astimezone(campaign.tz).strftime("%H:%M %d/%m/%Y")


def in_grace(due: datetime, closes: datetime, now: datetime) -> bool:
    """Past the deadline but still accepted (counted as late)."""
    return due <= now < closes
