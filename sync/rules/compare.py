"""`compare`: a comparison between two columns, or a column and a constant → `comparison_failed`.

Row level: `{left: ngay_gui_ke_hoach, op: "<=", right: ngay_to_chuc, offset: -15d}` — each
row whose two cells are filled and valid must satisfy left op right + offset (the finding is
on the left cell). Unit level: a side `{sum: column}` compares the unit's column sums
(`{left: {sum: so_dai_bieu_nu}, op: "<=", right: {sum: so_dai_bieu}}`); units with no rows
are skipped. An optional `where` limits the rows. Dates compare by day; an offset is
`15d`, `-2w` (dates) or a number (numeric columns).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import i18n
from ..campaign.rulespec import Condition, RuleSpecBase, Scalar, condition_columns
from ..normalize import OK, Invalid, NormalizedColumn, parse_date, parser_for
from . import messages as M
from .base import FindingParts, FormContext
from .registry import RuleKind, register

Op = Literal["<", "<=", "==", "!=", ">=", ">"]
OPS = {"<": "lt", "<=": "le", "==": "eq", "!=": "ne", ">=": "ge", ">": "gt"}
"""Operators and the names of their message ids (compare.date.le …)."""
_NUMERIC = ("integer", "number", "percent", "year")
_EPS = 1e-9
_OFFSET_RE = re.compile(r"([+-]?)\s*(\d+)\s*([dw])")


class Sum(BaseModel):
    """`{sum: column}`: the unit's total of a numeric column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sum: str


Side = Sum | Scalar | date


def parse_offset(value: str | int | float | None) -> float:
    """'-15d' → -15 (days), '2w' → 14; a number stays a number; None → 0."""
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    m = _OFFSET_RE.fullmatch(value.strip().lower())
    if m is None:
        raise ValueError(i18n.t("config.bad_offset", value=value))
    days = int(m.group(2)) * (7 if m.group(3) == "w" else 1)
    return float(-days if m.group(1) == "-" else days)


