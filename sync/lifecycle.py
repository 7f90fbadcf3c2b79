"""The life of a unit's form on the official record (docs/design.md, "States").

Pure decisions over what the audit database knows of one (unit, form) — its `FormState`,
the last review and the last extension: the unit's own deadline, the times and review the
rules engine turns into a state, whether a submission is accepted now, and how long a
return keeps the form open. The use-case layer and the pages call these; nothing here
reads a store or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from .campaign import Campaign, Deadline, Form
from .errors import ReviewError, SubmissionError
from .form_state import FormState
from .rules.deadline import UnitTimes

RETURN_DAYS = 7
"""A return after the lock keeps the form open this many days unless `--until` says."""


def _when(value: datetime, tz: Any) -> str:
    """A time in messages: 05/05/2025 17:00, in the campaign's zone."""
    return f"{value.astimezone(tz):%d/%m/%Y %H:%M}"


def in_effect(review: Mapping[str, Any] | None, state: FormState | None) -> str | None:
    """`approved` / `returned` while that review stands: a submission made after a return
    (the unit has more submissions than when it was reviewed) ends the return."""
    if not review:
        return None
    if (
        review["decision"] == "returned"
        and state is not None
        and len(state.history) > int(review.get("submissions") or 0)
    ):
        return None
    return str(review["decision"])


def deadline(
    form: Form,
    unit: str,
    extension: str | None = None,
    review: Mapping[str, Any] | None = None,
) -> Deadline:
    """The unit's deadline: campaign file (override), then extension, then a return's window."""
    out = form.deadline_for(unit)
    if extension:
        out = out.extend(datetime.fromisoformat(extension))
    if review and review.get("decision") == "returned" and review.get("until"):
        out = out.reopen(datetime.fromisoformat(review["until"]))
    return out


def times(
    form: Form,
    unit: str,
    state: FormState,
    review: Mapping[str, Any] | None = None,
    extension: str | None = None,
) -> UnitTimes:
    """What the rules engine needs besides the rows to judge deadlines and the state."""
    return UnitTimes(
        last_change_at=state.last_change,
        submitted_at=state.first_submitted,
        deadline=deadline(form, unit, extension, review),
        review=in_effect(review, state),
        changed_since_submit=state.changed_since_submit,
        corrections=max(0, len(state.history) - 1),
        review_info=dict(review) if review else None,
        last_submitted_at=state.submitted,
    )


def accept_submission(
    campaign: Campaign,
    form: Form,
    unit: str,
    state: FormState,
    now: datetime,
    review: Mapping[str, Any] | None = None,
    extension: str | None = None,
) -> None:
    """SubmissionError (catalogue text, `message_id` lifecycle.…) unless the unit may submit the form now.

    A unit may (re)submit until its form locks, or while it is returned (until the return's
    date, whatever the lock); an approved submission is final until the organiser returns it.
    """
    name = campaign.unit(unit).name
    if not form.applies(unit):
        raise SubmissionError.of("lifecycle.not_applicable", form=form.title, unit=name)
    standing = in_effect(review, state)
    if standing == "approved":
        raise SubmissionError.of("lifecycle.submit_approved", form=form.title, unit=name)
    tz = campaign.tz
    if standing == "returned" and review is not None and review.get("until"):
        until = datetime.fromisoformat(review["until"])
        if now > until:
            raise SubmissionError.of(
                "lifecycle.return_expired", form=form.title, at=_when(until, tz)
            )
        return
    own = deadline(form, unit, extension)
    if own.lock and now > own.closes:
        raise SubmissionError.of("submit.locked", form=form.title, closes=_when(own.closes, tz))


def return_until(
    form: Form, unit: str, now: datetime, until: datetime | None, extension: str | None = None
) -> datetime:
    """Until when a returned form is open again: `until`, else the unit's lock (close), or
    7 days from now when that has passed."""
    if until is not None:
        return until
    closes = deadline(form, unit, extension).closes
    return closes if closes > now else now + timedelta(days=RETURN_DAYS)


def check_review(
    campaign: Campaign,
    form: Form,
    unit: str,
    state: FormState,
    decision: str,
    reason: str,
    review: Mapping[str, Any] | None = None,
) -> None:
    """ReviewError (`message_id` lifecycle.…) unless the organiser can record this decision now: there
    must be a submission; a returned form waits for the unit; a return needs a reason."""
    name = campaign.unit(unit).name
    if not form.applies(unit):
        raise ReviewError.of("lifecycle.not_applicable", form=form.title, unit=name)
    if not state.submitted_at:
        raise ReviewError.of("lifecycle.not_submitted", form=form.title, unit=name)
    standing = in_effect(review, state)
    if decision == "returned" and not reason.strip():
        raise ReviewError.of("lifecycle.return_needs_reason")
    if decision == "approved" and standing == "returned":
        raise ReviewError.of("lifecycle.approve_returned", form=form.title, unit=name)
    if decision == "approved" and standing == "approved":
        raise ReviewError.of("lifecycle.already_approved", form=form.title, unit=name)


def check_extension(form: Form, unit: str, until: datetime, now: datetime, tz: Any) -> None:
    """ReviewError unless `until` is in the future and later than the unit's due time."""
    current = form.deadline_for(unit)
    if until <= now:
        raise ReviewError.of("lifecycle.extension_past", until=_when(until, tz))
    if until <= current.due:
        raise ReviewError.of("lifecycle.extension_before_due", due=_when(current.due, tz))
