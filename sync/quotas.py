"""Quotas: explicit numbers, the `tiered` policy, and largest-remainder allocation.

See docs/design.md, Quotas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from . import i18n
from .campaign.campaign import Campaign, Unit
from .campaign.policies import resolve_quota, tiered
from .errors import AllocationError

__all__ = ["allocate", "allocation_units", "exact_shares", "resolve_quota", "tiered"]


def exact_shares(weights: Mapping[str, float], total: int) -> dict[str, float]:
    """Each unit's exact proportional share of `total` (what rounding aims at)."""
    weight_sum = sum(max(0.0, float(w)) for w in weights.values())
    if weight_sum <= 0:
        raise AllocationError(i18n.t("quota.zero_weights"))
    return {u: total * max(0.0, float(w)) / weight_sum for u, w in weights.items()}


def _hamilton(
    shares: Mapping[str, float], weights: Mapping[str, float], ids: Sequence[str]
) -> dict[str, int]:
    """Floors of the shares, the seats left to the largest remainders (ties: larger weight,
    then file order)."""
    parts = {u: math.floor(shares[u] + 1e-9) for u in ids}
    left = round(sum(shares[u] for u in ids)) - sum(parts.values())
    position = {u: i for i, u in enumerate(ids)}
    ranked = sorted(ids, key=lambda u: (-(shares[u] - parts[u]), -float(weights[u]), position[u]))
    for u in ranked[: max(0, left)]:
        parts[u] += 1
    return parts


def allocate(
    weights: Mapping[str, float],
    total: int,
    minimum: int = 0,
    order: Sequence[str] | None = None,
    maximum: int | None = None,
) -> dict[str, int]:
    """Split `total` over units in proportion to `weights` (largest remainder, Hamilton).

    1. Every unit gets its largest-remainder share of the whole total (ties of the remainder
       go to the larger weight, then to the unit listed first in `order`).
    2. A unit above `maximum` is cut to it; the seats freed are split over the other units
       the same way, until none is above.
    3. A unit below `minimum` is raised to it, one seat at a time taken from the unit that
       holds the most above its exact share (the smallest remainder), so every unit stays
       within one seat of its exact share whenever the minimum allows.
    The parts sum exactly to `total`.
    """
    ids = list(order) if order is not None else list(weights)
    if not ids:
        raise AllocationError(i18n.t("quota.no_units"))
    if total < 0 or minimum < 0:
        raise AllocationError(i18n.t("quota.negative"))
    if minimum * len(ids) > total:
        raise AllocationError(
            i18n.t(
                "quota.total_below_minimum",
                total=total,
                minimum=minimum,
                count=len(ids),
                needed=minimum * len(ids),
            )
        )
    if maximum is not None:
        if maximum < minimum:
            raise AllocationError(i18n.t("quota.max_below_min", maximum=maximum, minimum=minimum))
        if maximum * len(ids) < total:
            raise AllocationError(
                i18n.t(
                    "quota.total_above_maximum",
                    total=total,
                    maximum=maximum,
                    count=len(ids),
                    allowed=maximum * len(ids),
                )
            )
    exact = exact_shares({u: weights[u] for u in ids}, total)
    parts = _hamilton(exact, weights, ids)
    if maximum is not None:
        capped: set[str] = set()
        while any(parts[u] > maximum for u in ids if u not in capped):
            capped |= {u for u in ids if parts[u] >= maximum}
            free = [u for u in ids if u not in capped]
            rest = total - maximum * len(capped)
            shares = exact_shares({u: weights[u] for u in free}, rest) if free else {}
            parts = {u: maximum for u in capped} | _hamilton(shares, weights, free)
    position = {u: i for i, u in enumerate(ids)}
    for unit in ids:
        while parts[unit] < minimum:
            donors = [u for u in ids if parts[u] - 1 >= minimum and u != unit]
            donor = max(
                donors,
                key=lambda u: (parts[u] - exact[u], -float(weights[u]), position[u]),
            )
            parts[donor] -= 1
            parts[unit] += 1
    return {u: parts[u] for u in ids}


def allocation_units(
    campaign: Campaign,
    form_id: str,
    ids: Sequence[str] | None = None,
    level: str | None = None,
) -> list[Unit]:
    """The units that share a form's total, in campaign order: the units the form applies
    to (`applies_to`), narrowed to `ids` and/or to one `level`."""
    units = list(campaign.units_for(form_id))
    if ids:
        known = {u.id for u in units}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise AllocationError(
                i18n.t(
                    "quota.no_such_units", units=", ".join(unknown), known=", ".join(sorted(known))
                )
            )
        wanted = set(ids)
        units = [u for u in units if u.id in wanted]
    if level is not None:
        levels = sorted({u.level for u in units if u.level})
        units = [u for u in units if u.level == level]
        if not units:
            shown = ", ".join(levels) or i18n.t("quota.no_levels")
            raise AllocationError(i18n.t("quota.no_units_at_level", level=level, shown=shown))
    return units
