"""Quotas: explicit numbers, the `tiered` policy, and largest-remainder allocation (DESIGN §3.3)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from . import i18n
from .campaign.policies import resolve_quota, tiered
from .errors import AllocationError

__all__ = ["allocate", "resolve_quota", "tiered"]


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
        raise AllocationError(i18n.t("quota.no_units"))
    if total < 0 or minimum < 0:
        raise AllocationError(i18n.t("quota.negative"))
    floor_total = minimum * len(ids)
    if floor_total > total:
        raise AllocationError(
            i18n.t(
                "quota.total_below_minimum",
                total=total,
                minimum=minimum,
                count=len(ids),
                needed=floor_total,
            )
        )
    rest = total - floor_total
    weight_sum = sum(max(0.0, float(weights[u])) for u in ids)
    if weight_sum <= 0:
        raise AllocationError(i18n.t("quota.zero_weights"))
    shares = {u: rest * max(0.0, float(weights[u])) / weight_sum for u in ids}
    parts = {u: math.floor(shares[u]) for u in ids}
    left = rest - sum(parts.values())
    position = {u: i for i, u in enumerate(ids)}
    ranked = sorted(ids, key=lambda u: (-(shares[u] - parts[u]), -float(weights[u]), position[u]))
    for u in ranked[:left]:
        parts[u] += 1
    return {u: parts[u] + minimum for u in ids}
