"""Quota policies: a unit's quota from an explicit number or the `tiered` policy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

from .. import i18n
from ..errors import ConfigError
from .model import PolicyRef, TieredPolicy


class StaffedUnit(Protocol):
    """What a policy needs of a unit."""

    @property
    def id(self) -> str: ...

    @property
    def staff(self) -> int | None: ...


_ROUND = {"floor": math.floor, "ceil": math.ceil, "round": lambda x: math.floor(x + 0.5)}


def tiered(policy: TieredPolicy, base: int) -> int:
    """Apply a tiered policy: the first tier whose `below` exceeds `base` decides.

    share × base is rounded by `policy.rounding` (default floor: 70 % of 155 staff is 108,
    never more than 70 %), then capped by the tier's `max` and raised to its `min`.
    """
    for tier in policy.tiers:
        if tier.below is None or base < tier.below:
            value = int(_ROUND[policy.rounding](round(tier.share * base, 9)))
            if tier.max is not None:
                value = min(value, tier.max)
            if tier.min is not None:
                value = max(value, tier.min)
            return value
    raise AssertionError("a validated tiered policy always has an open last tier")


def resolve_quota(
    value: int | PolicyRef | None,
    unit: StaffedUnit,
    policies: Mapping[str, TieredPolicy],
) -> int | None:
    """A unit's quota from a number or a policy reference; None when the form has none."""
    if value is None or isinstance(value, int):
        return value
    policy = policies.get(value.policy)
    if policy is None:
        raise ConfigError(i18n.t("quota.no_such_policy", policy=value.policy))
    if unit.staff is None:
        raise ConfigError(i18n.t("quota.needs_staff", unit=unit.id, policy=value.policy))
    return tiered(policy, unit.staff)
