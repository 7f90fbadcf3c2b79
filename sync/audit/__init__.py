"""The audit database: events, jobs, snapshots, findings, submissions, channels.

Used by the service (`webhooks`) and by the CLI (`thidua submit` records the official
snapshot here). SQLite by default, PostgreSQL by URL; migrations run on open.

See docs/design.md, Change events and the service.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .db import AuditError, default_url, make_engine, migrate, open_engine, ping
from .records import (
    FormStatus,
    RecordedFinding,
    campaign_statuses,
    checked_forms,
    unit_statuses,
)
from .states import AuditStates

if TYPE_CHECKING:
    from ..campaign import Campaign

__all__ = [
    "AuditError",
    "AuditStates",
    "FormStatus",
    "RecordedFinding",
    "campaign_statuses",
    "campaign_url",
    "checked_forms",
    "default_url",
    "make_engine",
    "migrate",
    "open_engine",
    "ping",
    "unit_statuses",
]


def campaign_url(campaign: Campaign, url: str | None = None) -> str:
    """`url`, else THIDUA_DATABASE_URL, else the SQLite file beside the campaign file."""
    return url or os.environ.get("THIDUA_DATABASE_URL") or default_url(campaign.base_dir)
