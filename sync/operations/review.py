"""Reviewing and extending: the organiser's decisions on a unit's official record.

Each decision is appended to the audit database, then the unit is checked again so that
its sheet (status, "Kiểm tra" tab with the reason) and the recorded state show it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import lifecycle
from ..campaign import Form, Unit
from ..errors import ReviewError
from ..pipeline import Run
from ..stores.capabilities import LocksForms
from .checks import check_units
from .workspace import Workspace, new_run_id

DECISIONS = ("approved", "returned")


@dataclass
class Reviewed:
    """A recorded review ({decision, reason, until, by, at}) and the check after it."""

    unit: str
    form: str
    review: dict[str, Any]
    run: Run


def _unit_form(ws: Workspace, unit_id: str, form_id: str) -> tuple[Unit, Form]:
    try:
        unit = ws.campaign.unit(unit_id)
    except KeyError:
        known = ", ".join(u.id for u in ws.campaign.units)
        raise ReviewError.of("review.no_unit", unit=unit_id, known=known) from None
    try:
        form = ws.campaign.form(form_id)
    except KeyError:
        known = ", ".join(f.id for f in ws.campaign.forms)
        raise ReviewError.of("review.no_form", form=form_id, known=known) from None
    return unit, form


def review(
    ws: Workspace,
    unit_id: str,
    form_id: str,
    *,
    decision: str,
    by: str,
    reason: str = "",
    until: datetime | None = None,
    now: datetime | None = None,
    run_id: str | None = None,
) -> Reviewed:
    """Approve the unit's submission (final) or return it for correction with a reason.

    A return opens the form to the unit until `until` (default: its lock, or 7 days from
    now when that has passed), whatever the campaign clock; resubmitting ends it. An
    approval is final: later edits only set `changed_since_submit` until a new return.
    ReviewError (Vietnamese) when the decision is not possible.
    """
    unit, form = _unit_form(ws, unit_id, form_id)
    if decision not in DECISIONS:
        raise ReviewError.of("review.bad_decision", decision=decision)
    now = now or ws.now()
    states = ws.states()
    key = (unit.id, form.id)
    state = states.get(unit.id, form.id)
    lifecycle.check_review(
        ws.campaign, form, unit.id, state, decision, reason, states.reviews.get(key)
    )
    record: dict[str, Any] = {"decision": decision, "reason": reason.strip(), "until": None}
    if decision == "returned":
        opened = lifecycle.return_until(form, unit.id, now, until, states.extensions.get(key))
        if opened <= now:
            raise ReviewError.of("review.until_past")
        record["until"] = opened.isoformat()
    record.update(by=by, at=now.isoformat(), submissions=len(state.history))
    states.add_review(unit.id, form.id, record)
    if decision == "returned" and isinstance(ws.store, LocksForms):
        ws.store.unlock(unit, form.id)  # open again, whatever the lock
    run = check_units(ws, [unit.id], now=now, run_id=run_id or new_run_id("review"))
    return Reviewed(unit.id, form.id, record, run)


def extend(
    ws: Workspace,
    unit_id: str,
    form_id: str,
    *,
    until: datetime,
    by: str,
    now: datetime | None = None,
    run_id: str | None = None,
) -> Run:
    """Give one unit a later due time (and lock, grace kept) for one form; submitting
    before it is "đúng hạn (gia hạn)". ReviewError when `until` is not later."""
    unit, form = _unit_form(ws, unit_id, form_id)
    if not form.applies(unit.id):
        raise ReviewError.of("lifecycle.not_applicable", form=form.title, unit=unit.name)
    now = now or ws.now()
    lifecycle.check_extension(form, unit.id, until, now, ws.campaign.tz)
    ws.states().add_extension(unit.id, form.id, until.isoformat(), by, now.isoformat())
    if isinstance(ws.store, LocksForms):
        ws.store.unlock(unit, form.id)  # a later lock: the scheduler locks it again then
    return check_units(ws, [unit.id], now=now, run_id=run_id or new_run_id("extend"))
