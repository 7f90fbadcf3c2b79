"""Quotas: the tiered congress-size rule of seed 002 and largest-remainder allocation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.campaign.model import TieredPolicy
from sync.errors import AllocationError
from sync.quotas import allocate, tiered

SEED_002 = TieredPolicy.model_validate(
    {
        "kind": "tiered",
        "tiers": [
            {"below": 100, "share": 1.0},
            {"below": 300, "share": 0.7, "max": 200},
            {"share": 0.7, "max": 300},
        ],
    }
)


@pytest.mark.parametrize(
    ("staff", "delegates"),
    [
        (0, 0),
        (1, 1),
        (99, 99),
        (100, 70),
        (155, 108),
        (285, 199),
        (286, 200),
        (299, 200),
        (300, 210),
        (428, 299),
        (429, 300),
        (5000, 300),
    ],
)
def test_tiered_policy_of_seed_002(staff: int, delegates: int) -> None:
    assert tiered(SEED_002, staff) == delegates


def test_rounding_is_configurable() -> None:
    data = SEED_002.model_dump()
    assert tiered(TieredPolicy.model_validate({**data, "rounding": "ceil"}), 155) == 109
    assert tiered(TieredPolicy.model_validate({**data, "rounding": "round"}), 155) == 109
    assert tiered(TieredPolicy.model_validate({**data, "rounding": "round"}), 153) == 107


def test_allocation_largest_remainder() -> None:
    # 10 seats over 3 units with staff 5 / 3 / 2, minimum 0: exact proportions
    assert allocate({"A": 5, "B": 3, "C": 2}, 10) == {"A": 5, "B": 3, "C": 2}
    # 7 seats: quotas 3.5 / 2.1 / 1.4 → floors 3/2/1, one left goes to the largest remainder A
    assert allocate({"A": 5, "B": 3, "C": 2}, 7) == {"A": 4, "B": 2, "C": 1}


def test_allocation_minimum_first() -> None:
    parts = allocate({"BIG": 1000, "S1": 1, "S2": 1}, 10, minimum=2)
    assert parts == {"BIG": 6, "S1": 2, "S2": 2}


def test_ties_go_to_larger_weight_then_file_order() -> None:
    assert allocate({"A": 1, "B": 1, "C": 1}, 2, order=["C", "A", "B"]) == {"C": 1, "A": 1, "B": 0}
    assert allocate({"A": 1, "B": 3}, 1) == {"A": 0, "B": 1}


def test_total_cannot_cover_minimums() -> None:
    with pytest.raises(
        AllocationError, match=r"Tổng 5 không đủ cho mức tối thiểu 2 × 3 đơn vị = 6"
    ):
        allocate({"A": 1, "B": 1, "C": 1}, 5, minimum=2)


def test_zero_weights_rejected() -> None:
    with pytest.raises(AllocationError, match="bằng 0"):
        allocate({"A": 0, "B": 0}, 5)


@given(
    st.lists(st.integers(min_value=0, max_value=20000), min_size=1, max_size=40).filter(any),
    st.integers(min_value=0, max_value=2000),
    st.integers(min_value=0, max_value=3),
)
def test_parts_sum_exactly_and_respect_minimum(
    weights: list[int], total: int, minimum: int
) -> None:
    w = {f"U{i}": x for i, x in enumerate(weights)}
    if minimum * len(w) > total:
        with pytest.raises(AllocationError):
            allocate(w, total, minimum)
        return
    parts = allocate(w, total, minimum)
    assert sum(parts.values()) == total
    assert all(p >= minimum for p in parts.values())
    # Hamilton's method on the whole total: a unit never holds a seat or more above its
    # exact share unless the minimum raised it; when the minimum does not bind, every unit
    # is within one seat of its exact share
    plain = allocate(w, total)
    binds = any(p < minimum for p in plain.values())
    for u, p in parts.items():
        exact = total * w[u] / sum(weights)
        assert p < exact + 1 or p == minimum
        if not binds:
            assert exact - 1 < p and p == plain[u]
