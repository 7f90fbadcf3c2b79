"""Short leases renewed while held (heartbeat): a live holder keeps its job and lock, a dead
one loses them after one lease; a held lock is never handed to a second holder (SQLite and
PostgreSQL)."""

from __future__ import annotations

import time

from sqlalchemy import select

from sync.audit import open_engine
from sync.audit.jobs import JobStore
from sync.audit.models import Job, Lock


def _store(db_url: str, lease: float = 10.0) -> JobStore:
    return JobStore(open_engine(db_url), "lease-test", debounce=0.0, lease=lease)


def test_a_renewed_job_is_not_reclaimed_and_a_dead_one_is(db_url: str) -> None:
    jobs = _store(db_url)
    t0 = time.time()
    for unit in ("U1", "U2"):
        jobs.add_event(
            source="cli", spreadsheet=unit, unit=unit, kind="edit", payload=None, digest=None
        )
    assert len(jobs.dispatch(now=t0 + 1)) == 2
    alive = jobs.claim("alive", now=t0 + 1)
    dead = jobs.claim("dead", now=t0 + 1)
    assert alive is not None and dead is not None
    jobs.hold("alive")
    assert jobs.renew(now=t0 + 9) == 2  # its job and its lock; "dead" renews nothing
    assert jobs.reclaim(now=t0 + 12) == 1  # only the dead worker's job
    with jobs.engine.connect() as conn:
        rows = dict(conn.execute(select(Job.worker, Job.status)).all())
        locks = dict(conn.execute(select(Lock.holder, Lock.lease_until)).all())
    assert rows == {"alive": "running", None: "pending"}
    assert locks["alive"] == t0 + 19
    # the dead worker's lock expired with its lease: another worker takes the unit
    again = jobs.claim("other", now=t0 + 12)
    assert again is not None and again.unit == dead.unit and again.attempts == 2
    jobs.unhold("alive")
    assert jobs.renew(now=t0 + 13) == 0
    jobs.engine.dispose()


def test_a_held_lock_is_not_given_to_a_second_holder(db_url: str) -> None:
    jobs = _store(db_url)
    assert jobs.acquire("U1", "first", wait=0)
    assert not jobs.acquire("U1", "second", wait=0)
    jobs.release("U1", "first")
    assert jobs.acquire("U1", "second", wait=0)
    jobs.engine.dispose()
