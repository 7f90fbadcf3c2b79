"""`.thidua/google.json` beside the campaign file: spreadsheet ids the store created/adopted.

{"units": {"<unit id>": {"id": "<spreadsheet id>", "shared": ["a@b.vn"]}},
 "consolidated": {"id": "<spreadsheet id>", "tabs": ["Tổng hợp", ...]}}
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from ... import i18n
from ...errors import StoreError

REGISTRY_NAME = "google.json"


class Registry:
    """A small JSON file, rewritten atomically on every change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.data: dict[str, Any] = {"units": {}, "consolidated": {}}
        if path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise StoreError(
                    i18n.t("google.registry_damaged", path=path, error=type(exc).__name__)
                ) from None
            if isinstance(loaded, dict):
                self.data.update(loaded)

    def unit(self, unit_id: str) -> dict[str, Any]:
        entry: dict[str, Any] = self.data["units"].setdefault(unit_id, {})
        return entry

    def unit_id(self, unit_id: str) -> str | None:
        value = self.data["units"].get(unit_id, {}).get("id")
        return str(value) if value else None

    @property
    def consolidated(self) -> dict[str, Any]:
        entry: dict[str, Any] = self.data.setdefault("consolidated", {})
        return entry

    def save(self) -> None:
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".google-", suffix=".tmp")
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(self.data, fh, ensure_ascii=False, indent=2, sort_keys=True)
                os.replace(tmp, self.path)
            except OSError as exc:
                raise StoreError(
                    i18n.t("google.registry_cannot_write", path=self.path, reason=exc.strerror)
                ) from None
