"""Consolidated output (DESIGN §8): tables built here, written by a store."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SUMMARY_TAB = "Tổng hợp"
FIX_TAB = "Cần sửa"


@dataclass
class Consolidated:
    """Tabs in order: `Tổng hợp`, one per form (named after its tab), `Cần sửa`."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    total_rows: dict[str, list[int]] = field(default_factory=dict)
    """Per tab, the 0-based data-row indexes that are totals (styled bold by stores)."""
