"""`min_share` / `max_share`: share of a unit's rows matching `where` → `share_below_min` /
`share_above_max`. Checked only when the unit has at least `min_rows` rows (and ≥ 1)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from ..campaign.rulespec import Condition, RuleSpecBase, condition_columns
from . import messages as M
from .base import FindingParts, FormContext
from .registry import RuleKind, register


class _ShareRule(RuleSpecBase):
    where: Condition = Field(min_length=1)
    share: float = Field(ge=0, le=1)
    label: str | None = Field(
        default=None, description="consolidated column title, e.g. 'Tỷ lệ Nữ'"
    )
    min_rows: int = Field(
        default=1, ge=0, description="checked only when the unit has this many rows"
    )

    def reads(self) -> set[str]:
        return condition_columns(self.where)

    def conditions(self) -> dict[str, Mapping[str, Any]]:
        return {"where": self.where}


class MinShareRule(_ShareRule):
    kind: Literal["min_share"]

    placeholders: ClassVar[frozenset[str]] = frozenset(
        {"label", "share", "count", "total", "limit", "needed"}
    )


class MaxShareRule(_ShareRule):
    kind: Literal["max_share"]

    placeholders: ClassVar[frozenset[str]] = frozenset(
        {"label", "share", "count", "total", "limit", "allowed"}
    )


_EPS = 1e-9


def label(ctx: FormContext, rule: MinShareRule | MaxShareRule) -> str:
    """Title of the share, e.g. "Tỷ lệ Nữ" (the rule's `label` when given)."""
    return rule.label or M.text(ctx.lang, "share_label", what=ctx.values_label(rule.where))


def shares(ctx: FormContext, rule: MinShareRule | MaxShareRule) -> dict[str, tuple[int, int]]:
    """(matching rows, rows) per evaluated unit."""
    hits = ctx.per_unit(ctx.condition_mask(rule.where))
    return {u: (int(hits[i]), ctx.counts[u]) for i, u in enumerate(ctx.units)}


def check(ctx: FormContext, rule: MinShareRule | MaxShareRule) -> FindingParts:
    items = []
    title = label(ctx, rule)
    lang = ctx.lang
    for unit, (count, total) in shares(ctx, rule).items():
        if total == 0 or total < rule.min_rows:
            continue
        share = count / total
        kw = {
            "label": title,
            "share": M.fmt_pct(share, lang),
            "count": count,
            "total": total,
            "limit": M.fmt_pct(rule.share, lang),
        }
        if rule.kind == "min_share" and share < rule.share - _EPS:
            code = "share_below_min"
            kw["needed"] = math.ceil(rule.share * total - _EPS)
        elif rule.kind == "max_share" and share > rule.share + _EPS:
            code = "share_above_max"
            kw["allowed"] = math.floor(rule.share * total + _EPS)
        else:
            continue
        default = M.text(lang, code, **kw)
        items.append(
            {
                "unit": unit,
                "code": code,
                "severity": rule.severity,
                "message": M.custom(rule.message, default, **kw),
                "value": round(share, 4),
            }
        )
    return [ctx.unit_findings(items)] if items else []


def share(ctx: FormContext, rule: MinShareRule | MaxShareRule) -> tuple[str, list[float | None]]:
    """The share per evaluated unit (None when the unit has no rows), for summaries."""
    counts = shares(ctx, rule)
    return label(ctx, rule), [(c / t if t else None) for c, t in (counts[u] for u in ctx.units)]


register(
    RuleKind(
        spec=MinShareRule,
        check=check,
        codes=("share_below_min",),
        messages=("share_below_min", "share_label"),
        share=share,
    )
)
register(
    RuleKind(
        spec=MaxShareRule,
        check=check,
        codes=("share_above_max",),
        messages=("share_above_max", "share_label"),
        share=share,
    )
)
