"""`min_rows`: rows ≥ a value or the quota → `below_minimum` (also for units with 0 rows)."""

from __future__ import annotations

from typing import ClassVar, Literal

from . import messages as M
from .base import CountSpec, FindingParts, FormContext
from .max_rows import limit
from .registry import RuleKind, register


class MinRowsRule(CountSpec):
    kind: Literal["min_rows"]

    placeholders: ClassVar[frozenset[str]] = frozenset({"count", "limit", "missing", "noun"})


def check(ctx: FormContext, rule: MinRowsRule) -> FindingParts:
    items = []
    noun = M.text(ctx.lang, "noun")
    for unit in ctx.units:
        count = ctx.counts[unit]
        need = limit(ctx, rule, unit)
        if need is None or count >= need:
            continue
        kw = {"count": count, "limit": need, "missing": need - count, "noun": noun}
        default = M.text(ctx.lang, "below_minimum", **kw)
        items.append(
            {
                "unit": unit,
                "code": "below_minimum",
                "severity": rule.severity,
                "message": M.custom(rule.message, default, **kw),
                "value": count,
            }
        )
    return [ctx.unit_findings(items)] if items else []


register(
    RuleKind(
        spec=MinRowsRule, check=check, codes=("below_minimum",), messages=("below_minimum", "noun")
    )
)
