"""docs/design.md: Performance targets call counts on the fake server (counts only, never time)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_calls import measure

EVENT_UNITS = 4
CONSOLIDATION_UNITS = 6


@pytest.fixture(scope="module")
def counts() -> dict[str, float]:
    return measure(EVENT_UNITS, CONSOLIDATION_UNITS)


def test_an_event_writes_at_most_once(counts: dict[str, float]) -> None:
    assert counts["writes_per_event"] == 1  # the edit changed the feedback: one batchUpdate


def test_unchanged_feedback_writes_nothing(counts: dict[str, float]) -> None:
    assert counts["writes_per_unchanged_event"] == 0


def test_an_event_reads_one_unit(counts: dict[str, float]) -> None:
    # the other units' rows (campaign-wide uniqueness) come from the service's cache
    assert counts["reads_per_event"] == 1


def test_consolidation_is_n_reads_and_two_writes(counts: dict[str, float]) -> None:
    n = CONSOLIDATION_UNITS
    assert n <= counts[f"reads_per_consolidation_{n}_units"] <= n + 1
    assert counts[f"writes_per_consolidation_{n}_units"] <= 2


def test_a_burst_costs_at_most_one_read_and_one_write_per_edit_plus_consolidation(
    counts: dict[str, float],
) -> None:
    assert counts["calls_per_edit_before_consolidation"] == 2  # one read, one write
    # one Drive list, the consolidated tab titles, two writes: nothing re-read
    assert counts["calls_per_consolidation_after_validations"] == 4
    # 2 + 4/N per edit: ≤ 2.1 from 40 edits on (the 100-unit burst: tests/test_google_floor.py)
    n = CONSOLIDATION_UNITS
    assert counts["google_calls_per_edit_amortised"] == (2 * n + 4) / n
