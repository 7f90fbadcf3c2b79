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
    """SubmissionError (Vietnamese) unless the unit may submit the form now.

    A unit may (re)submit until its form locks, or while it is returned (until the return's
    date, whatever the lock); an approved submission is final until the organiser returns it.
    """
    name = campaign.unit(unit).name
    if not form.applies(unit):
        raise SubmissionError(f"Biểu mẫu «{form.title}» không áp dụng cho {name}")
    standing = in_effect(review, state)
    if standing == "approved":
        raise SubmissionError(
            f"«{form.title}» của {name} đã được duyệt: bản chính thức không thay đổi nữa. "
            "Cần sửa thì đề nghị ban tổ chức trả lại."
        )
    tz = campaign.tz
    if standing == "returned" and review is not None and review.get("until"):
        until = datetime.fromisoformat(review["until"])
        if now > until:
            raise SubmissionError(
                f"Hạn nộp lại «{form.title}» (bị trả lại) đã hết lúc "
                f"{until.astimezone(tz):%d/%m/%Y %H:%M}: liên hệ ban tổ chức"
            )
        return
    own = deadline(form, unit, extension)
    if own.lock and now > own.closes:
        raise SubmissionError(
            f"Biểu mẫu «{form.title}» đã khoá sổ lúc {own.closes.astimezone(tz):%d/%m/%Y %H:%M}: "
            "không nhận bản nộp mới"
        )


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
    """ReviewError (Vietnamese) unless the organiser can record this decision now: there
    must be a submission; a returned form waits for the unit; a return needs a reason."""
    name = campaign.unit(unit).name
    if not form.applies(unit):
        raise ReviewError(f"Biểu mẫu «{form.title}» không áp dụng cho {name}")
    if not state.submitted_at:
        raise ReviewError(f"{name} chưa nộp «{form.title}»: chưa có gì để duyệt hay trả lại")
    standing = in_effect(review, state)
    if decision == "returned" and not reason.strip():
        raise ReviewError('Trả lại cần ghi lý do để đơn vị biết phải sửa gì (--return "lý do")')
    if decision == "approved" and standing == "returned":
        raise ReviewError(
            f"«{form.title}» của {name} đang bị trả lại: chờ đơn vị sửa và nộp lại rồi mới duyệt"
        )
    if decision == "approved" and standing == "approved":
        raise ReviewError(f"«{form.title}» của {name} đã được duyệt rồi")


def check_extension(form: Form, unit: str, until: datetime, now: datetime, tz: Any) -> None:
    """ReviewError unless `until` is in the future and later than the unit's due time."""
    current = form.deadline_for(unit)
    if until <= now:
        raise ReviewError(
            f"Gia hạn đến {until.astimezone(tz):%d/%m/%Y %H:%M} đã qua: chọn thời điểm sau bây giờ"
        )
    if until <= current.due:
        raise ReviewError(
            f"Gia hạn phải sau hạn nộp hiện tại ({current.due.astimezone(tz):%d/%m/%Y %H:%M})"
        )
