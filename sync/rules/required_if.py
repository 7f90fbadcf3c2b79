"""`required_if`: a column must be filled when a condition holds → `required`."""

from __future__ import annotations

import numpy as np

from ..rules.specs import RequiredIfRule
from . import messages as M
from .base import FindingParts, FormContext


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
