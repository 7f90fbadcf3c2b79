"""`max_ratio`: count(`where`) ≤ `ratio` × count(`of`) per unit → `ratio_exceeded`.

Example: Chiến sĩ thi đua cơ sở ≤ 15 % of Lao động tiên tiến. Units with 0 rows are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from ..campaign.rulespec import Condition, RuleSpecBase, condition_columns
from . import messages as M
from .base import FindingParts, FormContext
from .registry import RuleKind, register


class MaxRatioRule(RuleSpecBase):
    kind: Literal["max_ratio"]
    where: Condition = Field(min_length=1)
    of: Condition = Field(min_length=1)
    ratio: float = Field(ge=0)
    label: str | None = None

    placeholders: ClassVar[frozenset[str]] = frozenset(
        {"label", "count", "limit", "base", "of", "allowed", "excess"}
    )

    def reads(self) -> set[str]:
        return condition_columns(self.where) | condition_columns(self.of)

    def conditions(self) -> dict[str, Mapping[str, Any]]:
        return {"where": self.where, "of": self.of}


_EPS = 1e-9


def label(ctx: FormContext, rule: MaxRatioRule) -> str:
    return rule.label or M.text(ctx.lang, "ratio_label", what=ctx.values_label(rule.where))


def counts(ctx: FormContext, rule: MaxRatioRule) -> dict[str, tuple[int, int]]:
    """(count where, count of) per evaluated unit."""
    top = ctx.per_unit(ctx.condition_mask(rule.where))
    base = ctx.per_unit(ctx.condition_mask(rule.of))
    return {u: (int(top[i]), int(base[i])) for i, u in enumerate(ctx.units)}


def check(ctx: FormContext, rule: MaxRatioRule) -> FindingParts:
    items = []
    lang = ctx.lang
    title = label(ctx, rule)
    base_label = ctx.values_label(rule.of)
    for unit, (count, of) in counts(ctx, rule).items():
        if ctx.counts[unit] == 0:
            continue
        allowed = math.floor(rule.ratio * of + _EPS)
        if count <= allowed:
            continue
        kw = {
            "label": title,
            "count": count,
            "limit": M.fmt_pct(rule.ratio, lang),
            "base": base_label,
            "of": of,
            "allowed": allowed,
            "excess": count - allowed,
        }
        default = M.text(lang, "ratio_exceeded", **kw)
        items.append(
            {
                "unit": unit,
                "code": "ratio_exceeded",
                "severity": rule.severity,
                "message": M.custom(rule.message, default, **kw),
                "value": count,
            }
        )
    return [ctx.unit_findings(items)] if items else []


def share(ctx: FormContext, rule: MaxRatioRule) -> tuple[str, list[float | None]]:
    """count(where) / count(of) per evaluated unit (None without a base), for summaries."""
    ratios = counts(ctx, rule)
    return label(ctx, rule), [(c / b if b else None) for c, b in (ratios[u] for u in ctx.units)]


register(
    RuleKind(
        spec=MaxRatioRule,
        check=check,
        codes=("ratio_exceeded",),
        messages=("ratio_exceeded", "ratio_label"),
        share=share,
    )
)
