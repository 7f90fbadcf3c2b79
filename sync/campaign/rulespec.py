"""The declarative side of rule kinds: the base of every rule's spec model and their registry.

A rule kind's module (in `sync.rules`) defines a spec model — a subclass of `RuleSpecBase`
with `kind: Literal["…"]` — and registers it together with its check. The campaign file
and templates are validated against whatever kinds are registered at that moment: `RuleSpec`
dispatches on `kind` to the registered model. This module knows no rule kind by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from .. import i18n

Severity = Literal["error", "warning"]
Scalar = str | int | float | bool

# ----------------------------------------------------------------------------- conditions
GROUPS = ("all", "any")
OPERATORS = ("not", "in", "not_in", "empty")


class Test(NamedTuple):
    """One column test of a condition: `values` for in/not_in, `empty` for empty."""

    path: tuple[str | int, ...]
    column: str
    op: Literal["in", "not_in", "empty"]
    values: tuple[Scalar, ...] = ()
    empty: bool = False


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and value == value


def _values(column: str, op: str, arg: Any) -> tuple[Scalar, ...]:
    items = arg if isinstance(arg, list) else [arg]
    if not items or not all(_scalar(v) for v in items):
        raise ValueError(i18n.t("config.condition_needs_values", column=column, op=op))
    return tuple(items)


def _test(path: tuple[str | int, ...], column: str, wanted: Any) -> Test:
    """`wanted` as written (value, list, {not|in|not_in|empty: …}) → one Test."""
    if isinstance(wanted, dict):
        if len(wanted) != 1 or next(iter(wanted)) not in OPERATORS:
            shown = ", ".join(str(k) for k in wanted) or "{}"
            raise ValueError(i18n.t("config.condition_bad_operator", column=column, shown=shown))
        op, arg = next(iter(wanted.items()))
        if op == "empty":
            if not isinstance(arg, bool):
                raise ValueError(i18n.t("config.condition_empty_bool", column=column))
            return Test(path, column, "empty", empty=arg)
        if op in ("in", "not_in") and not isinstance(arg, list):
            raise ValueError(i18n.t("config.condition_needs_list", column=column, op=op))
        kind: Literal["in", "not_in"] = "in" if op == "in" else "not_in"
        return Test(path, column, kind, _values(column, op, arg))
    if wanted is None:
        raise ValueError(i18n.t("config.condition_missing_value", column=column))
    return Test(path, column, "in", _values(column, "in", wanted))


def is_group(key: str, wanted: Any) -> bool:
    """`all: [...]` / `any: [...]` of conditions (a column may still be called all/any)."""
    return key in GROUPS and isinstance(wanted, list) and all(isinstance(c, dict) for c in wanted)


def condition_tests(condition: Mapping[str, Any], path: tuple[str | int, ...] = ()) -> list[Test]:
    """Every column test of a condition, nested groups included, with its path."""
    if not condition:
        raise ValueError(i18n.t("config.condition_empty"))
    tests: list[Test] = []
    for key, wanted in condition.items():
        if key in GROUPS and isinstance(wanted, list) and any(isinstance(c, dict) for c in wanted):
            if not is_group(key, wanted):
                raise ValueError(i18n.t("config.conditions_list", key=key))
            for i, sub in enumerate(wanted):
                tests += condition_tests(sub, (*path, key, i))
        else:
            tests.append(_test((*path, key), key, wanted))
    return tests


def condition_columns(condition: Mapping[str, Any]) -> set[str]:
    return {t.column for t in condition_tests(condition)}


def _valid_condition(condition: dict[str, Any]) -> dict[str, Any]:
    condition_tests(condition)
    return condition


Condition = Annotated[dict[str, Any], AfterValidator(_valid_condition)]
"""`where:` — every listed column test holds: a value, a list (any of), {not: …}, {in: […]},
{not_in: […]}, {empty: true|false}; `all: [...]` / `any: [...]` combine conditions."""


class FormRef(BaseModel):
    """A reference from a rule to another form: `columns` must exist in both forms."""

    model_config = ConfigDict(frozen=True)

    form: str
    columns: tuple[str, ...] = ()


class RuleSpecBase(BaseModel):
    """Keys every rule has; a rule kind adds its own (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    id: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="name a campaign uses to disable or override a template rule",
    )
    severity: Severity = "error"
    message: str | None = Field(
        default=None, description="custom message, replaces the built-in one"
    )

    placeholders: ClassVar[frozenset[str]] = frozenset()
    """Names a custom `message:` may use as `{name}`."""

    def reads(self) -> set[str]:
        """Column keys of its own form the rule reads (checked against the template)."""
        return set()

    def conditions(self) -> dict[str, Mapping[str, Any]]:
        """The rule's conditions by key (`where`, `of`…), checked against the columns."""
        return {}

    def column_problems(self, columns: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
        """(path inside the rule, message) for keys that do not fit the columns' types."""
        return []

    def references(self) -> list[FormRef]:
        """Other forms the rule reads (checked once the campaign's forms are known)."""
        return []

    def effect(self) -> dict[str, Any]:
        """What the rule checks: its keys without id, severity, message and label."""
        return self.model_dump(exclude={"id", "severity", "message", "label"})


class RuleOverride(BaseModel):
    """`{id: ty_le_nu, share: 0.35}` in a campaign form: new values for a template rule."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str

    @property
    def changes(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


SPECS: dict[str, type[RuleSpecBase]] = {}
"""kind → spec model of every registered rule kind."""


def kind_of(model: type[RuleSpecBase]) -> str:
    """The `kind` literal a spec model declares."""
    values = get_args(model.model_fields["kind"].annotation)
    if len(values) != 1 or not isinstance(values[0], str):
        raise TypeError(f"{model.__name__}.kind must be a Literal of one string")
    return values[0]


def register_spec(model: type[RuleSpecBase]) -> str:
    """Make a spec model known to campaign files and templates; returns its kind."""
    kind = kind_of(model)
    known = SPECS.get(kind)
    if known is not None and known is not model:
        raise ValueError(f"rule kind {kind!r} is already registered by {known.__module__}")
    SPECS[kind] = model
    return kind


def _validate_entry(value: Any) -> RuleSpecBase | RuleOverride:
    if isinstance(value, dict) and "kind" not in value and isinstance(value.get("id"), str):
        return RuleOverride.model_validate(value)
    return _validate_rule(value)


def _validate_rule(value: Any) -> RuleSpecBase:
    if isinstance(value, RuleSpecBase):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("model_type", i18n.t("config.pydantic.dict_type"))
    if "kind" not in value:
        raise PydanticCustomError(
            "union_tag_not_found", i18n.t("config.pydantic.union_tag_not_found")
        )
    model = SPECS.get(value["kind"]) if isinstance(value["kind"], str) else None
    if model is None:
        raise PydanticCustomError(
            "union_tag_invalid",
            i18n.t("config.pydantic.union_tag_invalid_tag"),
            {"tag": value["kind"], "expected_tags": ", ".join(f"'{k}'" for k in sorted(SPECS))},
        )
    return model.model_validate(value)


class _RuleSpecType:
    """Pydantic field type: a dict with `kind` validated by that kind's registered model."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(_validate_rule)


class _RuleEntryType:
    """Like `_RuleSpecType`, and `{id: …, key: value}` without `kind` is an override."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(_validate_entry)


RuleSpec = Annotated[RuleSpecBase, _RuleSpecType]
"""A rule as written in a template or campaign file (statically: the base model)."""

RuleEntry = Annotated[RuleSpecBase | RuleOverride, _RuleEntryType]
"""A campaign form's rule: a new rule (with `kind`) or an override of a template rule (`id`)."""
