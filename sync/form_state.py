"""What is known of each (unit, form) over time, and the `States` it is kept in.

`FormState` holds the content hash, the change/valid/submission times and the official
snapshot; `FormCheck` is what one check run found for a (unit, form). `States` is the
protocol the use-case layer (`sync.operations`) works over; the audit database
(`sync.audit.AuditStates`) implements it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pandas as pd


def content_hash(frame: pd.DataFrame, keys: list[str]) -> str:
    """A stable hash of a form's rows (values as text, row numbers excluded)."""
    digest = hashlib.sha256()
    for record in frame_rows(frame, keys):
        digest.update(json.dumps(record, ensure_ascii=False, default=str).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def frame_rows(frame: pd.DataFrame, keys: list[str]) -> list[list[Any]]:
    """Rows as JSON-friendly lists in `keys` order (missing → None)."""
    out = []
    cols = [frame[k] if k in frame.columns else pd.Series([None] * len(frame)) for k in keys]
    for values in zip(*cols, strict=True) if cols else []:
        out.append([_json_value(v) for v in values])
    return out


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


@dataclass
class FormState:
    """What is known of one unit's form over time."""

    content_hash: str | None = None
    rows: int = 0
    first_entry_at: str | None = None
    last_change_at: str | None = None
    first_valid_at: str | None = None
    submitted_at: str | None = None
    submitted_hash: str | None = None
    first_submitted_at: str | None = None
    """The first submission decides timeliness; later ones are corrections (*bổ sung*)."""
    valid_hash: str | None = None
    """Content hash of the last state seen valid before the unit's lock (implicit forms)."""
    valid_at: str | None = None
    snapshot: list[list[Any]] | None = None
    """Official snapshot rows (form keys order) frozen on submission."""
    snapshot_rows: list[int] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def _dt(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    @property
    def last_change(self) -> datetime | None:
        return self._dt(self.last_change_at)

    @property
    def submitted(self) -> datetime | None:
        return self._dt(self.submitted_at)

    @property
    def first_submitted(self) -> datetime | None:
        return self._dt(self.first_submitted_at or self.submitted_at)

    @property
    def changed_since_submit(self) -> bool:
        """The live sheet differs from the official snapshot."""
        return self.submitted_hash is not None and self.content_hash != self.submitted_hash


@dataclass(frozen=True)
class FormCheck:
    """What one check run read and found for one (unit, form), as the audit keeps it."""

    unit: str
    form: str
    content_hash: str | None
    """Hash of the rows read (None when the sheet could not be read)."""
    rows: list[list[Any]]
    """The rows as they would be frozen on submission (form keys order)."""
    row_numbers: list[int]
    findings: list[dict[str, Any]]
    """row, column, code, severity, message, value of each finding."""
    summary: dict[str, Any] | None
    """quota, rows, valid_rows, errors, warnings, state, shares (None: not validated)."""


ClaimMap = dict[str, dict[str, dict[str, tuple[float, bool]]]]
"""form → key → unit → (first seen, in the unit's submitted snapshot)"""


class States(Protocol):
    """Per (unit, form) states plus the record of checks: what the operations need."""

    reviews: dict[tuple[str, str], dict[str, Any]]
    """(unit, form) → the last review {decision, reason, until, by, at}."""
    extensions: dict[tuple[str, str], str]
    """(unit, form) → the ISO time the last extension makes it due."""

    def get(self, unit: str, form: str) -> FormState: ...

    def add_review(self, unit: str, form: str, review: dict[str, Any]) -> None:
        """Record an organiser's review of the unit's form, durably."""
        ...

    def add_extension(self, unit: str, form: str, until: str, by: str, at: str) -> None:
        """Record an extension of the unit's form until `until`, durably."""
        ...

    def claims(self) -> ClaimMap:
        """When each campaign-wide unique key was first seen per unit, and whether it is in
        that unit's submitted snapshot."""
        ...

    def save_claims(
        self,
        new: list[tuple[str, str, str, float]],
        submitted: list[tuple[str, str, set[str]]] | None = None,
    ) -> None:
        """Keep new claims (form, key, unit, first seen) and, per (form, unit), the keys of
        its submitted snapshot."""
        ...

    def snapshot_of(
        self, unit: str, form: str, digest: str | None
    ) -> tuple[list[list[Any]], list[int] | None] | None:
        """Rows and row numbers of a content the unit once had (None: unknown)."""
        ...

    def observe(
        self, unit: str, form: str, digest: str, rows: int, valid: bool, now: datetime
    ) -> FormState:
        """Record what was read; timestamps move only when the content changed."""
        ...

    def submit(
        self,
        unit: str,
        form: str,
        digest: str,
        snapshot: list[list[Any]],
        rows: list[int],
        now: datetime,
        on_time: bool | None = None,
    ) -> FormState:
        """Freeze `snapshot` as the official rows of (unit, form), durably; `on_time` is
        the timeliness of the unit's first submission (a correction keeps it)."""
        ...

    def save(self) -> None:
        """Keep the states that changed."""
        ...

    def record(self, checks: list[FormCheck], run_id: str, now: datetime) -> None:
        """Keep what a check run found (snapshots, changed findings, summaries)."""
        ...

    def mark_submitted(self, unit: str, form: str, late: bool) -> None:
        """After a submission the recorded summary's state is the submission's."""
        ...
