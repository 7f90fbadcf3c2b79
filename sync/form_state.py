"""Submission state per (unit, form): timestamps, content hashes, official snapshots.

Until the audit database arrives (service issue) this lives in one JSON file next to the
campaign file: `.thidua/state.json`. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import StoreError


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


class StateFile:
    """`.thidua/state.json` beside the campaign file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, dict[str, FormState]] = {}
        self._load()

    @classmethod
    def for_campaign(cls, campaign_dir: Path) -> StateFile:
        return cls(campaign_dir / ".thidua" / "state.json")

    def _load(self) -> None:
        if not self.path.is_file():
            return
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"Tệp trạng thái {self.path} bị hỏng hoặc không đọc được: {exc}"
            ) from exc
        for key, forms in raw.get("units", {}).items():
            self._data[key] = {f: FormState(**s) for f, s in forms.items()}

    def get(self, unit: str, form: str) -> FormState:
        return self._data.setdefault(unit, {}).setdefault(form, FormState())

    def observe(
        self, unit: str, form: str, digest: str, rows: int, valid: bool, now: datetime
    ) -> FormState:
        """Record what was read; timestamps move only when the content changed."""
        state = self.get(unit, form)
        stamp = now.isoformat()
        if state.content_hash != digest:
            if state.content_hash is not None or rows:
                state.last_change_at = stamp
            state.content_hash = digest
            state.rows = rows
            if rows and state.first_entry_at is None:
                state.first_entry_at = stamp
        if valid and rows and state.first_valid_at is None:
            state.first_valid_at = stamp
        return state

    def submit(
        self,
        unit: str,
        form: str,
        digest: str,
        snapshot: list[list[Any]],
        rows: list[int],
        now: datetime,
    ) -> FormState:
        state = self.get(unit, form)
        state.submitted_at = now.isoformat()
        state.submitted_hash = digest
        state.snapshot = snapshot
        state.snapshot_rows = rows
        state.history.append(
            {"submitted_at": state.submitted_at, "hash": digest, "rows": len(rows)}
        )
        return state

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "version": 1,
            "units": {
                u: {f: asdict(s) for f, s in forms.items()} for u, forms in self._data.items()
            },
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, ensure_ascii=False, indent=1)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise StoreError(f"Không ghi được tệp trạng thái {self.path}: {exc.strerror}") from exc
