"""What some stores can do beyond the `Store` interface, asked for instead of checking
`backend.kind`: `isinstance(store, AcceptsUploads)` (runtime-checkable protocols; mypy
narrows the store to the capability).

- `AcceptsUploads`: units fill a workbook file offline and upload it (local folder).
- `WatchesChanges`: the store tells when a unit's sheet changed (Drive push channels or a
  polled change list) instead of waiting for the next check.
- `KnowsSpreadsheetIds`: units' sheets have ids of their own (events name a spreadsheet id).
- `ExportsXlsx`: the consolidated tables can be downloaded as one `.xlsx` workbook.
- `LocksForms`: a form's data range can be protected after its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..campaign import Unit
    from ..consolidate import Consolidated


@runtime_checkable
class AcceptsUploads(Protocol):
    """Unit workbooks are files the service may replace with an uploaded one."""

    def workbook_path(self, unit: Unit) -> Path:
        """Where the unit's workbook file is (it may not exist yet)."""
        ...


@dataclass
class WatchReport:
    """What one start/renew/stop of change channels did (unit ids)."""

    created: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """A unit's sheet that changed (from a polled change list)."""

    unit: str
    spreadsheet: str
    modified: str


class ChangeChannels(Protocol):
    """Push channels (one per unit sheet) kept in the audit database."""

    def start(self, base_url: str | None, ttl: float = ...) -> WatchReport: ...

    def renew(self, ttl: float = ..., margin: float = ...) -> WatchReport: ...

    def stop(self) -> WatchReport: ...


@runtime_checkable
class WatchesChanges(Protocol):
    """The store signals changed sheets: push channels and a polled change list."""

    def change_channels(self, engine: Engine) -> ChangeChannels: ...

    def changes_since(self, since: str) -> tuple[list[Change], str]:
        """Sheets changed after `since` (an RFC 3339 time) and the newest change time."""
        ...

    def poll_since(self, default: float) -> str:
        """Where the last poll stopped (`default`, a POSIX time, the first time)."""
        ...

    def save_poll_since(self, since: str) -> None: ...


@runtime_checkable
class KnowsSpreadsheetIds(Protocol):
    """Units' sheets are spreadsheets with ids (configured or recorded at provisioning)."""

    def spreadsheet_ids(self) -> dict[str, str]:
        """unit id → spreadsheet id, as known now (provisioning may run elsewhere)."""
        ...


@runtime_checkable
class ExportsXlsx(Protocol):
    """The consolidated tables as one `.xlsx` workbook (dashboard download, `--out`)."""

    def export_xlsx(self, consolidated: Consolidated, target: Path) -> None: ...


@runtime_checkable
class LocksForms(Protocol):
    """Protect a form's data range after the deadline so units can no longer edit it."""

    def lock(self, unit: Unit, form_id: str) -> None:
        """Idempotent: locking a locked form changes nothing."""
        ...

    def unlock(self, unit: Unit, form_id: str) -> None:
        """Lift the lock again (a return for correction, an extension); idempotent."""
        ...
