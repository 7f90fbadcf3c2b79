"""Lock after the deadline: `lock: true` forms are closed at `due + grace`.

See docs/design.md, Deadlines and timeliness.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from .campaign import Campaign, Deadline
from .errors import StoreError
from .stores.base import Store
from .stores.capabilities import LocksForms

log = logging.getLogger(__name__)


def overdue_locks(
    campaign: Campaign, now: datetime, deadline: Callable[[str, str], Deadline] | None = None
) -> list[tuple[str, str]]:
    """(unit, form) pairs whose form has `lock: true` and is past the unit's `due + grace`
    (its own deadline: override, extension or return when `deadline` gives them)."""
    of = deadline or campaign.deadline
    out = []
    for form in campaign.forms:
        if not form.lock:
            continue
        for unit in campaign.units_for(form.id):
            d = of(unit.id, form.id)
            if d.lock and now > d.closes:
                out.append((unit.id, form.id))
    return out


def lock_overdue(
    campaign: Campaign,
    store: Store,
    now: datetime,
    done: set[tuple[str, str]],
    deadline: Callable[[str, str], Deadline] | None = None,
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
    overdue = overdue_locks(campaign, now, deadline)
    done.intersection_update(overdue)  # reopened (returned, extended): lock again later
    pending: Iterable[tuple[str, str]] = (p for p in overdue if p not in done)
    for unit_id, form_id in pending:
        try:
            store.lock(campaign.unit(unit_id), form_id)
        except StoreError as exc:
            log.warning("lock %s/%s failed: %s", unit_id, form_id, exc)
            continue
        done.add((unit_id, form_id))
        locked.append((unit_id, form_id))
    return locked
