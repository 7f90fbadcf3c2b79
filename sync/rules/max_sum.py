"""`max_sum`: the sum of a numeric column per unit ≤ the quota or `value` → `quota_exceeded`.

Unit-level finding (row and column None); invalid or empty cells count as 0.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from ..normalize import OK
from . import messages as M
from .base import CountSpec, FindingParts, FormContext
from .registry import RuleKind, register


class MaxSumRule(CountSpec):
    kind: Literal["max_sum"]
    column: str

    placeholders: ClassVar[frozenset[str]] = frozenset({"header", "count", "limit", "excess"})

    def reads(self) -> set[str]:
        return {self.column}


def sums(ctx: FormContext, rule: MaxSumRule) -> np.ndarray:
    """Sum of the column per evaluated unit, aligned with `ctx.units`."""
    col = ctx.columns.get(rule.column)
    if col is None or ctx.size == 0:
        return np.zeros(len(ctx.units))
    numbers = np.array(
        [
            float(v) if s == OK and isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0
            for v, s in zip(col.unique_values, col.unique_status, strict=True)
        ]
    )
    per_row = numbers[col.codes]
    sel = ctx.unit_codes >= 0
    return np.bincount(ctx.unit_codes[sel], weights=per_row[sel], minlength=len(ctx.units))


def check(ctx: FormContext, rule: MaxSumRule) -> FindingParts:
    items = []
    lang = ctx.lang
    header = ctx.header(rule.column)
    totals = sums(ctx, rule)
    for i, unit in enumerate(ctx.units):
        cap = ctx.quota(unit) if rule.quota else rule.value
        total = float(totals[i])
        if ctx.counts[unit] == 0 or cap is None or total <= cap + 1e-9:
            continue
        kw = {
            "header": header,
            "count": M.fmt_number(total, lang),
            "limit": cap,
            "excess": M.fmt_number(total - cap, lang),
        }
        default = M.text(lang, "quota_exceeded.sum", **kw)
        items.append(
            {
                "unit": unit,
                "code": "quota_exceeded",
                "severity": rule.severity,
                "message": M.custom(rule.message, default, **kw),
                "value": int(total) if total.is_integer() else total,
            }
        )
    return [ctx.unit_findings(items)] if items else []


register(
    RuleKind(
        spec=MaxSumRule, check=check, codes=("quota_exceeded",), messages=("quota_exceeded.sum",)
    )
)
