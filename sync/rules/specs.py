"""Rule configurations as written in templates and campaign files (the contract of DESIGN §3.2).

Each rule kind has its own behaviour module in `sync.rules`; this module holds only the
declarative shape so that the campaign model can validate files without running rules.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Severity = Literal["error", "warning"]
Scalar = str | int | float | bool
Condition = dict[str, Scalar | list[Scalar]]
"""`where:` — every listed column must equal the value (or one of the listed values)."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity = "error"
    message: str | None = Field(
        default=None, description="custom message, replaces the built-in one"
    )


class UniqueRule(_Rule):
    kind: Literal["unique"]
    columns: list[str] = Field(min_length=1)
    scope: Literal["unit", "campaign"] = "unit"


class RequiredIfRule(_Rule):
    kind: Literal["required_if"]
    column: str
    where: Condition = Field(min_length=1)


class _CountRule(_Rule):
    quota: bool = False
    value: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_source(self) -> _CountRule:
        if self.quota == (self.value is not None):
            raise ValueError("cần đúng một trong hai: 'quota: true' hoặc 'value: <số>'")
        return self


class MaxRowsRule(_CountRule):
    kind: Literal["max_rows"]


class MinRowsRule(_CountRule):
    kind: Literal["min_rows"]


class _ShareRule(_Rule):
    where: Condition = Field(min_length=1)
    share: float = Field(ge=0, le=1)
    label: str | None = Field(
        default=None, description="consolidated column title, e.g. 'Tỷ lệ Nữ'"
    )
    min_rows: int = Field(
        default=1, ge=0, description="checked only when the unit has this many rows"
    )


class MinShareRule(_ShareRule):
    kind: Literal["min_share"]


class MaxShareRule(_ShareRule):
    kind: Literal["max_share"]


class MaxRatioRule(_Rule):
    kind: Literal["max_ratio"]
    where: Condition = Field(min_length=1)
    of: Condition = Field(min_length=1)
    ratio: float = Field(ge=0)
    label: str | None = None


class MaxSumRule(_CountRule):
    kind: Literal["max_sum"]
    column: str


class RegisteredInRule(_Rule):
    kind: Literal["registered_in"]
    form: str
    match: list[str] = Field(default_factory=list)
    """Columns that identify a row in both forms; empty means the unit must have any row there."""


RuleSpec = Annotated[
    UniqueRule
    | RequiredIfRule
    | MaxRowsRule
    | MinRowsRule
    | MinShareRule
    | MaxShareRule
    | MaxRatioRule
    | MaxSumRule
    | RegisteredInRule,
    Field(discriminator="kind"),
]

RULE_KINDS = (
    "unique",
    "required_if",
    "max_rows",
    "min_rows",
    "min_share",
    "max_share",
    "max_ratio",
    "max_sum",
    "registered_in",
)


def condition_columns(rule: Any) -> set[str]:
    """Column keys a rule refers to."""
    cols: set[str] = set()
    for attr in ("where", "of"):
        cond = getattr(rule, attr, None)
        if cond:
            cols.update(cond)
    for attr in ("columns", "match"):
        cols.update(getattr(rule, attr, None) or [])
    if getattr(rule, "kind", None) != "registered_in":
        col = getattr(rule, "column", None)
        if col:
            cols.add(col)
    return cols
