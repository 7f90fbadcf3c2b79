"""The sheet-store interface: where unit sheets and the consolidated output live.

Stores only move data: they read a unit's forms into DataFrames (raw cell values plus the
sheet row numbers), write feedback prepared by `sync.feedback`, and write the consolidated
tables prepared by `sync.consolidate`. They never validate.

See docs/design.md, Stores.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..rules.findings import Finding

if TYPE_CHECKING:
    from ..campaign import Campaign, Unit
    from ..consolidate import Consolidated
    from ..feedback import UnitFeedback

ROW = "_row"
"""Column of a read frame holding the sheet row number the user sees."""


@dataclass
class FormSheet:
    """One form's tab as read: data rows (raw values) and structural findings."""

    form_id: str
    frame: pd.DataFrame
    """Columns: `_row` (sheet row number) then the form's column keys; blank rows dropped."""
    findings: list[Finding] = field(default_factory=list)
    """Structure problems: `missing_tab`, `header_mismatch`, `too_many_rows`."""
    status: dict[int, str] = field(default_factory=dict)
    """The feedback status column as it is now (row → text), to skip unchanged writes."""


@dataclass
class UnitSheets:
    """All forms of one unit, read in one go."""

    unit_id: str
    forms: dict[str, FormSheet]
    revision: str | None = None
    problem: Finding | None = None
    """Set when the whole spreadsheet/workbook could not be read (the other units go on)."""


@dataclass(frozen=True)
class Revision:
    """Where a unit's sheet stands now: a marker that changes with every change, and
    whether the last change was the service's own write (its feedback)."""

    marker: str | None
    ours: bool = False
    at: float | None = None
    """When the last change happened (UNIX seconds), when the store knows."""


@dataclass
class ProvisionReport:
    """What provisioning did for one unit."""

    unit_id: str
    location: str
    created: bool = False
    actions: list[str] = field(default_factory=list)
    """Human-readable (Vietnamese) lines: tabs added, columns added, nothing to do…"""


Progress = Callable[[str], None]


class Store(ABC):
    """Where a campaign's unit sheets and consolidated output live.

    What only some stores can do (uploads, change signals, spreadsheet ids, xlsx export,
    locking forms) are the protocols of `sync.stores.capabilities`, asked for with
    `capability(store, …)`.
    """

    kind: str = "abstract"
    concurrency: int = 1
    """How many reads or feedback writes a pass may have in flight at once (remote stores
    wait on the network; local files gain nothing from threads)."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign

    @abstractmethod
    def provision(self, unit: Unit) -> ProvisionReport:
        """Create or adopt the unit's spreadsheet; add what is missing, never touch data."""

    @abstractmethod
    def read_unit(self, unit: Unit) -> UnitSheets:
        """Read every form of the unit (one call on remote stores)."""

    @abstractmethod
    def write_feedback(self, unit: Unit, feedback: UnitFeedback) -> bool:
        """Write status, notes, colours and the `Kiểm tra` tab. False when nothing changed."""

    @abstractmethod
    def write_consolidated(self, consolidated: Consolidated) -> str:
        """Write the consolidated tabs; returns where (path or URL)."""

    @abstractmethod
    def read_consolidated(self) -> dict[str, list[list[Any]]]:
        """The consolidated tabs as rows of values (tab name → rows incl. header)."""

    @abstractmethod
    def revision(self, unit: Unit) -> str | None:
        """A marker that changes whenever the unit's sheet changes (mtime, modifiedTime)."""

    def capacity(self) -> int | None:
        """How many units a pass could read and write back now without waiting for the
        API quota (None: no limit). The service claims no more validations than this."""
        return None

    def revisions(self, units: Sequence[Unit]) -> dict[str, Revision]:
        """Every unit's revision (remote stores: in one call for all units)."""
        return {u.id: Revision(self.revision(u)) for u in units}

    def location(self, unit: Unit) -> str:
        """Where the unit's sheet is (path or URL), for messages."""
        return unit.id

    def put_rows(
        self,
        unit_id: str,
        form_id: str,
        rows: Sequence[Mapping[str, Any] | Sequence[Any] | None],
        start_row: int | None = None,
    ) -> None:
        """Simulate a unit typing rows below the header (demo and tests)."""
        raise NotImplementedError(f"{self.kind} store cannot type rows for a unit")
