"""E-mail reminders to units that have not submitted, still have errors, or were sent back.

Used by `thidua remind`, the dashboard's button and the service's schedule (the campaign
file's `reminders: {before: [3d, 1d], after: [1d]}`). SMTP settings come from
THIDUA_SMTP_URL (`smtp://user:pass@host:587?starttls=1`, `smtps://…` for TLS from the
start) and THIDUA_MAIL_FROM. Every reminder is recorded in the audit database (sent or
failed, with the SMTP error); a unit is not reminded of a form twice within a day.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from . import i18n
from .audit.db import AuditError
from .audit.models import Reminder as ReminderRow
from .campaign import Campaign, Form, Unit
from .errors import ConfigError

DAY = timedelta(days=1)
# Python's header folding drops the space between two encoded words ("Danh sáchđại");
# unfolded headers (RFC 5322 allows 998 characters) keep Vietnamese subjects intact.
MAIL_POLICY = SMTP.clone(max_line_length=998)
# states in which a unit has nothing left to do for a form
DONE_STATES = {"submitted_on_time", "submitted_late", "approved", "not_applicable"}
REASONS = ("not_submitted", "errors", "returned")
"""Why a unit is reminded; its words are `mail.reason.<reason>` in the catalogue."""
STATE_WORDS = ("not_started", "in_progress", "valid", "returned", "locked", "unchecked")
"""States an e-mail names in its own words (`mail.state.<state>`); others by the reason."""


def reason_text(reason: str, lang: str | None = None) -> str:
    """'còn lỗi' / 'has errors': why a unit is reminded, in `lang` (default: current)."""
    return i18n.t(f"mail.reason.{reason}", lang) if reason in REASONS else reason


def setup_hint() -> str:
    """What to set when sending e-mail is not configured (current language)."""
    return i18n.t("mail.setup_hint")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and as whom reminders are sent."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    tls: bool = False  # smtps://
    timeout: float = 20.0


def smtp_settings(env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """The SMTP settings from THIDUA_SMTP_URL / THIDUA_MAIL_FROM; None when not configured."""
    env = os.environ if env is None else env
    url = (env.get("THIDUA_SMTP_URL") or "").strip()
    sender = (env.get("THIDUA_MAIL_FROM") or "").strip()
    if not url or not sender:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(
            i18n.t("mail.bad_smtp_url", scheme=parts.scheme, host=parts.hostname or "")
        )
    query = parse_qs(parts.query)
    tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if tls else 25)
    except ValueError:
        raise ConfigError(i18n.t("mail.bad_smtp_port")) from None
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        sender=sender,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes"),
        tls=tls,
    )


@dataclass(frozen=True)
class Status:
    """What is known of a unit's form: its state and its number of errors."""

    state: str
    errors: int = 0


@dataclass
class Reminder:
    """One e-mail to one unit's editors about one form."""

    unit: Unit
    form: Form
    reason: str
    state: str
    errors: int
    link: str
    result: str = "planned"  # planned | sent | failed | skipped
    detail: str = ""

    @property
    def recipients(self) -> list[str]:
        return list(self.unit.editors)


@dataclass
class Outcome:
    """What a run did: every reminder with its result."""

    reminders: list[Reminder] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for r in self.reminders if r.result == result)


def reason_for(status: Status) -> str | None:
    """Why a unit needs a reminder for a form (None: it does not)."""
    if status.state == "returned":
        return "returned"
    if status.state in DONE_STATES or status.state == "locked":
        return None
    if status.errors:
        return "errors"
    return "not_submitted"


def open_forms(campaign: Campaign, now: datetime) -> list[Form]:
    """Forms a unit can still act on: opened, and not closed by a lock."""
    return [
        f
        for f in campaign.forms
        if (f.opens is None or f.opens <= now) and not (f.lock and now >= f.closes)
    ]


def deadline_words(form: Form, now: datetime, tz: Any, lang: str | None = None) -> str:
    """'Hạn nộp 17:00 20/04/2025 — còn 2 ngày 3 giờ' / '… — đã quá hạn, vẫn nhận đến …'."""
    due = f"{form.due.astimezone(tz):%H:%M %d/%m/%Y}"
    if now < form.due:
        return i18n.t("mail.deadline.left", lang, due=due, left=_span(form.due - now, lang))
    if form.grace and now < form.closes:
        closes = f"{form.closes.astimezone(tz):%H:%M %d/%m/%Y}"
        return i18n.t("mail.deadline.grace", lang, due=due, closes=closes)
    return i18n.t("mail.deadline.overdue", lang, due=due, late=_span(now - form.due, lang))


