"""Feedback for a unit's own sheet, built from findings (DESIGN §5, issue 3 §4).

This module decides *what* to show; stores decide *how* to write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUMMARY_TAB = "Kiểm tra"
GUIDE_TAB = "Hướng dẫn"
OK_STATUS = "✓ Hợp lệ"


@dataclass(frozen=True)
class CellNote:
    """A note on one wrong cell (row = sheet row, column = column key)."""

    row: int
    column: str
    severity: str
    text: str


@dataclass(frozen=True)
class RowStatus:
    """The status-column text of one data row and its severity (None when valid)."""

    text: str
    severity: str | None = None


@dataclass
class FormFeedback:
    """Everything written into one form's tab."""

    form_id: str
    status: dict[int, RowStatus] = field(default_factory=dict)
    notes: list[CellNote] = field(default_factory=list)


@dataclass
class UnitFeedback:
    """Everything written into one unit's spreadsheet."""

    unit_id: str
    forms: dict[str, FormFeedback] = field(default_factory=dict)
    summary: list[list[Any]] = field(default_factory=list)
    """Rows of the `Kiểm tra` tab, header block included."""
