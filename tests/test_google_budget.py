"""The Sheets quota as a budget: requests wait for a token instead of meeting 429, several
service accounts share the load, and every process shares the buckets (database, Redis)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from sync.audit import open_engine
from sync.stores.google import GoogleStore, Limits, MemoryBudget
from sync.stores.google.budget import DatabaseBudget, RedisBudget, plan
from tests.fake_google import FakeGoogle
from tests.google_driver import make_google_store
from tests.test_google_store import google_campaign


class Clock:
    """One clock for the fake server, the budget and the store's sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def quota_store(tmp_path: Path, per_minute: int, accounts: int = 1) -> tuple[GoogleStore, Clock]:
    clock = Clock()
    fake = FakeGoogle(clock=clock)
    store = make_google_store(google_campaign(tmp_path), tmp_path, fake)
    for unit in store.campaign.units:
        store.provision(unit)
    fake.reset_counts()
    fake.quotas.per_user, fake.quotas.per_project = per_minute, 300
    budget = MemoryBudget(Limits(per_minute, per_minute, 300, 300), clock=clock)
    limited = make_google_store(
        store.campaign, tmp_path, fake, accounts=accounts, budget=budget, sleep=clock.sleep
    )
    return limited, clock


def test_reads_over_the_per_user_quota_wait_for_a_token_and_meet_no_429(tmp_path: Path) -> None:
    store, clock = quota_store(tmp_path, per_minute=2)
    fake: FakeGoogle = store.fake  # type: ignore[attr-defined]
    units = store.campaign.units
    assert len(units) == 3
    for unit in units:
        assert store.read_unit(unit).problem is None
    assert fake.reads() == 3 and fake.refused() == 0
    assert sum(clock.slept) == pytest.approx(60.5)  # the third read waits a minute
    assert store.http.refused == 0


def test_two_service_accounts_share_the_load(tmp_path: Path) -> None:
    store, clock = quota_store(tmp_path, per_minute=2, accounts=2)
    fake: FakeGoogle = store.fake  # type: ignore[attr-defined]
    for unit in store.campaign.units:
        store.read_unit(unit)
    assert fake.refused() == 0 and clock.slept == []
    assert sorted(fake.users.values()) == [1, 2]  # both accounts read


def test_writes_have_their_own_budget(tmp_path: Path) -> None:
    limits = Limits(reads_per_minute=1, writes_per_minute=2)
    buckets: dict[str, list[float]] = {}
    got = [plan(buckets, ["a"], "read", limits, now=0.0)[1] for _ in range(2)]
    assert got == [0.0, 60.5]
    assert plan(buckets, ["a"], "write", limits, now=0.0) == ("a", 0.0)


def test_the_project_limit_caps_all_accounts(tmp_path: Path) -> None:
    limits = Limits(10, 10, project_reads_per_minute=3)
    buckets: dict[str, list[float]] = {}
    got = [plan(buckets, ["a", "b"], "read", limits, now=0.0) for _ in range(4)]
    assert [at for _, at in got] == [0.0, 0.0, 0.0, 60.5]
    assert {a for a, _ in got[:2]} == {"a", "b"}  # the account that frees up first


def test_database_budget_is_shared_by_processes(db_url: str) -> None:
    engine = open_engine(db_url)
    limits = Limits(2, 2, 300, 300)
    first, second = DatabaseBudget(engine, limits), DatabaseBudget(engine, limits)
    waits = [b.reserve("read", ["sa@x"])[1] for b in (first, second, first)]
    assert waits[:2] == [0.0, 0.0]
    assert 59.0 < waits[2] <= 60.5
    assert second.reserve("write", ["sa@x"])[1] == 0.0
    engine.dispose()


def test_redis_budget_is_shared_by_processes(redis_url: str) -> None:
    import redis

    conn = redis.Redis.from_url(redis_url)
    prefix = f"thidua-test:{uuid.uuid4().hex}:"
    limits = Limits(2, 2, 300, 300)
    first, second = RedisBudget(conn, limits, prefix), RedisBudget(conn, limits, prefix)
    try:
        waits = [b.reserve("read", ["sa@x"])[1] for b in (first, second, first)]
        assert waits[:2] == [0.0, 0.0]
        assert 59.0 < waits[2] <= 60.5
    finally:
        for key in conn.scan_iter(prefix + "*"):
            conn.delete(key)


def test_backend_lists_several_service_accounts_and_its_quota(tmp_path: Path) -> None:
    from sync.errors import ConfigError
    from sync.stores import open_store

    campaign = google_campaign(
        tmp_path, "  credentials: [sa-1.json, sa-2.json]\n  quota: {reads_per_minute: 50}\n"
    )
    assert campaign.google is not None
    assert campaign.google.credential_files == ["sa-1.json", "sa-2.json"]
    assert campaign.google.quota.reads_per_minute == 50
    assert campaign.google.quota.writes_per_minute == 60
    with pytest.raises(ConfigError, match=r"sa-1\.json"):
        open_store(campaign)


def test_capacity_is_what_the_budget_lets_out_at_once(tmp_path: Path) -> None:
    store, clock = quota_store(tmp_path, per_minute=2)
    units = store.campaign.units
    assert store.capacity() == 2
    store.read_unit(units[0])
    assert store.capacity() == 1  # one read left this minute (writes: two)
    store.read_unit(units[1])
    assert store.capacity() == 0  # the service claims no validation until a token returns
    clock.now += 61
    assert store.capacity() == 2
