"""Sheet stores (DESIGN §4): `open_store` picks the campaign's backend."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .. import i18n
from ..errors import ConfigError
from .base import ROW, FormSheet, ProvisionReport, Store, UnitSheets

if TYPE_CHECKING:
    from ..campaign import Campaign

KINDS = ("local", "google", "memory")

__all__ = ["KINDS", "ROW", "FormSheet", "ProvisionReport", "Store", "UnitSheets", "open_store"]


def open_store(campaign: Campaign, kind: str | None = None) -> Store:
    """The store for `kind` (default: the campaign's `backend.kind`)."""
    kind = kind or campaign.backend.kind
    if kind == "local":
        from .local import LocalStore

        return LocalStore(campaign)
    if kind == "memory":
        from .memory import MemoryStore

        return MemoryStore(campaign)
    if kind == "google":
        try:
            module = import_module(".google", __name__)
        except ImportError as exc:
            raise ConfigError(i18n.t("store.google_unavailable", exc=exc)) from None
        store_cls = getattr(module, "GoogleStore", None)
        if store_cls is None:
            raise ConfigError(i18n.t("store.google_not_ready"))
        store: Store = store_cls(campaign)
        return store
    raise ConfigError(i18n.t("store.bad_kind", kind=kind, kinds=", ".join(KINDS)))
