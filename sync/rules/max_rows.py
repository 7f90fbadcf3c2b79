"""`max_rows`: rows ≤ the unit's quota (`quota: true`) or a fixed `value` → `quota_exceeded`."""

from __future__ import annotations

from typing import ClassVar, Literal

from . import messages as M
from .base import CountSpec, FindingParts, FormContext
from .registry import RuleKind, register


class MaxRowsRule(CountSpec):
    kind: Literal["max_rows"]

    placeholders: ClassVar[frozenset[str]] = frozenset({"count", "limit", "excess", "noun"})


def limit(ctx: FormContext, rule: CountSpec, unit: str) -> int | None:
    """The rule's number for a unit: its quota or the fixed value (None: no quota set)."""
    return ctx.quota(unit) if rule.quota else rule.value


def check(ctx: FormContext, rule: MaxRowsRule) -> FindingParts:
    items = []
    noun = M.text(ctx.lang, "noun")
    for unit in ctx.units:
        count = ctx.counts[unit]
        cap = limit(ctx, rule, unit)
        if count == 0 or cap is None or count <= cap:
            continue
        kw = {"count": count, "limit": cap, "excess": count - cap, "noun": noun}
        default = M.text(ctx.lang, "quota_exceeded", **kw)
        items.append(
            {
                "unit": unit,
                "code": "quota_exceeded",
                "severity": rule.severity,
                "message": M.custom(rule.message, default, **kw),
                "value": count,
            }
        )
    return [ctx.unit_findings(items)] if items else []


register(
    RuleKind(
        spec=MaxRowsRule,
        check=check,
        codes=("quota_exceeded",),
        messages=("quota_exceeded", "noun"),
    )
)
