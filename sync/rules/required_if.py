"""`required_if`: a column must be filled when a condition holds → `required`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from ..campaign.rulespec import Condition, RuleSpecBase, condition_columns
from . import messages as M
from .base import FindingParts, FormContext
from .registry import RuleKind, register


class RequiredIfRule(RuleSpecBase):
    kind: Literal["required_if"]
    column: str
    where: Condition = Field(min_length=1)

    placeholders: ClassVar[frozenset[str]] = frozenset({"header", "condition"})

    def reads(self) -> set[str]:
        return {self.column, *condition_columns(self.where)}

    def conditions(self) -> dict[str, Mapping[str, Any]]:
        return {"where": self.where}


def check(ctx: FormContext, rule: RequiredIfRule) -> FindingParts:
    col = ctx.columns.get(rule.column)
    if col is None or ctx.size == 0:
        return []
    if ctx.form.column(rule.column).required:
        return []  # the column check already reports empty cells
    mask = ctx.condition_mask(rule.where) & col.empty & ctx.evaluated
    pos = np.flatnonzero(mask)
    if not len(pos):
        return []
    header = ctx.header(rule.column)
    condition = ctx.describe(rule.where)
    default = M.text(ctx.lang, "required_if", header=header, condition=condition)
    message = M.custom(rule.message, default, header=header, condition=condition)
    return [ctx.cell_findings(pos, rule.column, "required", rule.severity, message)]


register(RuleKind(spec=RequiredIfRule, check=check, codes=("required",), messages=("required_if",)))
