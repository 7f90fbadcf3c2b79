"""Change signals from Drive: push channels (`files.watch`) and the polling fallback.

Push channels: one per unit spreadsheet, stored in the audit database (`channels` table:
id, token, resource id, expiry) so `/hooks/drive` can check a notification's channel id
and token. Channels of files expire (Drive allows at most one day): `renew` opens the
replacement first, then stops the old one, so no notification window is lost.
The address (`<base-url>/hooks/drive`) is kept in `.thidua/google.json` (`watch.address`)
for the renewals.

Polling: ONE `files.list` per interval finds every unit spreadsheet modified since the
last poll. When every unit's spreadsheet was created by the store inside `folder_id`, the
query is `'<folder>' in parents and modifiedTime > … and trashed = false`. When some unit
uses an adopted spreadsheet (`units[].spreadsheet`, possibly outside the folder) or there
is no folder, the query is on the spreadsheet type instead
(`mimeType = '<spreadsheet>' and modifiedTime > …`): still one call, it covers adopted
files wherever they live, and files that are not unit spreadsheets are ignored.
The last `modifiedTime` seen (Google's clock, not ours) is kept in `.thidua/google.json`
(`poll.since`).
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, delete, insert, select

from ... import i18n
from ...audit.models import Channel
from ...errors import ConfigError, SheetNotFound, StoreError
from ..capabilities import Change, WatchReport
from .api import SPREADSHEET_MIME, Api

if TYPE_CHECKING:
    from ...campaign import Campaign, Unit
    from ...campaign.model import GoogleBackend
    from .registry import Registry


class DriveStore(Protocol):
    """What the channels and the poll need of the Google store (`GoogleStore`)."""

    campaign: Campaign
    backend: GoogleBackend
    api: Api
    registry: Registry

    def spreadsheet_id(self, unit: Unit) -> str | None: ...


log = logging.getLogger(__name__)

HOOK_PATH = "/hooks/drive"
DEFAULT_TTL = 24 * 3600.0
"""Channel lifetime asked of Drive (Drive caps file channels at one day)."""
DEFAULT_MARGIN = 3600.0
"""`renew` replaces channels that expire within this many seconds."""


@dataclass(frozen=True)
class ChannelRow:
    """A stored channel."""

    id: str
    unit: str
    spreadsheet: str
    token: str
    resource_id: str | None
    expires_at: float | None


class Channels:
    """Drive push channels of one campaign: Drive calls + rows in the audit database."""

    def __init__(
        self, store: DriveStore, engine: Engine, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.engine = engine
        self.campaign = store.campaign
        self.clock = clock

    # -- rows ----------------------------------------------------------------------------
    def rows(self) -> list[ChannelRow]:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(
                    Channel.id,
                    Channel.unit,
                    Channel.spreadsheet,
                    Channel.token,
                    Channel.resource_id,
                    Channel.expires_at,
                )
                .where(Channel.campaign == self.campaign.id)
                .order_by(Channel.unit, Channel.created_at)
            ).all()
        return [ChannelRow(*r) for r in found]

    @property
    def address(self) -> str | None:
        value = self.store.registry.data.get("watch", {}).get("address")
        return str(value) if value else None

    def _save_address(self, address: str) -> None:
        self.store.registry.data.setdefault("watch", {})["address"] = address
        self.store.registry.save()

    # -- Drive calls ---------------------------------------------------------------------
    def _open(self, unit: Unit, sid: str, address: str, ttl: float) -> None:
        now = self.clock()
        channel_id = uuid.uuid4().hex
        token = secrets.token_urlsafe(32)
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "expiration": str(int((now + ttl) * 1000)),
        }
        answer = self.store.api.watch(sid, body, i18n.t("google.what.watch", unit=unit.name))
        expires = int(answer.get("expiration") or body["expiration"]) / 1000.0
        with self.engine.begin() as conn:
            conn.execute(
                insert(Channel).values(
                    id=channel_id,
                    campaign=self.campaign.id,
                    unit=unit.id,
                    spreadsheet=sid,
                    token=token,
                    resource_id=answer.get("resourceId"),
                    expires_at=expires,
                    created_at=now,
                )
            )

    def _close(self, row: ChannelRow) -> None:
        """channels.stop then forget the row (a channel Drive no longer knows is gone)."""
        if row.resource_id:
            try:
                self.store.api.stop_channel(
                    row.id, row.resource_id, i18n.t("google.what.unwatch", unit=row.unit)
                )
            except SheetNotFound:
                log.info("channel %s already gone", row.id)
        with self.engine.begin() as conn:
            conn.execute(delete(Channel).where(Channel.id == row.id))

    # -- commands ------------------------------------------------------------------------
    def start(
        self, base_url: str | None = None, ttl: float = DEFAULT_TTL, margin: float = DEFAULT_MARGIN
    ) -> WatchReport:
        """One live channel per unit spreadsheet (units already watched are kept)."""
        if base_url:
            address = base_url.rstrip("/") + HOOK_PATH
            self._save_address(address)
        else:
            found = self.address
            if found is None:
                raise ConfigError(i18n.t("google.watch_needs_base_url"))
            address = found
        return self._ensure(address, ttl, margin)

    def renew(self, ttl: float = DEFAULT_TTL, margin: float = DEFAULT_MARGIN) -> WatchReport:
        """Replace channels expiring within `margin` seconds: new one first, then stop old."""
        address = self.address
        if address is None:
            return WatchReport()
        return self._ensure(address, ttl, margin, only_watched=True)

    def _ensure(
        self, address: str, ttl: float, margin: float, only_watched: bool = False
    ) -> WatchReport:
        report = WatchReport()
        rows = self.rows()
        limit = self.clock() + margin
        by_unit: dict[str, list[ChannelRow]] = {}
        for row in rows:
            by_unit.setdefault(row.unit, []).append(row)
        for unit in self.campaign.units:
            old = by_unit.pop(unit.id, [])
            if only_watched and not old:
                continue
            sid = self.store.spreadsheet_id(unit)
            if sid is None:
                report.failed[unit.id] = i18n.t("google.watch_no_spreadsheet")
                continue
            live = [r for r in old if r.spreadsheet == sid and (r.expires_at or 0) > limit]
            try:
                if live:
                    report.kept.append(unit.id)
                else:
                    self._open(unit, sid, address, ttl)
                    report.created.append(unit.id)
                for row in old:
                    if row not in live[:1]:
                        self._close(row)
            except StoreError as exc:
                log.warning("watch %s: %s", unit.id, exc)
                report.failed[unit.id] = str(exc)
        for unit_id, leftover in by_unit.items():  # units no longer in the campaign
            for row in leftover:
                try:
                    self._close(row)
                    report.stopped.append(unit_id)
                except StoreError as exc:
                    report.failed[unit_id] = str(exc)
        return report

    def stop(self) -> WatchReport:
        """Stop every channel of the campaign (end of the campaign)."""
        report = WatchReport()
        for row in self.rows():
            try:
                self._close(row)
                report.stopped.append(row.unit)
            except StoreError as exc:
                log.warning("stop channel %s: %s", row.id, exc)
                report.failed[row.unit] = str(exc)
        return report


# -- polling -------------------------------------------------------------------------------


def rfc3339(t: float) -> str:
    """Drive's time format, millisecond precision, UTC."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def poll_query(store: DriveStore, since: str) -> str:
    """The one files.list query (see the module docstring for the choice)."""
    folder = store.backend.folder_id
    adopted = any(u.spreadsheet for u in store.campaign.units)
    where = (
        f"'{folder}' in parents" if folder and not adopted else f"mimeType = '{SPREADSHEET_MIME}'"
    )
    return f"{where} and modifiedTime > '{since}' and trashed = false"


