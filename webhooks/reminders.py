"""Reminders from the service: the dashboard's button and the campaign's schedule.

Both use `sync.reminders` over the service's recorded checks (no sheet reads): units of
the chosen forms that have not submitted, still have errors, or were returned get an
e-mail; every attempt is recorded and failures are listed on the dashboard.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sync import clock
from sync.audit.records import campaign_statuses
from sync.errors import ConfigError
from sync.reminders import (
    Outcome,
    base_url_from_env,
    history,
    link_maker,
    plan,
    scheduled_now,
    send,
    smtp_settings,
    statuses_from_records,
)

from .auth import login_required
from .formats import fmt_time
from .guard import service
from .logs import log_event
from .service import Service

bp = Blueprint("reminders", __name__)


def remind(svc: Service, trigger: str, form_ids: list[str] | None = None) -> Outcome:
    """Send the reminders due now for `form_ids` (all open forms when None)."""
    c = svc.campaign
    now = clock.now(c.tz)
    statuses = statuses_from_records(campaign_statuses(svc.engine, c))
    links = link_maker(c, svc.store, base_url_from_env())
    reminders = [
        r for r in plan(c, statuses, now, links) if form_ids is None or r.form.id in form_ids
    ]
    outcome = send(c, svc.engine, reminders, now, smtp_settings(), trigger)
    log_event(
        "reminders",
        trigger=trigger,
        sent=outcome.count("sent"),
        failed=outcome.count("failed"),
        skipped=outcome.count("skipped"),
    )
    return outcome


def scheduled(svc: Service) -> Outcome | None:
    """The schedule's chore: remind about forms with a reminder point in the last day."""
    c = svc.campaign
    forms = scheduled_now(c, clock.now(c.tz))
    if not forms:
        return None
    if smtp_settings() is None:
        log_event("reminders not configured", forms=",".join(f.id for f in forms))
        return None
    return remind(svc, "schedule", [f.id for f in forms])


def panel(svc: Service) -> dict[str, Any]:
    """What the dashboard shows about reminders: configured or not, recent failures."""
    try:
        configured = smtp_settings() is not None
        problem = ""
    except ConfigError as exc:
        configured, problem = False, str(exc)
    c = svc.campaign
    recent = history(svc.engine, c.id, limit=50)
    names = {u.id: u.name for u in c.units}
    titles = {f.id: f.title for f in c.forms}
    for r in recent:
        r["when"] = fmt_time(r["sent_at"], c)
        r["unit_name"] = names.get(r["unit"], r["unit"])
        r["form_title"] = titles.get(r["form"], r["form"])
    return {
        "configured": configured,
        "problem": problem,
        "failed": [r for r in recent if r["status"] == "failed"][:10],
        "sent": sum(1 for r in recent if r["status"] == "sent"),
        "last": recent[0] if recent else None,
    }


@bp.post("/dashboard/remind")
@login_required
def remind_now() -> ResponseReturnValue:
    """The dashboard's button: remind the late units of one form (or of all open forms)."""
    svc = service()
    c = svc.campaign
    form_id = request.form.get("form") or None
    if form_id is not None and form_id not in {f.id for f in c.forms}:
        form_id = None
    try:
        outcome = remind(svc, "dashboard", [form_id] if form_id else None)
    except ConfigError as exc:
        flash(_("Chưa gửi được thư nhắc: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for("dashboard.index"))
    sent, failed, skipped = (outcome.count(k) for k in ("sent", "failed", "skipped"))
    if not outcome.reminders:
        flash(_("Không có đơn vị nào cần nhắc."), "info")
    elif failed:
        flash(
            _(
                "Đã gửi %(sent)d thư nhắc; %(failed)d thư không gửi được (xem mục Nhắc nhở); "
                "bỏ qua %(skipped)d đơn vị đã được nhắc trong ngày.",
                sent=sent,
                failed=failed,
                skipped=skipped,
            ),
            "error",
        )
    else:
        flash(
            _(
                "Đã gửi %(sent)d thư nhắc; bỏ qua %(skipped)d đơn vị đã được nhắc trong ngày.",
                sent=sent,
                skipped=skipped,
            ),
            "success",
        )
    target = url_for("dashboard.index", form=form_id) if form_id else url_for("dashboard.index")
    return redirect(target)
