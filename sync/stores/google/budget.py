"""The Sheets API quota as a budget every process shares, not an error to retry.

Google counts read and write requests apart, per user (a service account is one user:
60 a minute) and per project (300 a minute). Each (account, kind) and (project, kind) is a
bucket of N tokens; a spent token returns to its bucket one minute after it was spent, so
no minute ever holds more than N requests — the limit Google enforces. A request reserves
the earliest slot free in both its account's and the project's bucket, on the account that
frees up first, then waits until then: jobs wait for a token instead of meeting 429.

The buckets live where every process of the campaign sees them: Redis when the service
runs with `THIDUA_REDIS_URL`, else the audit database (`google_budget` table); a memory
budget serves one process (tests, benchmarks).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy import Engine

Kind = Literal["read", "write"]
WINDOW = 60.0
MARGIN = 0.5
"""A token comes back a little after the minute: clocks and Google's counting differ."""


@dataclass(frozen=True)
class Limits:
    """Requests a minute: per account and per project, reads and writes apart."""

    reads_per_minute: int = 60
    writes_per_minute: int = 60
    project_reads_per_minute: int = 300
    project_writes_per_minute: int = 300
    margin: float = MARGIN
    """Seconds a spent token stays out after its minute (clocks and Google's counting
    differ; tests with a fast clock widen it)."""

    def account(self, kind: Kind) -> int:
        return self.reads_per_minute if kind == "read" else self.writes_per_minute

    def project(self, kind: Kind) -> int:
        return self.project_reads_per_minute if kind == "read" else self.project_writes_per_minute


def _slot(stamps: Sequence[float], capacity: int, now: float, margin: float = MARGIN) -> float:
    """The earliest time ≥ now (and ≥ the bucket's last reservation) with a token free."""
    live = [s for s in stamps if s > now - WINDOW - margin]
    t = max([now, *live[-1:]])
    if capacity <= 0:
        return float("inf")
    if len(live) >= capacity:
        t = max(t, live[-capacity] + WINDOW + margin)
    return t


def plan(
    buckets: dict[str, list[float]],
    accounts: Sequence[str],
    kind: Kind,
    limits: Limits,
    now: float,
    project: str = "project",
) -> tuple[str, float]:
    """Pick the account and time of the next `kind` request; record it in `buckets`."""
    pkey = f"{project}:{kind}"
    horizon = now - WINDOW - limits.margin
    proj = _slot(buckets.get(pkey, []), limits.project(kind), now, limits.margin)
    best: tuple[float, int, str] | None = None
    for account in accounts:
        mine = buckets.get(f"{account}:{kind}", [])
        at = max(proj, _slot(mine, limits.account(kind), now, limits.margin))
        load = sum(1 for s in mine if s > horizon)
        if best is None or (at, load) < best[:2]:
            best = (at, load, account)  # the first free, then the least used
    assert best is not None
    at, _load, account = best
    for key in (pkey, f"{account}:{kind}"):
        kept = [s for s in buckets.get(key, []) if s > horizon]
        kept.append(at)
        buckets[key] = kept
    return account, at


def available(
    buckets: dict[str, list[float]],
    accounts: Sequence[str],
    kind: Kind,
    limits: Limits,
    now: float,
    project: str = "project",
) -> int:
    """How many `kind` requests can go out now without waiting (reservations ahead count
    as spent)."""

    def used(key: str) -> int:
        return sum(1 for s in buckets.get(key, []) if s > now - WINDOW - limits.margin)

    mine = sum(max(0, limits.account(kind) - used(f"{a}:{kind}")) for a in accounts)
    return min(mine, max(0, limits.project(kind) - used(f"{project}:{kind}")))


def bucket_keys(accounts: Sequence[str], kind: Kind, project: str = "project") -> list[str]:
    return sorted({f"{project}:{kind}", *(f"{a}:{kind}" for a in accounts)})


class Budget:
    """Reserve a request slot: `reserve(kind, accounts)` → (account, seconds to wait)."""

    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.time):
        self.limits = limits or Limits()
        self.clock = clock
        self.waited = 0.0

    def reserve(self, kind: Kind, accounts: Sequence[str]) -> tuple[str, float]:
        now = self.clock()
        account, at = self._reserve(kind, list(accounts), now)
        wait = max(0.0, at - now)
        self.waited += wait
        return account, wait

    def _reserve(self, kind: Kind, accounts: list[str], now: float) -> tuple[str, float]:
        raise NotImplementedError

    def free(self, kind: Kind, accounts: Sequence[str]) -> int:
        """How many `kind` requests would get a token at once."""
        return available(
            self._buckets_of(kind, list(accounts)), accounts, kind, self.limits, self._now()
        )

    def _now(self) -> float:
        return self.clock()

    def _buckets_of(self, kind: Kind, accounts: list[str]) -> dict[str, list[float]]:
        raise NotImplementedError


