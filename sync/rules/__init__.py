"""The rules engine (vectorised pandas): one module per rule kind, `validate` in `engine`.

The engine API is exported lazily: `sync.campaign` imports `sync.rules.specs`, and the
engine imports `sync.campaign`, so an eager import here would be circular.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import FormResult as FormResult
    from .engine import UnitSummary as UnitSummary
    from .engine import UnitTimes as UnitTimes
    from .engine import ValidationResult as ValidationResult
    from .engine import validate as validate
    from .findings import FINDING_COLUMNS as FINDING_COLUMNS
    from .findings import Finding as Finding
    from .findings import Report as Report

_EXPORTS = {
    "FormResult": "engine",
    "UnitSummary": "engine",
    "UnitTimes": "engine",
    "ValidationResult": "engine",
    "validate": "engine",
    "FINDING_COLUMNS": "findings",
    "Finding": "findings",
    "Report": "findings",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sync.rules' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = sorted(_EXPORTS)
