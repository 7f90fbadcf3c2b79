"""Audit database tables (SQLAlchemy 2.0): events, jobs, snapshots, findings, submissions…

Times are stored as UNIX seconds (float): comparable and indexable the same way on SQLite
and PostgreSQL, and cheap to write on the intake path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the audit tables."""


class Event(Base):
    """A change signal received (Apps Script, Drive, API); a hint, never data."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20))  # sheets | drive | api | cli
    spreadsheet: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # edit | change | check | submit | drive
    form: Mapped[str | None] = mapped_column(String(60), nullable=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|queued|done
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    processed_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (Index("ix_events_status_unit", "status", "unit", "id"),)


class Job(Base):
    """A unit of work: validate a unit, consolidate, or submit a unit's form."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # validate | consolidate | submit
    unit: Mapped[str] = mapped_column(String(40))  # '*' for consolidation
    form: Mapped[str | None] = mapped_column(String(60), nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    due_at: Mapped[float] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(80), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_jobs_status_due", "status", "due_at"),)


class Lock(Base):
    """A named lease (one per spreadsheet): never two jobs for one spreadsheet at once."""

    __tablename__ = "locks"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lease_until: Mapped[float] = mapped_column(Float, default=0.0)


class FormStateRow(Base):
    """What is known of one (unit, form): `sync.form_state.FormState` plus the last check."""

    __tablename__ = "form_states"
    campaign: Mapped[str] = mapped_column(String(100), primary_key=True)
    unit: Mapped[str] = mapped_column(String(40), primary_key=True)
    form: Mapped[str] = mapped_column(String(60), primary_key=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    first_entry_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_change_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    first_valid_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    submitted_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    submitted_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_submitted_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    valid_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Content hash of the last state seen valid before the unit's lock (implicit forms)."""
    valid_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    submission_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    findings_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    findings_run: Mapped[str | None] = mapped_column(String(40), nullable=True)
    checked_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Snapshot(Base):
    """A distinct content of a unit's form, as read (deduplicated by content hash)."""

    __tablename__ = "snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(60))
    content_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[list[Any]] = mapped_column(JSON)
    row_numbers: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    first_seen_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("campaign", "unit", "form", "content_hash", name="uq_snapshot"),
    )


class FindingRow(Base):
    """One finding of one check run (a run is stored only when its findings changed)."""

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    run: Mapped[str] = mapped_column(String(40))
    snapshot_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(60))
    row: Mapped[int | None] = mapped_column(Integer, nullable=True)
    column: Mapped[str | None] = mapped_column(String(60), nullable=True)
    code: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    checked_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_findings_run", "campaign", "unit", "form", "run"),)


class Submission(Base):
    """An explicit submission: the official snapshot of a unit's form."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(60))
    submitted_at: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    on_time: Mapped[bool] = mapped_column()
    rows: Mapped[int] = mapped_column(Integer)
    snapshot_id: Mapped[int] = mapped_column(Integer)


class Channel(Base):
    """A Drive push-notification channel (`files.watch`) for one unit's spreadsheet."""

    __tablename__ = "channels"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(40))
    spreadsheet: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(200))
    resource_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)


class User(Base):
    """An organiser account of the dashboard (`thidua user add`); password hashed with argon2."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    username: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Float)
    last_login_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)  # bumped: sessions end
    role: Mapped[str] = mapped_column(String(20), default="organiser", server_default="organiser")
    """organiser (reviews, extends, manages) | leader (reads everything, changes nothing)."""

    __table_args__ = (UniqueConstraint("campaign", "username", name="uq_user"),)


class Upload(Base):
    """A workbook uploaded by a unit on its upload page (offline mode), kept as uploaded."""

    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(40))
    uploaded_at: Mapped[float] = mapped_column(Float)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    accepted: Mapped[bool] = mapped_column()
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # counts per form

    __table_args__ = (Index("ix_uploads_unit", "campaign", "unit", "id"),)


class Reminder(Base):
    """An e-mail reminder to a unit's editors (`thidua remind`, the dashboard, the schedule):
    sent or failed, never lost."""

    __tablename__ = "reminders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(20))  # not_submitted | errors | returned
    state: Mapped[str] = mapped_column(String(30))
    errors: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    trigger: Mapped[str] = mapped_column(String(12))  # cli | dashboard | schedule
    sent_at: Mapped[float] = mapped_column(Float)  # the campaign clock (pinned under --now)
    status: Mapped[str] = mapped_column(String(10))  # sent | failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_reminders_unit", "campaign", "unit", "form", "sent_at"),)


class Review(Base):
    """An organiser's decision on a unit's submission: approved, or returned with a reason."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(60))
    decision: Mapped[str] = mapped_column(String(12))  # approved | returned
    reason: Mapped[str] = mapped_column(Text, default="")
    until: Mapped[str | None] = mapped_column(String(40), nullable=True)  # returned: open until
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[str] = mapped_column(String(40))
    submission_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    """How many submissions the unit had made when reviewed (a later one ends a return)."""

    __table_args__ = (Index("ix_reviews_unit", "campaign", "unit", "form", "id"),)


class Extension(Base):
    """A later deadline for one unit's form, granted by an organiser."""

    __tablename__ = "extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(60))
    until: Mapped[str] = mapped_column(String(40))
    by: Mapped[str] = mapped_column(String(80))
    at: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_extensions_unit", "campaign", "unit", "form", "id"),)


class Claim(Base):
    """When a key of a campaign-wide `unique` rule was first seen in a unit's form, and
    whether it is in that unit's official (submitted) snapshot: who owns a duplicate."""

    __tablename__ = "claims"
    campaign: Mapped[str] = mapped_column(String(100), primary_key=True)
    form: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the key
    unit: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_seen_at: Mapped[float] = mapped_column(Float)
    submitted: Mapped[bool] = mapped_column(default=False)


class GoogleBudgetRow(Base):
    """One Sheets quota bucket (`<account or project>:<read|write>`): the times of the
    requests of the last minute, and reservations ahead (JSON list of UNIX seconds)."""

    __tablename__ = "google_budget"
    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    stamps: Mapped[str] = mapped_column(Text, default="[]")


class UnitFrame(Base):
    """A unit's last read sheets, shared by every worker: `payload` is the pickled,
    compressed `UnitSheets`; `version` grows with each read; `marker` is the Drive
    `modifiedTime` the frame is known to be current at (None: not known yet)."""

    __tablename__ = "unit_frames"
    campaign: Mapped[str] = mapped_column(String(100), primary_key=True)
    unit: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    marker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    read_at: Mapped[float] = mapped_column(Float)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
