"""`Workspace`: the campaign, its sheet store and its states, as one argument."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from .. import clock
from ..audit import AuditStates, campaign_url, open_engine
from ..campaign import Campaign
from ..form_state import States
from ..pipeline import Frames
from ..stores import Store, open_store


@dataclass
class Workspace:
    """What the operations act on.

    `open_states` gives fresh states for each operation (another process may have moved
    them); `cache` keeps other units' last sheets in a long-running process (the service).
    """

    campaign: Campaign
    store: Store
    open_states: Callable[[], States]
    cache: Frames | None = None

    def states(self) -> States:
        return self.open_states()

    def now(self) -> datetime:
        """The campaign's clock (pinned by `--now` / THIDUA_NOW)."""
        return clock.now(self.campaign.tz)


def audit_states(engine: Engine, campaign: Campaign) -> Callable[[], States]:
    """States of `campaign` in the audit database behind `engine`."""
    return lambda: AuditStates.for_campaign_db(engine, campaign)


def open_workspace(
    campaign: Campaign,
    *,
    store: Store | None = None,
    engine: Engine | None = None,
    cache: Frames | None = None,
) -> Workspace:
    """The campaign's store and audit database (THIDUA_DATABASE_URL or beside the file)."""
    engine = engine or open_engine(campaign_url(campaign))
    return Workspace(campaign, store or open_store(campaign), audit_states(engine, campaign), cache)


def new_run_id(source: str) -> str:
    """A run id for the audit record: where it started plus a random part."""
    return f"{source}-{uuid.uuid4().hex[:16]}"