def _span(delta: timedelta, lang: str | None = None) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        key = "mail.span.days_hours" if hours else "mail.span.days"
        return i18n.t(key, lang, days=days, hours=hours)
    key = "mail.span.hours_minutes" if hours else "mail.span.minutes"
    return i18n.t(key, lang, hours=hours, minutes=mins)


def plan(
    campaign: Campaign,
    statuses: Mapping[tuple[str, str], Status],
    now: datetime,
    link_for: Callable[[Unit], str],
    form_id: str | None = None,
    unit_id: str | None = None,
) -> list[Reminder]:
    """The reminders due now: units of open forms that have not submitted, still have
    errors, or were returned (a unit never checked counts as not started)."""
    found = []
    for form in open_forms(campaign, now):
        if form_id is not None and form.id != form_id:
            continue
        for unit in campaign.units:
            if unit_id is not None and unit.id != unit_id:
                continue
            status = statuses.get((unit.id, form.id), Status("not_started"))
            reason = reason_for(status)
            if reason is None:
                continue
            found.append(Reminder(unit, form, reason, status.state, status.errors, link_for(unit)))
    return found


def compose(campaign: Campaign, reminder: Reminder, now: datetime, sender: str) -> EmailMessage:
    """The e-mail of a reminder, in the campaign's language."""
    unit, form, lang = reminder.unit, reminder.form, campaign.language
    reason = reason_text(reminder.reason, lang)
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = i18n.t("mail.subject", lang, unit=unit.name, form=form.title, reason=reason)
    msg["From"] = sender
    msg["To"] = ", ".join(reminder.recipients)
    msg["Date"] = formatdate(now.timestamp(), localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    state = (
        i18n.t(f"mail.state.{reminder.state}", lang) if reminder.state in STATE_WORDS else reason
    )
    organizer = campaign.info.organizer
    lines = [
        i18n.t("mail.greeting", lang, unit=unit.name),
        "",
        i18n.t(
            "mail.intro", lang, organizer=organizer, form=form.title, campaign=campaign.info.title
        ),
        "",
        i18n.t("mail.state_line", lang, state=state),
    ]
    if reminder.errors:
        lines.append(i18n.t("mail.errors_line", lang, errors=reminder.errors))
    if reminder.reason == "returned":
        lines.append(i18n.t("mail.returned_line", lang))
    lines += [
        deadline_words(form, now, campaign.tz, lang) + ".",
        "",
        i18n.t("mail.link_line", lang, link=reminder.link),
        "",
        i18n.t("mail.footer", lang),
        organizer,
    ]
    msg.set_content("\n".join(lines))
    return msg


def recently_sent(engine: Engine, campaign_id: str, since: float) -> set[tuple[str, str]]:
    """(unit, form) reminded successfully since `since` (UNIX seconds, campaign clock)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(ReminderRow.unit, ReminderRow.form).where(
                    ReminderRow.campaign == campaign_id,
                    ReminderRow.status == "sent",
                    ReminderRow.sent_at > since,
                )
            ).all()
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("mail.history_read_failed", exc=exc)) from exc
    return {(r.unit, r.form) for r in rows}


def history(
    engine: Engine, campaign_id: str, unit: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The latest reminders (newest first), for the dashboard."""
    query = select(ReminderRow).where(ReminderRow.campaign == campaign_id)
    if unit is not None:
        query = query.where(ReminderRow.unit == unit)
    try:
        with engine.connect() as conn:
            rows = conn.execute(query.order_by(ReminderRow.id.desc()).limit(limit))
            found = [dict(r._mapping) for r in rows]
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("mail.history_read_failed", exc=exc)) from exc
    for r in found:
        r["recipients"] = list(r.get("recipients") or [])
        r["error"] = r.get("error") or ""
    return found


