"""The organiser's side of the official record: reviews, extensions, duplicate claims.

Reviews (approve / return with a reason) and extensions are appended, never updated: the
last one per (unit, form) is in effect and every earlier one stays as history. Claims keep,
per key of a campaign-wide `unique` rule, when each unit first had it and whether it is in
that unit's submitted snapshot (the earliest claim owns a duplicate).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..campaign import Campaign, Deadline
from ..form_state import ClaimMap
from ..lifecycle import deadline as own_deadline
from .db import AuditError
from .models import Claim, Extension, Review

Key = tuple[str, str]
"""(unit, form)"""


def load_reviews(engine: Engine, campaign: str) -> dict[Key, dict[str, Any]]:
    """The last review of every (unit, form): {decision, reason, until, by, at}."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Review).where(Review.campaign == campaign).order_by(Review.id)
            ).all()
    except SQLAlchemyError as exc:
        raise AuditError.of("audit.read_reviews", exc=exc) from exc
    return {(r.unit, r.form): _review(r) for r in rows}


def _review(r: Any) -> dict[str, Any]:
    return {
        "decision": r.decision,
        "reason": r.reason,
        "until": r.until,
        "by": r.by,
        "at": r.at,
        "submissions": r.submissions,
    }


def unit_deadlines(engine: Engine, campaign: Campaign) -> Callable[[str, str], Deadline]:
    """unit, form → the unit's own deadline: the campaign file's, extended, reopened."""
    reviews = load_reviews(engine, campaign.id)
    extensions = load_extensions(engine, campaign.id)

    def of(unit: str, form: str) -> Deadline:
        key = (unit, form)
        return own_deadline(campaign.form(form), unit, extensions.get(key), reviews.get(key))

    return of


def review_history(engine: Engine, campaign: str, unit: str, form: str) -> list[dict[str, Any]]:
    """Every review of one unit's form, oldest first."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Review)
                .where(
                    (Review.campaign == campaign) & (Review.unit == unit) & (Review.form == form)
                )
                .order_by(Review.id)
            ).all()
    except SQLAlchemyError as exc:
        raise AuditError.of("audit.read_reviews", exc=exc) from exc
    return [_review(r) for r in rows]


def unit_decisions(engine: Engine, campaign: str, unit: str) -> list[dict[str, Any]]:
    """Every review and extension of one unit (all forms), oldest first: dicts with `kind`
    ("review" | "extension"), `form`, `at`, `by`, `until` and, for a review, `decision`
    and `reason` — the unit page's history."""
    try:
        with engine.connect() as conn:
            reviews = conn.execute(
                select(Review)
                .where((Review.campaign == campaign) & (Review.unit == unit))
                .order_by(Review.id)
            ).all()
            extensions = conn.execute(
                select(Extension)
                .where((Extension.campaign == campaign) & (Extension.unit == unit))
                .order_by(Extension.id)
            ).all()
    except SQLAlchemyError as exc:
        raise AuditError.of("audit.read_reviews", exc=exc) from exc
    out = [{"kind": "review", "form": r.form, **_review(r)} for r in reviews]
    out += [
        {"kind": "extension", "form": e.form, "until": e.until, "by": e.by, "at": e.at}
        for e in extensions
    ]
    return sorted(out, key=lambda d: datetime.fromisoformat(str(d["at"])))


def add_review(
    engine: Engine,
    campaign: str,
    unit: str,
    form: str,
    review: dict[str, Any],
    submission_id: int | None = None,
) -> None:
    """Append a review (`decision`, `reason`, `until`, `by`, `at`)."""
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(Review).values(
                    campaign=campaign,
                    unit=unit,
                    form=form,
                    decision=review["decision"],
                    reason=review.get("reason") or "",
                    until=review.get("until"),
                    by=review["by"],
                    at=review["at"],
                    submission_id=submission_id,
                    submissions=int(review.get("submissions") or 0),
                )
            )
    except SQLAlchemyError as exc:
        raise AuditError.of("audit.write_review", exc=exc) from exc


def load_extensions(engine: Engine, campaign: str) -> dict[Key, str]:
    """The last extension of every (unit, form): the ISO time it is due."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Extension.unit, Extension.form, Extension.until)
                .where(Extension.campaign == campaign)
                .order_by(Extension.id)
            ).all()
    except SQLAlchemyError as exc:
        raise AuditError.of("audit.read_extensions", exc=exc) from exc
    return {(r.unit, r.form): r.until for r in rows}


def add_extension(
    engine: Engine, campaign: str, unit: str, form: str, until: str, by: str, at: str
) -> None:
    """Append an extension: the unit's form is due at `until`."""
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(Extension).values(
                    campaign=campaign, unit=unit, form=form, until=until, by=by, at=at
                )
            )
    except SQLAlchemyError as exc:
        raise AuditError.of("audit.write_extension", exc=exc) from exc


def load_claims(engine: Engine, campaign: str) -> ClaimMap:
    """Every claim of the campaign."""
    out: ClaimMap = {}
    try:
        with engine.connect() as conn:
            for r in conn.execute(select(Claim).where(Claim.campaign == campaign)):
                out.setdefault(r.form, {}).setdefault(r.key, {})[r.unit] = (
                    r.first_seen_at,
                    bool(r.submitted),
                )
    except SQLAlchemyError as exc:
        raise AuditError.of("audit.read_claims", exc=exc) from exc
    return out


def save_claims(
    engine: Engine,
    campaign: str,
    new: Iterable[tuple[str, str, str, float]],
    submitted: Iterable[tuple[str, str, set[str]]] = (),
) -> None:
    """Insert first-seen claims (form, key, unit, time) and set, per (form, unit), which
    keys are in its submitted snapshot (the others are no longer)."""
    rows = [
        {
            "campaign": campaign,
            "form": f,
            "key": k,
            "unit": u,
            "first_seen_at": t,
            "submitted": False,
        }
        for f, k, u, t in new
    ]
    try:
        with engine.begin() as conn:
            if rows:
                conn.execute(insert(Claim), rows)
            for form, unit, keys in submitted:
                where = (Claim.campaign == campaign) & (Claim.form == form) & (Claim.unit == unit)
                conn.execute(update(Claim).where(where).values(submitted=False))
                if keys:
                    conn.execute(
                        update(Claim)
                        .where(where & Claim.key.in_(sorted(keys)))
                        .values(submitted=True)
                    )
    except SQLAlchemyError as exc:
        raise AuditError.of("audit.write_claims", exc=exc) from exc
