"""Deadlines: late (warning), after_lock (error), and submission states, with pinned times."""

from __future__ import annotations

from datetime import datetime, timedelta

from sync.rules.engine import UnitTimes
from tests.rules_helpers import DUE, TZ, keys, make_campaign, make_form, person, run

ROWS = {"dai_bieu": [person("TAMDUONG", "A"), person("SINHO", "B")]}


def _campaign(lock: bool = True) -> object:
    return make_campaign(make_form(grace=timedelta(days=2), lock=lock))


def test_before_due_nothing() -> None:
    result = run(_campaign(), ROWS, now=DUE - timedelta(hours=1))
    assert keys(result) == []
    assert [s.state for s in result.summaries] == ["valid", "valid", "not_started"]


def test_late_within_grace_without_times_uses_now() -> None:
    result = run(_campaign(), ROWS, now=DUE + timedelta(days=1))
    assert keys(result) == [
        ("SINHO", None, None, "late", "warning"),
        ("TAMDUONG", None, None, "late", "warning"),
    ]
    message = result.report.findings[0].message
    assert "21/04/2025 17:00" in message and "20/04/2025 17:00" in message


def test_after_lock_and_states() -> None:
    now = DUE + timedelta(days=3)
    times = {
        ("TAMDUONG", "dai_bieu"): UnitTimes(
            last_change_at=DUE - timedelta(days=1), submitted_at=DUE - timedelta(hours=2)
        ),
        ("SINHO", "dai_bieu"): UnitTimes(last_change_at=DUE + timedelta(days=2, hours=1)),
        ("TP", "dai_bieu"): UnitTimes(submitted_at=DUE + timedelta(days=1)),
    }
    result = run(_campaign(), ROWS, now=now, times=times)
    assert keys(result) == [
        ("SINHO", None, None, "after_lock", "error"),
        ("TP", None, None, "late", "warning"),
    ]
    assert result.report.findings[0].message.startswith("Đã khoá sổ lúc 22/04/2025 17:00")
    assert "22/04/2025 18:00" in result.report.findings[0].message
    states = {s.unit: s.state for s in result.summaries}
    assert states == {"TAMDUONG": "submitted_on_time", "SINHO": "locked", "TP": "submitted_late"}


def test_without_lock_a_change_after_grace_is_only_late() -> None:
    change = datetime(2025, 5, 1, 8, 0, tzinfo=TZ)
    times = {("SINHO", "dai_bieu"): UnitTimes(last_change_at=change)}
    result = run(_campaign(lock=False), ROWS, now=change, times=times, units=["SINHO"])
    assert keys(result) == [("SINHO", None, None, "late", "warning")]
    assert result.summaries[0].state == "valid"
