"""Rule kinds register themselves here: spec model, check, finding codes, message keys.

Each rule kind is one module of `sync.rules` that ends with `register(RuleKind(...))`.
The engine runs `KINDS[rule.kind].check`, consolidated share columns come from the kinds
that have a `share`, and the campaign loader validates rules against the registered spec
models (`sync.campaign.rulespec.SPECS`). Adding a rule kind: docs/rule-kinds.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..campaign.rulespec import RuleSpecBase, kind_of, register_spec
from .base import FindingParts, FormContext

Check = Callable[[FormContext, Any], FindingParts]
Share = Callable[[FormContext, Any], tuple[str, list[float | None]]]


@dataclass(frozen=True)
class RuleKind:
    """Everything the product knows about one rule kind."""

    spec: type[RuleSpecBase]
    check: Check
    codes: tuple[str, ...]
    """Finding codes the check emits."""
    messages: tuple[str, ...]
    """Message keys of the catalogue the check uses (`sync.rules.messages`)."""
    share: Share | None = None
    """(label, value per evaluated unit) shown in summaries and consolidated columns."""

    @property
    def kind(self) -> str:
        return kind_of(self.spec)


KINDS: dict[str, RuleKind] = {}


def register(rule_kind: RuleKind) -> RuleKind:
    """Make a rule kind usable in templates and campaign files (idempotent per module)."""
    kind = rule_kind.kind
    known = KINDS.get(kind)
    if known is not None and known.spec is not rule_kind.spec:
        raise ValueError(f"rule kind {kind!r} is already registered by {known.spec.__module__}")
    register_spec(rule_kind.spec)
    KINDS[kind] = rule_kind
    return rule_kind


def codes() -> set[str]:
    """Every finding code a registered rule kind can emit."""
    return {code for k in KINDS.values() for code in k.codes}