class CompareRule(RuleSpecBase):
    kind: Literal["compare"]
    left: Side
    op: Op
    right: Side
    offset: str | int | float | None = Field(
        default=None, description="added to the right side: -15d, 2w, or a number"
    )
    where: Condition | None = None

    placeholders: ClassVar[frozenset[str]] = frozenset(
        {"left", "left_value", "relation", "limit", "right", "right_value"}
    )

    @field_validator("offset")
    @classmethod
    def _offset(cls, value: str | int | float | None) -> str | int | float | None:
        parse_offset(value)
        return value

    @model_validator(mode="after")
    def _sides(self) -> CompareRule:
        if isinstance(self.left, Sum):
            if not (isinstance(self.right, (Sum, int, float)) and not isinstance(self.right, bool)):
                raise ValueError(i18n.t("config.compare_sum_with"))
        elif not isinstance(self.left, str):
            raise ValueError(i18n.t("config.compare_left"))
        elif isinstance(self.right, Sum):
            raise ValueError(i18n.t("config.compare_row_with_sum"))
        return self

    @property
    def unit_level(self) -> bool:
        return isinstance(self.left, Sum)

    def reads(self) -> set[str]:
        cols = {self.left.sum if isinstance(self.left, Sum) else str(self.left)}
        if isinstance(self.right, Sum):
            cols.add(self.right.sum)
        return cols | (condition_columns(self.where) if self.where else set())

    def conditions(self) -> dict[str, Mapping[str, Any]]:
        return {"where": self.where} if self.where else {}

    def column_problems(self, columns: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
        """Types of the sides: numbers or dates, the same on both sides; constants parse."""
        problems: list[tuple[tuple[str, ...], str]] = []
        left_key = self.left.sum if isinstance(self.left, Sum) else str(self.left)
        left = columns.get(left_key)
        if left is None:
            return problems
        if left.type not in (*_NUMERIC, "date"):
            return [
                (("left",), i18n.t("config.compare_column_type", column=left_key, type=left.type))
            ]
        if isinstance(self.left, Sum) and left.type == "date":
            return [(("left",), i18n.t("config.compare_sum_of_dates", column=left_key))]
        right = self.right
        if isinstance(right, Sum) or (isinstance(right, str) and right in columns):
            key = right.sum if isinstance(right, Sum) else right
            other = columns.get(key)
            if other is None:
                return problems
            if (other.type == "date") != (left.type == "date") or other.type not in (
                *_NUMERIC,
                "date",
            ):
                problems.append(
                    (
                        ("right",),
                        i18n.t(
                            "config.compare_types",
                            column=left_key,
                            type=left.type,
                            other=key,
                            other_type=other.type,
                        ),
                    )
                )
        else:
            try:
                _constant(left.type, right)
            except Invalid:
                problems.append(
                    (
                        ("right",),
                        i18n.t("config.compare_right", right=right, type=left.type),
                    )
                )
        if left.type == "date" and isinstance(self.offset, (int, float)):
            problems.append((("offset",), i18n.t("config.compare_date_offset")))
        return problems


def _constant(col_type: str, value: Any) -> float:
    """A constant side as a number (dates as day numbers)."""
    if col_type == "date":
        if isinstance(value, date):
            return float(value.toordinal())
        return float(parse_date(value).toordinal())
    return float(parser_for(col_type)(value))


def _numbers(col: NormalizedColumn) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (value as float — dates as day numbers —, valid) of a column."""
    ok = col.unique_status == OK
    values = np.array(
        [
            (v.toordinal() if isinstance(v, date) else float(v)) if good else np.nan
            for v, good in zip(col.unique_values, ok, strict=True)
        ],
        dtype=np.float64,
    )
    return values[col.codes], ok[col.codes]


def holds(op: str, left: Any, limit: Any) -> Any:
    """left op limit, numbers within 1e-9 counted as equal (vectorised)."""
    diff = np.asarray(left, dtype=np.float64) - limit
    eq = np.abs(diff) <= _EPS
    return {
        "<": (diff < 0) & ~eq,
        "<=": (diff < 0) | eq,
        "==": eq,
        "!=": ~eq,
        ">=": (diff > 0) | eq,
        ">": (diff > 0) & ~eq,
    }[op]


def _show(value: float, col_type: str, lang: str) -> str:
    if col_type == "date":
        return date.fromordinal(int(value)).strftime("%d/%m/%Y")
    text = M.fmt_number(value, lang)
    return f"{text} %" if col_type == "percent" else text


def _relation(rule: CompareRule, col_type: str, lang: str) -> str:
    family = "date" if col_type == "date" else "number"
    return M.text(lang, f"compare.{family}.{OPS[rule.op]}")


def check(ctx: FormContext, rule: CompareRule) -> FindingParts:
    left_key = rule.left.sum if isinstance(rule.left, Sum) else str(rule.left)
    left_col = ctx.columns.get(left_key)
    if left_col is None or ctx.size == 0:
        return []
    col_type = left_col.type
    offset = parse_offset(rule.offset)
    rows = ctx.condition_mask(rule.where) if rule.where else np.ones(ctx.size, dtype=bool)
    left, left_ok = _numbers(left_col)
    right_key: str | None = None
    if isinstance(rule.right, Sum):
        right_key = rule.right.sum
    elif isinstance(rule.right, str) and rule.right in ctx.columns:
        right_key = rule.right
    if right_key is not None:
        right, right_ok = _numbers(ctx.columns[right_key])
    else:
        right = np.full(ctx.size, _constant(col_type, rule.right))
        right_ok = np.ones(ctx.size, dtype=bool)
    lang = ctx.lang
    relation = _relation(rule, col_type, lang)
    right_name = f"«{ctx.header(right_key)}»" if right_key else ""
    if rule.unit_level:
        return _unit_check(ctx, rule, left, left_ok, right, right_ok, rows, right_key, relation)
    valid = left_ok & right_ok & rows & ctx.evaluated
    limit = right + offset
    with np.errstate(invalid="ignore"):
        ok = holds(rule.op, left, limit)
    pos = np.flatnonzero(valid & ~ok)
    if not len(pos):
        return []
    messages = []
    for p in pos:
        kw = {
            "left": f"«{ctx.header(left_key)}»",
            "left_value": _show(left[p], col_type, lang),
            "relation": relation,
            "limit": _show(limit[p], col_type, lang),
            "right": right_name,
            "right_value": _show(right[p], col_type, lang),
        }
        kw["basis"] = _basis(lang, right_name, kw["right_value"], offset, col_type)
        default = M.text(lang, "comparison_failed", **kw)
        messages.append(M.custom(rule.message, default, **kw))
    values = left_col.unique_text[left_col.codes[pos]]
    return [ctx.cell_findings(pos, left_key, "comparison_failed", rule.severity, messages, values)]


def _basis(lang: str, right_name: str, right_value: str, offset: float, col_type: str) -> str:
    if not right_name:
        return ""
    if not offset:
        return M.text(lang, "compare.basis", right=right_name, right_value=right_value)
    amount = M.fmt_number(abs(offset), lang)
    key = "compare.days" if col_type == "date" else "compare.amount"
    shift = M.text(lang, key, amount=amount, sign="−" if offset < 0 else "+")
    return M.text(lang, "compare.basis", right=right_name, right_value=f"{right_value} {shift}")


def _unit_check(
    ctx: FormContext,
    rule: CompareRule,
    left: np.ndarray,
    left_ok: np.ndarray,
    right: np.ndarray,
    right_ok: np.ndarray,
    rows: np.ndarray,
    right_key: str | None,
    relation: str,
) -> FindingParts:
    sel = (ctx.unit_codes >= 0) & rows
    n = len(ctx.units)
    codes = ctx.unit_codes[sel]
    left_sum = np.bincount(codes, weights=np.where(left_ok, left, 0.0)[sel], minlength=n)
    if isinstance(rule.right, Sum):
        right_sum = np.bincount(codes, weights=np.where(right_ok, right, 0.0)[sel], minlength=n)
    else:
        right_sum = np.full(n, right[0] if len(right) else 0.0)
    offset = parse_offset(rule.offset)
    lang = ctx.lang
    left_key = rule.left.sum if isinstance(rule.left, Sum) else str(rule.left)
    col_type = ctx.columns[left_key].type
    right_name = M.text(lang, "compare.total_of", header=ctx.header(right_key)) if right_key else ""
    items = []
    for i, unit in enumerate(ctx.units):
        if ctx.counts[unit] == 0:
            continue
        limit = float(right_sum[i]) + offset
        value = float(left_sum[i])
        if holds(rule.op, value, limit):
            continue
        kw = {
            "left": M.text(lang, "compare.total", header=ctx.header(left_key)),
            "left_value": _show(value, col_type, lang),
            "relation": relation,
            "limit": _show(limit, col_type, lang),
            "right": right_name,
            "right_value": _show(float(right_sum[i]), col_type, lang),
        }
        kw["basis"] = _basis(lang, right_name, kw["right_value"], offset, col_type)
        default = M.text(lang, "comparison_failed", **kw)
        items.append(
            {
                "unit": unit,
                "code": "comparison_failed",
                "severity": rule.severity,
                "message": M.custom(rule.message, default, **kw),
                "value": int(value) if value.is_integer() else value,
            }
        )
    return [ctx.unit_findings(items)] if items else []


register(
    RuleKind(
        spec=CompareRule,
        check=check,
        codes=("comparison_failed",),
        messages=(
            "comparison_failed",
            "compare.basis",
            "compare.days",
            "compare.amount",
            "compare.total",
            "compare.total_of",
            *(f"compare.{family}.{name}" for family in ("date", "number") for name in OPS.values()),
        ),
    )
)
