"""`covers`: the rows include every listed value of a column, or at least N distinct values.

`{kind: covers, column: nganh, values: [Giáo dục, Y tế]}` (default values: the column's
choices) → unit-level `not_covered` naming the missing values; with `at_least: 3`, at least
three distinct values. `scope: campaign` counts the rows of every unit given and reports to
each evaluated unit that has rows. Empty and invalid cells do not count; text compares as
names do (case, spaces and tone-mark placement ignored). Units with no rows are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from .. import i18n
from ..campaign.rulespec import Condition, RuleSpecBase, Scalar, condition_columns
from ..normalize import OK
from . import messages as M
from .base import FindingParts, FormContext, comparable_values
from .registry import RuleKind, register


class CoversRule(RuleSpecBase):
    kind: Literal["covers"]
    column: str
    values: list[Scalar] | None = Field(default=None, min_length=1)
    at_least: int | None = Field(default=None, ge=1)
    scope: Literal["unit", "campaign"] = "unit"
    where: Condition | None = None

    placeholders: ClassVar[frozenset[str]] = frozenset(
        {"header", "missing", "count", "total", "limit", "present"}
    )

    @model_validator(mode="after")
    def _one_goal(self) -> CoversRule:
        if self.values is not None and self.at_least is not None:
            raise ValueError(i18n.t("config.covers_values_or_at_least"))
        return self

    def reads(self) -> set[str]:
        return {self.column} | (condition_columns(self.where) if self.where else set())

    def conditions(self) -> dict[str, Mapping[str, Any]]:
        # the listed values are checked like a condition on the column
        out: dict[str, Mapping[str, Any]] = {"where": self.where} if self.where else {}
        if self.values:
            out["values"] = {self.column: list(self.values)}
        return out

    def column_problems(self, columns: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
        col = columns.get(self.column)
        if col is None or self.values is not None or self.at_least is not None:
            return []
        if col.type != "choice":
            return [((), i18n.t("config.covers_needs_choice", column=self.column))]
        return []


def check(ctx: FormContext, rule: CoversRule) -> FindingParts:
    col = ctx.columns.get(rule.column)
    if col is None:
        return []
    wanted: list[Any] = list(rule.values or ctx.form.column(rule.column).choices or ())
    keys = comparable_values(col, wanted)
    per_unique = comparable_values(col)
    usable = col.unique_status == OK
    rows = ctx.condition_mask(rule.where) if rule.where else np.ones(ctx.size, dtype=bool)
    value_codes = col.codes
    lang = ctx.lang
    header = ctx.header(rule.column)
    suffix = "_campaign" if rule.scope == "campaign" else ""
    every = rows & usable[value_codes]
    items = []
    for i, unit in enumerate(ctx.units):
        if ctx.counts[unit] == 0:
            continue
        hit = every if rule.scope == "campaign" else every & (ctx.unit_codes == i)
        found = np.unique(value_codes[hit])
        present = {per_unique[c] for c in found}
        kw: dict[str, Any]
        if rule.at_least is not None:
            if len(present) >= rule.at_least:
                continue
            shown = sorted({str(col.unique_text[c]) for c in found})
            kw = {
                "header": header,
                "count": len(present),
                "limit": rule.at_least,
                "present": ", ".join(shown) or "—",
            }
            code_key = f"not_covered.at_least{suffix}"
        else:
            missing = [
                M.fmt_value(v) for v, k in zip(wanted, keys, strict=True) if k not in present
            ]
            if not missing:
                continue
            kw = {
                "header": header,
                "missing": ", ".join(missing),
                "count": len(wanted) - len(missing),
                "total": len(wanted),
            }
            code_key = "not_covered.campaign" if suffix else "not_covered"
        default = M.text(lang, code_key, **kw)
        items.append(
            {
                "unit": unit,
                "code": "not_covered",
                "severity": rule.severity,
                "message": M.custom(rule.message, default, **kw),
                "value": len(present),
            }
        )
    return [ctx.unit_findings(items)] if items else []


register(
    RuleKind(
        spec=CoversRule,
        check=check,
        codes=("not_covered",),
        messages=(
            "not_covered",
            "not_covered.at_least",
            "not_covered.campaign",
            "not_covered.at_least_campaign",
        ),
    )
)
