"""Units' last read sheets in the audit database, shared by every worker of the service.

An event names one unit, but uniqueness is campaign-wide: a validation needs every other
unit's rows too. They come from here instead of costing one read each, whichever worker
(thread, process, machine) read them last, so a duplicate across units is seen at once and
a new worker starts warm. Each process keeps what it loaded and fetches a frame again only
when its `version` moved. Frames are pickled: the database is the service's own.
"""

from __future__ import annotations

import pickle
import threading
import time
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Table, select, update

from .audit.models import UnitFrame

if TYPE_CHECKING:
    from .campaign import Unit
    from .stores.base import UnitSheets


@dataclass(frozen=True)
class Held:
    """A frame as held: the sheets, the Drive revision it is known current at (None: not
    known), and when it was read (UNIX seconds)."""

    sheets: UnitSheets
    marker: str | None
    read_at: float
    version: int


def _table() -> Table:
    table = UnitFrame.__table__
    assert isinstance(table, Table)
    return table


def _pack(sheets: UnitSheets) -> bytes:
    return zlib.compress(pickle.dumps(sheets, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpack(payload: bytes) -> UnitSheets:
    found: UnitSheets = pickle.loads(zlib.decompress(payload))
    return found


class SharedSheetCache:
    """The `SheetCache` of the service, kept in the `unit_frames` table."""

    def __init__(self, engine: Engine, campaign_id: str) -> None:
        self.engine = engine
        self.campaign = campaign_id
        self._local: dict[str, Held] = {}
        self._lock = threading.Lock()
        self._fill = threading.Lock()

    def _refresh(self, units: Collection[str] | None) -> None:
        """Bring this process's copies of `units` (None: all) up to the shared versions."""
        table = _table()
        where = table.c.campaign == self.campaign
        if units is not None:
            where = where & table.c.unit.in_(list(units))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table.c.unit, table.c.version, table.c.marker, table.c.read_at).where(where)
            ).all()
            with self._lock:
                stale = [
                    r.unit
                    for r in rows
                    if (h := self._local.get(r.unit)) is None or h.version != r.version
                ]
                for r in rows:
                    held = self._local.get(r.unit)
                    if held is not None and held.version == r.version:
                        self._local[r.unit] = Held(held.sheets, r.marker, r.read_at, r.version)
            if not stale:
                return
            loaded = conn.execute(
                select(
                    table.c.unit, table.c.version, table.c.marker, table.c.read_at, table.c.payload
                ).where((table.c.campaign == self.campaign) & table.c.unit.in_(stale))
            ).all()
        with self._lock:
            for got in loaded:
                self._local[got.unit] = Held(
                    _unpack(got.payload), got.marker, got.read_at, got.version
                )

    def get(self, unit_id: str) -> UnitSheets | None:
        held = self.held(unit_id)
        return held.sheets if held is not None else None

    def held(self, unit_id: str) -> Held | None:
        self._refresh([unit_id])
        with self._lock:
            return self._local.get(unit_id)

    def put(
        self,
        sheets: dict[str, UnitSheets],
        markers: dict[str, str | None] | None = None,
        read_at: float | None = None,
    ) -> None:
        """Store freshly read sheets (with the revision they are known current at)."""
        if not sheets:
            return
        stamp = time.time() if read_at is None else read_at
        markers = markers or {}
        table = _table()
        rows = [
            {
                "campaign": self.campaign,
                "unit": unit_id,
                "version": 1,
                "marker": markers.get(unit_id),
                "read_at": stamp,
                "payload": _pack(found),
            }
            for unit_id, found in sheets.items()
        ]
        with self.engine.begin() as conn:
            insert: Any
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            stmt = insert(table)
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.campaign, table.c.unit],
                set_={
                    "version": table.c.version + 1,
                    "marker": stmt.excluded.marker,
                    "read_at": stmt.excluded.read_at,
                    "payload": stmt.excluded.payload,
                },
            )
            conn.execute(stmt, rows)
        self._refresh(list(sheets))

    def confirm(self, unit_id: str, marker: str | None) -> None:
        """The held frame is current at Drive revision `marker` (no read needed)."""
        table = _table()
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where((table.c.campaign == self.campaign) & (table.c.unit == unit_id))
                .values(marker=marker)
            )
        with self._lock:
            held = self._local.get(unit_id)
            if held is not None:
                self._local[unit_id] = Held(held.sheets, marker, held.read_at, held.version)

    def fill(
        self, units: list[Unit], read: Callable[[list[Unit]], dict[str, UnitSheets]]
    ) -> dict[str, UnitSheets]:
        """The held sheets of `units`, reading the ones no worker holds yet."""
        with self._fill:
            self._refresh([u.id for u in units])
            with self._lock:
                missing = [u for u in units if u.id not in self._local]
            if missing:
                self.put(read(missing))
        with self._lock:
            return {u.id: self._local[u.id].sheets for u in units if u.id in self._local}

    def __len__(self) -> int:
        with self._lock:
            return len(self._local)
