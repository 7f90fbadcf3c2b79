"""The rules engine (vectorised pandas): one module per rule kind, `validate` in `engine`.

Importing this package registers the built-in rule kinds (each module calls
`registry.register`); `sync/__init__.py` imports it so that every campaign file is read
with them known. A new rule kind is one more module listed here (docs/rule-kinds.md).
"""

from __future__ import annotations

from . import (  # noqa: F401  (built-in rule kinds register themselves)
    compare,
    covers,
    max_ratio,
    max_rows,
    max_sum,
    min_rows,
    registered_in,
    required_if,
    shares,
    unique,
)
from .engine import FormResult, UnitSummary, UnitTimes, ValidationResult, validate
from .findings import FINDING_COLUMNS, Finding, Report
from .registry import KINDS, RuleKind, register

__all__ = [
    "FINDING_COLUMNS",
    "KINDS",
    "Finding",
    "FormResult",
    "Report",
    "RuleKind",
    "UnitSummary",
    "UnitTimes",
    "ValidationResult",
    "register",
    "validate",
]
