"""Sheet stores (docs/design.md): `open_store` picks the campaign's backend from `KINDS`.

Adding a store = its package (a `Store` subclass plus the capabilities it has, see
`capabilities`), one `register(...)` line below, and its driver in
`tests/test_store_contract.py` (`DRIVERS`), which runs the store contract against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .base import ROW, FormSheet, ProvisionReport, Store, UnitSheets

if TYPE_CHECKING:
    from ..campaign import Campaign


@dataclass(frozen=True)
class StoreKind:
    """A kind of store: where its class is (imported only when a campaign uses it)."""

    name: str
    title: str
    """How messages name it (Vietnamese)."""
    module: str
    cls: str


KINDS: dict[str, StoreKind] = {}


def register(kind: StoreKind) -> None:
    KINDS[kind.name] = kind


register(StoreKind("local", "thư mục sổ Excel", "sync.stores.local", "LocalStore"))
register(StoreKind("memory", "bộ nhớ (kiểm thử)", "sync.stores.memory", "MemoryStore"))
register(StoreKind("google", "Google Sheets", "sync.stores.google", "GoogleStore"))

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
        raise ConfigError(f"backend.kind '{name}' không hợp lệ: chọn một trong {', '.join(KINDS)}.")
    try:
        module = import_module(found.module)
    except ImportError as exc:
        raise ConfigError(
            f"Kho {found.title} (backend.kind: {name}) chưa dùng được trong bản cài đặt này "
            f"({exc}): hãy dùng backend.kind: local hoặc cài bản có hỗ trợ kho này."
        ) from None
    store_cls = getattr(module, found.cls, None)
    if store_cls is None:
        raise ConfigError(
            f"Kho {found.title} chưa sẵn sàng (thiếu {found.cls}): hãy dùng backend.kind: local."
        )
    store: Store = store_cls(campaign)
    return store