def poll_changes(store: DriveStore, since: str) -> tuple[list[Change], str]:
    """Unit spreadsheets modified after `since`; returns them and the next `since`."""
    ids: dict[str, str] = {}
    for unit in store.campaign.units:
        sid = store.spreadsheet_id(unit)
        if sid:
            ids[sid] = unit.id
    q = poll_query(store, since)
    changes: list[Change] = []
    newest = since
    token: str | None = None
    while True:
        page: dict[str, Any] = store.api.list_files(
            q, "nextPageToken,files(id,modifiedTime)", i18n.t("google.what.list_changes"), token
        )
        for file in page.get("files") or []:
            modified = str(file.get("modifiedTime") or "")
            newest = max(newest, modified)
            unit_id = ids.get(str(file.get("id")))
            if unit_id is not None:
                changes.append(Change(unit_id, str(file["id"]), modified))
        token = page.get("nextPageToken")
        if not token:
            return changes, newest


def poll_since(store: DriveStore, default: float) -> str:
    """The stored `poll.since`, else `default` (UNIX seconds)."""
    value = store.registry.data.get("poll", {}).get("since")
    return str(value) if value else rfc3339(default)


def save_poll_since(store: DriveStore, since: str) -> None:
    store.registry.data.setdefault("poll", {})["since"] = since
    store.registry.save()
