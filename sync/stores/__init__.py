"""Sheet stores (docs/design.md): `open_store` picks the campaign's backend from `KINDS`.

Adding a store = its package (a `Store` subclass plus the capabilities it has, see
`capabilities`), one `register(...)` line below, and its driver in
`tests/test_store_contract.py` (`DRIVERS`), which runs the store contract against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from .. import i18n
from ..campaign.loader import register_campaign_source
from ..campaign.workbook import Grid
from ..errors import ConfigError
from .base import ROW, FormSheet, ProvisionReport, Store, UnitSheets

if TYPE_CHECKING:
    from ..campaign import Campaign


@dataclass(frozen=True)
class StoreKind:
    """A kind of store: where its class is (imported only when a campaign uses it)."""

    name: str
    title: str
    """Message id of the name messages give it (`store.kind.<name>` in the catalogue)."""
    module: str
    cls: str


KINDS: dict[str, StoreKind] = {}


def register(kind: StoreKind) -> None:
    KINDS[kind.name] = kind


register(StoreKind("local", "store.kind.local", "sync.stores.local", "LocalStore"))
register(StoreKind("memory", "store.kind.memory", "sync.stores.memory", "MemoryStore"))
register(StoreKind("google", "store.kind.google", "sync.stores.google", "GoogleStore"))

GOOGLE_SHEET_REF = re.compile(
    r"^(https://docs\.google\.com/spreadsheets/d/[A-Za-z0-9_-]{20,}.*|[A-Za-z0-9_-]{25,})$"
)
"""A Google Sheets URL or a bare spreadsheet id: a campaign kept as a Google Sheet."""


def _read_google_campaign(ref: str) -> tuple[Grid, str]:
    """Read a campaign Google Sheet (the Google store is imported only when one is named)."""
    reader = import_module("sync.stores.google.campaign_sheet").read_campaign_sheet
    grid, shown = reader(ref)
    return grid, shown


register_campaign_source(
    lambda ref: bool(GOOGLE_SHEET_REF.match(ref.strip())), _read_google_campaign
)

__all__ = [
    "KINDS",
    "ROW",
    "FormSheet",
    "ProvisionReport",
    "Store",
    "StoreKind",
    "UnitSheets",
    "open_store",
    "register",
]


def open_store(campaign: Campaign, kind: str | None = None) -> Store:
    """The store for `kind` (default: the campaign's `backend.kind`)."""
    name = kind or campaign.backend.kind
    found = KINDS.get(name)
    if found is None:
        raise ConfigError(i18n.t("store.bad_kind", kind=name, kinds=", ".join(KINDS)))
    try:
        module = import_module(found.module)
    except ImportError as exc:
        raise ConfigError(
            i18n.t("store.unavailable", title=i18n.t(found.title), kind=name, exc=exc)
        ) from None
    store_cls = getattr(module, found.cls, None)
    if store_cls is None:
        raise ConfigError(i18n.t("store.not_ready", title=i18n.t(found.title), cls=found.cls))
    store: Store = store_cls(campaign)
    return store
