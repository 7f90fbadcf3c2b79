"""Sheet stores (DESIGN §4): `open_store` picks the campaign's backend."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

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
            raise ConfigError(
                "Kho Google Sheets (backend.kind: google) chưa dùng được trong bản cài đặt này "
                f"({exc}): hãy dùng backend.kind: local hoặc cài bản có hỗ trợ Google."
            ) from None
        store_cls = getattr(module, "GoogleStore", None)
        if store_cls is None:
            raise ConfigError(
                "Kho Google Sheets chưa sẵn sàng (thiếu GoogleStore): hãy dùng backend.kind: local."
            )
        store: Store = store_cls(campaign)
        return store
    raise ConfigError(f"backend.kind '{kind}' không hợp lệ: chọn một trong {', '.join(KINDS)}.")
