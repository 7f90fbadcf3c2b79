"""Lock after the deadline: `lock: true` forms are closed at `due + grace`.

See docs/design.md, Deadlines and timeliness.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from .campaign import Campaign
from .errors import StoreError
from .stores.base import Store
from .stores.capabilities import LocksForms

log = logging.getLogger(__name__)


def overdue_locks(campaign: Campaign, now: datetime) -> list[tuple[str, str]]:
    """(unit, form) pairs whose form has `lock: true` and is past `due + grace`."""
    return [
        (unit.id, form.id)
        for form in campaign.forms
        if form.lock and now > form.closes
        for unit in campaign.units
    ]


def lock_overdue(
    campaign: Campaign, store: Store, now: datetime, done: set[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Call `store.lock` for every overdue (unit, form) not in `done`; returns new locks.

    `done` remembers what is locked (the stores' lock is idempotent anyway, so a restart
    costs one check per unit). A unit that cannot be locked now is retried next time.
    A store that cannot lock forms (local files: the upload page refuses changed rows of
    a locked form instead) locks nothing.
    """
    if not isinstance(store, LocksForms):
        return []
    locked: list[tuple[str, str]] = []
    pending: Iterable[tuple[str, str]] = (p for p in overdue_locks(campaign, now) if p not in done)
    for unit_id, form_id in pending:
        try:
            store.lock(campaign.unit(unit_id), form_id)
        except StoreError as exc:
            log.warning("lock %s/%s failed: %s", unit_id, form_id, exc)
            continue
        done.add((unit_id, form_id))
        locked.append((unit_id, form_id))
    return locked
