"""Quotas: explicit numbers, the `tiered` policy, and largest-remainder allocation (DESIGN §3.3)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .campaign.model import PolicyRef, TieredPolicy
from .errors import AllocationError, ConfigError

if TYPE_CHECKING:
    from .campaign.campaign import Unit

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
    value: int | PolicyRef | None, unit: Unit, policies: Mapping[str, TieredPolicy]
) -> int | None:
    """A unit's quota from a number or a policy reference; None when the form has none."""
    if value is None or isinstance(value, int):
        return value
    policy = policies.get(value.policy)
    if policy is None:
        raise ConfigError(f"Chính sách chỉ tiêu '{value.policy}' không tồn tại")
    if unit.staff is None:
        raise ConfigError(f"Đơn vị {unit.id} cần 'staff' để tính chỉ tiêu theo '{value.policy}'")
    return tiered(policy, unit.staff)


def allocate(
    weights: Mapping[str, float], total: int, minimum: int = 0, order: Sequence[str] | None = None
) -> dict[str, int]:
    """Split `total` over units in proportion to `weights` by the largest-remainder method.

    Every unit first gets `minimum`; the rest is split in proportion to the weights
    (Hamilton's method). Ties of the remainder go to the larger weight, then to the unit
    listed first in `order` (the campaign file's order). The parts sum exactly to `total`.
    """
    ids = list(order) if order is not None else list(weights)
    if not ids:
        raise AllocationError("Không có đơn vị nào để phân bổ")
    if total < 0 or minimum < 0:
        raise AllocationError("Tổng số và mức tối thiểu phải không âm")
    floor_total = minimum * len(ids)
    if floor_total > total:
        raise AllocationError(
            f"Tổng {total} không đủ cho mức tối thiểu {minimum} × {len(ids)} đơn vị = {floor_total}"
        )
    rest = total - floor_total
    weight_sum = sum(max(0.0, float(weights[u])) for u in ids)
    if weight_sum <= 0:
        raise AllocationError(
            "Tổng trọng số (số cán bộ, người lao động) bằng 0: không thể chia tỷ lệ"
        )
    shares = {u: rest * max(0.0, float(weights[u])) / weight_sum for u in ids}
    parts = {u: math.floor(shares[u]) for u in ids}
    left = rest - sum(parts.values())
    position = {u: i for i, u in enumerate(ids)}
    ranked = sorted(ids, key=lambda u: (-(shares[u] - parts[u]), -float(weights[u]), position[u]))
    for u in ranked[:left]:
        parts[u] += 1
    return {u: parts[u] + minimum for u in ids}
