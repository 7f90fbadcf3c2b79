"""The declarative side of rule kinds: the base of every rule's spec model and their registry.

A rule kind's module (in `sync.rules`) defines a spec model — a subclass of `RuleSpecBase`
with `kind: Literal["…"]` — and registers it together with its check. The campaign file
and templates are validated against whatever kinds are registered at that moment: `RuleSpec`
dispatches on `kind` to the registered model. This module knows no rule kind by name.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from .. import i18n

Severity = Literal["error", "warning"]
Scalar = str | int | float | bool
Condition = dict[str, Scalar | list[Scalar]]
"""`where:` — every listed column must equal the value (or one of the listed values)."""


class FormRef(BaseModel):
    """A reference from a rule to another form: `columns` must exist in both forms."""

    model_config = ConfigDict(frozen=True)

    form: str
    columns: tuple[str, ...] = ()


class RuleSpecBase(BaseModel):
    """Keys every rule has; a rule kind adds its own (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    severity: Severity = "error"
    message: str | None = Field(
        default=None, description="custom message, replaces the built-in one"
    )

    placeholders: ClassVar[frozenset[str]] = frozenset()
    """Names a custom `message:` may use as `{name}`."""

    def reads(self) -> set[str]:
        """Column keys of its own form the rule reads (checked against the template)."""
        return set()

    def references(self) -> list[FormRef]:
        """Other forms the rule reads (checked once the campaign's forms are known)."""
        return []


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


RuleSpec = Annotated[RuleSpecBase, _RuleSpecType]
"""A rule as written in a template or campaign file (statically: the base model)."""