class MemoryBudget(Budget):
    """One process's buckets (tests, benchmarks, a lone CLI run)."""

    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.time):
        super().__init__(limits, clock)
        self._buckets: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _reserve(self, kind: Kind, accounts: list[str], now: float) -> tuple[str, float]:
        with self._lock:
            return plan(self._buckets, accounts, kind, self.limits, now)

    def _buckets_of(self, kind: Kind, accounts: list[str]) -> dict[str, list[float]]:
        with self._lock:
            return {k: list(v) for k, v in self._buckets.items()}


class DatabaseBudget(Budget):
    """Buckets in the audit database: one row per bucket, updated under a row lock."""

    def __init__(self, engine: Engine, limits: Limits | None = None, prefix: str = "") -> None:
        super().__init__(limits)
        self.engine = engine
        self.prefix = prefix

    def _reserve(self, kind: Kind, accounts: list[str], now: float) -> tuple[str, float]:
        from sqlalchemy import Table, select, update

        from ...audit.models import GoogleBudgetRow

        keys = [self.prefix + k for k in bucket_keys(accounts, kind)]
        table = GoogleBudgetRow.__table__
        assert isinstance(table, Table)
        with self.engine.begin() as conn:
            dialect = conn.dialect.name
            if dialect in ("postgresql", "sqlite"):
                insert: Any
                if dialect == "postgresql":
                    from sqlalchemy.dialects.postgresql import insert
                else:
                    from sqlalchemy.dialects.sqlite import insert
                conn.execute(
                    insert(table)
                    .values([{"bucket": k, "stamps": "[]"} for k in keys])
                    .on_conflict_do_nothing()
                )
            rows = conn.execute(
                select(table.c.bucket, table.c.stamps)
                .where(table.c.bucket.in_(keys))
                .order_by(table.c.bucket)
                .with_for_update()
            ).all()
            found = {r.bucket[len(self.prefix) :]: list(json.loads(r.stamps)) for r in rows}
            account, at = plan(found, accounts, kind, self.limits, now)
            for key, stamps in found.items():
                conn.execute(
                    update(table)
                    .where(table.c.bucket == self.prefix + key)
                    .values(stamps=json.dumps(stamps))
                )
        return account, at

    def _buckets_of(self, kind: Kind, accounts: list[str]) -> dict[str, list[float]]:
        from sqlalchemy import Table, select

        from ...audit.models import GoogleBudgetRow

        table = GoogleBudgetRow.__table__
        assert isinstance(table, Table)
        keys = [self.prefix + k for k in bucket_keys(accounts, kind)]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table.c.bucket, table.c.stamps).where(table.c.bucket.in_(keys))
            ).all()
        return {r.bucket[len(self.prefix) :]: list(json.loads(r.stamps)) for r in rows}


class RedisBudget(Budget):
    """Buckets in Redis (one JSON list per bucket), updated in a WATCH/MULTI transaction;
    the clock is Redis's, so every machine counts the same minute."""

    def __init__(self, redis: Any, limits: Limits | None = None, prefix: str = "thidua:budget:"):
        super().__init__(limits)
        self.redis = redis
        self.prefix = prefix

    def reserve(self, kind: Kind, accounts: Sequence[str]) -> tuple[str, float]:
        seconds, micros = self.redis.time()
        now = float(seconds) + float(micros) / 1e6
        account, at = self._reserve(kind, list(accounts), now)
        wait = max(0.0, at - now)
        self.waited += wait
        return account, wait

    def _reserve(self, kind: Kind, accounts: list[str], now: float) -> tuple[str, float]:
        keys = [self.prefix + k for k in bucket_keys(accounts, kind)]
        out: list[tuple[str, float]] = []

        def attempt(pipe: Any) -> None:
            found = {}
            for key in keys:
                raw = pipe.get(key)
                found[key[len(self.prefix) :]] = json.loads(raw) if raw else []
            chosen = plan(found, accounts, kind, self.limits, now)
            pipe.multi()
            for key, stamps in found.items():
                pipe.set(self.prefix + key, json.dumps(stamps), ex=int(2 * WINDOW))
            out.append(chosen)

        self.redis.transaction(attempt, *keys)
        return out[-1]

    def _now(self) -> float:
        seconds, micros = self.redis.time()
        return float(seconds) + float(micros) / 1e6

    def _buckets_of(self, kind: Kind, accounts: list[str]) -> dict[str, list[float]]:
        out = {}
        for key in bucket_keys(accounts, kind):
            raw = self.redis.get(self.prefix + key)
            out[key] = json.loads(raw) if raw else []
        return out