def _record(
    engine: Engine, campaign_id: str, reminder: Reminder, trigger: str, when: float
) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(
                ReminderRow.__table__.insert().values(  # type: ignore[attr-defined]
                    campaign=campaign_id,
                    unit=reminder.unit.id,
                    form=reminder.form.id,
                    reason=reminder.reason,
                    state=reminder.state,
                    errors=reminder.errors,
                    recipients=reminder.recipients,
                    trigger=trigger,
                    sent_at=when,
                    status=reminder.result,
                    error=reminder.detail or None,
                )
            )
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("mail.history_write_failed", exc=exc)) from exc


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.tls:
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.starttls:
            server.starttls(context=context)
    if settings.user:
        server.login(settings.user, settings.password or "")
    return server


def _smtp_error(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items()]
        return i18n.t("mail.detail.refused", refused="; ".join(parts))
    if isinstance(exc, smtplib.SMTPResponseException):
        return i18n.t("mail.detail.smtp_error", code=exc.smtp_code, error=_text(exc.smtp_error))
    if isinstance(exc, smtplib.SMTPException):
        return i18n.t("mail.detail.send_error", exc=exc)
    return i18n.t("mail.detail.no_connection", kind=exc.__class__.__name__, exc=exc)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def send(
    campaign: Campaign,
    engine: Engine,
    reminders: Iterable[Reminder],
    now: datetime,
    settings: SmtpSettings | None,
    trigger: str,
    dry_run: bool = False,
) -> Outcome:
    """Send the reminders not already sent within a day; record each one (sent or failed)."""
    outcome = Outcome(list(reminders))
    stamp = now.timestamp()
    done = recently_sent(engine, campaign.id, stamp - DAY.total_seconds())
    todo = []
    for r in outcome.reminders:
        if (r.unit.id, r.form.id) in done:
            r.result, r.detail = "skipped", i18n.t("mail.detail.recent")
        elif not r.recipients:
            r.result, r.detail = "failed", i18n.t("mail.detail.no_editors")
        else:
            todo.append(r)
    if dry_run:
        for r in todo:
            r.result = "planned"
        return outcome
    if settings is None:
        raise ConfigError(setup_hint())
    server: smtplib.SMTP | None = None
    try:
        if todo:
            server = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        for r in todo:
            r.result, r.detail = "failed", _smtp_error(exc)
        todo = []
    try:
        for r in todo:
            assert server is not None
            try:
                refused = server.send_message(compose(campaign, r, now, settings.sender))
            except (OSError, smtplib.SMTPException) as exc:
                r.result, r.detail = "failed", _smtp_error(exc)
                continue
            if refused:
                r.result = "failed"
                r.detail = i18n.t(
                    "mail.detail.partly_refused",
                    refused="; ".join(
                        f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in refused.items()
                    ),
                )
            else:
                r.result = "sent"
    finally:
        if server is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                server.quit()
    for r in outcome.reminders:
        if r.result in ("sent", "failed"):
            _record(engine, campaign.id, r, trigger, stamp)
    return outcome


def scheduled_now(campaign: Campaign, now: datetime, window: timedelta = DAY) -> list[Form]:
    """Forms with a reminder point of the campaign's schedule in the last `window`: points
    are each form's due minus every `before` and plus every `after`."""
    spec = campaign.reminders
    if spec is None:
        return []
    found = []
    for form in open_forms(campaign, now):
        points = [form.due - d for d in spec.before] + [form.due + d for d in spec.after]
        if any(p <= now < p + window for p in points):
            found.append(form)
    return found


def link_maker(campaign: Campaign, store: Any, base_url: str) -> Callable[[Unit], str]:
    """Each unit's link: its signed upload page (offline mode) or its spreadsheet (Google)."""
    from .stores.capabilities import AcceptsUploads

    if not isinstance(store, AcceptsUploads):  # units fill in their spreadsheets
        return lambda unit: str(store.location(unit))
    from .links import campaign_secret, default_expiry, make_link

    secret = campaign_secret(campaign.base_dir)
    until = max(default_expiry(campaign), datetime.now(campaign.tz) + 7 * DAY)
    base = base_url.rstrip("/")
    return lambda unit: make_link(campaign, secret, unit, until).url(base)


def statuses_from_records(recorded: Mapping[tuple[str, str], Any]) -> dict[tuple[str, str], Status]:
    """Statuses from the service's recorded checks (`sync.audit.records.campaign_statuses`:
    objects with `state` and `errors`)."""
    return {key: Status(str(r.state), int(r.errors)) for key, r in recorded.items()}


def base_url_from_env() -> str:
    return os.environ.get("THIDUA_BASE_URL", "http://127.0.0.1:8000")
