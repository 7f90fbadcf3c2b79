"""The durable queue in the audit database: events → debounced jobs → claimed, leased, done.

Intake is one INSERT into `events`. A dispatcher turns pending events into jobs: a burst
of edits of one spreadsheet becomes one `validate` job once the spreadsheet has been quiet
for `debounce` seconds (or the burst is older than `max_wait`); a `submit` event becomes a
`submit` job (absorbing the edits before it). Claims are atomic conditional UPDATEs
(SQLite and PostgreSQL alike); a per-spreadsheet lease row (`locks`) keeps two jobs of one
spreadsheet from running at once, and jobs of one spreadsheet run in id order.

Leases are short (`lease`, 20 s in the service) and renewed while held: a worker's
heartbeat calls `renew()` every `lease / 3` for its own id and for every holder taken with
`acquire` in this process. A job or a lock whose process died is therefore free again
within one lease, and re-claimed then.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from .models import Event, Job, Lock

CONSOLIDATE = "*"
ACTIVE = ("pending", "enqueued", "running")


_CONSOLIDATION_LOCK = threading.Lock()


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker holds (its lease ends at `lease_until`)."""

    id: int
    kind: str
    unit: str
    form: str | None
    attempts: int
    lease_until: float


class JobStore:
    """Queue operations of one campaign over an engine."""

    def __init__(
        self,
        engine: Engine,
        campaign_id: str,
        *,
        debounce: float = 3.0,
        consolidate_debounce: float = 60.0,
        lease: float = 20.0,
        max_attempts: int = 5,
    ) -> None:
        self.engine = engine
        self.campaign = campaign_id
        self.debounce = debounce
        self.max_wait = max(debounce * 10, debounce + 1)
        self.consolidate_debounce = consolidate_debounce
        self.consolidate_max_wait = max(300.0, 10 * consolidate_debounce)
        """A consolidation waits for the checks still coming at most this long."""
        self.lease = lease
        self.enqueued_lease = max(lease, 300.0)
        """A job handed to RQ may wait in Redis that long before it is handed out again."""
        self.max_attempts = max_attempts
        self._held: dict[str, int] = {}
        self._held_lock = threading.Lock()
        self._events = Event.__table__
        self._insert_event = insert(Event).returning(Event.id)

    # -- intake --------------------------------------------------------------------------
    def add_event(
        self,
        *,
        source: str,
        spreadsheet: str,
        unit: str,
        kind: str,
        payload: dict[str, Any] | None,
        digest: str | None,
        form: str | None = None,
        status: str = "pending",
    ) -> tuple[int, bool]:
        """Store an event durably. Returns (event id, duplicate) — a replay is not stored."""
        values = {
            "campaign": self.campaign,
            "received_at": time.time(),
            "source": source,
            "spreadsheet": spreadsheet,
            "unit": unit,
            "kind": kind,
            "form": form,
            "payload": payload,
            "digest": digest,
            "status": status,
        }
        try:
            with self.engine.begin() as conn:
                return int(conn.execute(self._insert_event, values).scalar_one()), False
        except IntegrityError:
            with self.engine.connect() as conn:
                found = conn.execute(select(Event.id).where(Event.digest == digest)).scalar()
            if found is None:
                raise
            return int(found), True

    # -- dispatch ------------------------------------------------------------------------
    def dispatch(self, now: float | None = None) -> list[int]:
        """Turn pending events into jobs (debounced per spreadsheet). Returns new job ids."""
        t = time.time() if now is None else now
        created: list[int] = []
        with self.engine.connect() as conn:
            groups = conn.execute(
                select(Event.unit, func.max(Event.received_at), func.min(Event.received_at))
                .where((Event.campaign == self.campaign) & (Event.status == "pending"))
                .group_by(Event.unit)
            ).all()
        for unit, last, first in groups:
            try:
                created += self._dispatch_unit(unit, last, first, t)
            except _Conflict:
                continue
        return created

    def _dispatch_unit(self, unit: str, last: float, first: float, t: float) -> list[int]:
        created: list[int] = []
        with self.engine.begin() as conn:
            events = conn.execute(
                select(Event.id, Event.kind, Event.form)
                .where(
                    (Event.campaign == self.campaign)
                    & (Event.status == "pending")
                    & (Event.unit == unit)
                )
                .order_by(Event.id)
                .limit(1000)
            ).all()
            batch: list[int] = []
            for event_id, kind, form in events:
                batch.append(event_id)
                if kind == "submit":
                    created.append(self._job(conn, "submit", unit, form, batch, t))
                    batch = []
            quiet = last <= t - self.debounce or first <= t - self.max_wait
            if batch and quiet:
                created.append(self._job(conn, "validate", unit, None, batch, t))
        return created

    def _job(
        self, conn: Any, kind: str, unit: str, form: str | None, events: list[int], t: float
    ) -> int:
        job_id = int(
            conn.execute(
                insert(Job)
                .values(
                    campaign=self.campaign,
                    kind=kind,
                    unit=unit,
                    form=form,
                    status="pending",
                    due_at=t,
                    created_at=t,
                    attempts=0,
                    events=len(events),
                )
                .returning(Job.id)
            ).scalar_one()
        )
        moved = conn.execute(
            update(Event)
            .where(Event.id.in_(events) & (Event.status == "pending"))
            .values(status="queued", job_id=job_id)
        ).rowcount
        if moved != len(events):  # another dispatcher took them: undo this transaction
            raise _Conflict
        return job_id

    def schedule_consolidation(self, now: float | None = None) -> int | None:
        """A consolidation job due after `consolidate_debounce`, unless one is waiting."""
        t = time.time() if now is None else now
        # Check-then-insert must not race: worker threads of this process take a lock;
        # on PostgreSQL worker processes also share a transaction-scoped advisory lock
        # (SQLite transactions here are BEGIN IMMEDIATE, already serialised).
        with _CONSOLIDATION_LOCK, self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                    {"key": f"thidua-consolidate:{self.campaign}"},
                )
            waiting = conn.execute(
                select(Job.id).where(
                    (Job.campaign == self.campaign)
                    & (Job.kind == "consolidate")
                    & (Job.status.in_(("pending", "enqueued")))
                )
            ).first()
            if waiting is not None:
                return None
            return int(
                conn.execute(
                    insert(Job)
                    .values(
                        campaign=self.campaign,
                        kind="consolidate",
                        unit=CONSOLIDATE,
                        status="pending",
                        due_at=t + self.consolidate_debounce,
                        created_at=t,
                        attempts=0,
                        events=0,
                    )
                    .returning(Job.id)
                ).scalar_one()
            )

    # -- claiming ------------------------------------------------------------------------
    def reclaim(self, now: float | None = None) -> int:
        """Jobs whose worker died (lease over) become pending again."""
        t = time.time() if now is None else now
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(Job)
                    .where(
                        (Job.campaign == self.campaign)
                        & Job.status.in_(("running", "enqueued"))
                        & (Job.lease_until < t)
                    )
                    .values(status="pending", worker=None)
                ).rowcount
            )

    def due_jobs(self, now: float | None = None, limit: int = 50) -> list[tuple[int, str]]:
        """(id, unit) of pending jobs that are due, oldest first, first per spreadsheet.

        A consolidation waits while units still have checks coming (events not yet
        dispatched, validate or submit jobs not finished): it would read again what those
        checks are about to read, and be out of date at once. It waits at most
        `consolidate_max_wait` after it was scheduled (edits that never stop)."""
        t = time.time() if now is None else now
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Job.id, Job.unit, Job.created_at)
                .where(
                    (Job.campaign == self.campaign) & (Job.status == "pending") & (Job.due_at <= t)
                )
                .order_by(Job.id)
                .limit(limit)
            ).all()
            if any(
                unit == CONSOLIDATE and created > t - self.consolidate_max_wait
                for _id, unit, created in rows
            ) and self._checks_coming(conn):
                rows = [r for r in rows if r[1] != CONSOLIDATE]
        seen: set[str] = set()
        out = []
        for job_id, unit, _created in rows:
            if unit not in seen:
                seen.add(unit)
                out.append((int(job_id), str(unit)))
        return out

    def _checks_coming(self, conn: Any) -> bool:
        """Some unit has an event waiting for dispatch or a check not finished yet."""
        event = conn.execute(
            select(Event.id)
            .where((Event.campaign == self.campaign) & (Event.status == "pending"))
            .limit(1)
        ).first()
        if event is not None:
            return True
        job = conn.execute(
            select(Job.id)
            .where(
                (Job.campaign == self.campaign) & (Job.unit != CONSOLIDATE) & Job.status.in_(ACTIVE)
            )
            .limit(1)
        ).first()
        return job is not None

    def mark_enqueued(self, job_id: int, now: float | None = None) -> bool:
        """pending → enqueued (handed to RQ); re-claimed like a running job if it gets lost."""
        t = time.time() if now is None else now
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(Job)
                    .where((Job.id == job_id) & (Job.status == "pending"))
                    .values(status="enqueued", lease_until=t + self.enqueued_lease)
                ).rowcount
            )

    def status_of(self, job_id: int) -> str | None:
        with self.engine.connect() as conn:
            found = conn.execute(select(Job.status).where(Job.id == job_id)).scalar()
        return None if found is None else str(found)

    def claim(
        self, worker: str, now: float | None = None, statuses: tuple[str, ...] = ("pending",)
    ) -> ClaimedJob | None:
        """Claim the oldest due job whose spreadsheet is free (lease + lock), or None."""
        t = time.time() if now is None else now
        for job_id, unit in self.due_jobs(t):
            job = self.claim_job(job_id, unit, worker, t, statuses)
            if job is not None:
                return job
        return None

    def claim_job(
        self,
        job_id: int,
        unit: str,
        worker: str,
        now: float | None = None,
        statuses: tuple[str, ...] = ("pending",),
    ) -> ClaimedJob | None:
        """Claim one job if it is the oldest active one of its spreadsheet and the lock is free."""
        t = time.time() if now is None else now
        until = t + self.lease
        with self.engine.begin() as conn:
            earlier = conn.execute(
                select(Job.id).where(
                    (Job.campaign == self.campaign)
                    & (Job.unit == unit)
                    & (Job.id < job_id)
                    & Job.status.in_(ACTIVE)
                )
            ).first()
            if earlier is not None or not self._lock(conn, unit, worker, t, until):
                return None
            claimed = conn.execute(
                update(Job)
                .where((Job.id == job_id) & Job.status.in_(statuses))
                .values(
                    status="running",
                    worker=worker,
                    started_at=t,
                    lease_until=until,
                    attempts=Job.attempts + 1,
                )
                .returning(Job.kind, Job.form, Job.attempts)
            ).first()
            if claimed is None:
                self._unlock(conn, unit, worker)
                return None
            return ClaimedJob(job_id, claimed[0], unit, claimed[1], int(claimed[2]), until)

    def _lock_name(self, unit: str) -> str:
        return f"{self.campaign}:{unit}"

    def _lock(self, conn: Any, unit: str, worker: str, t: float, until: float) -> bool:
        name = self._lock_name(unit)
        got = conn.execute(
            update(Lock)
            .where(
                (Lock.name == name)
                & or_(Lock.holder.is_(None), Lock.lease_until < t, Lock.holder == worker)
            )
            .values(holder=worker, lease_until=until)
        ).rowcount
        if got:
            return True
        ins = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = ins(Lock).values(name=name, holder=worker, lease_until=until)
        # RETURNING, not rowcount: PostgreSQL reports -1 for ON CONFLICT DO NOTHING, which
        # read as "got it" while another worker held the lock
        returned = conn.execute(stmt.on_conflict_do_nothing().returning(Lock.name)).first()
        return returned is not None

    def _unlock(self, conn: Any, unit: str, worker: str) -> None:
        conn.execute(
            update(Lock)
            .where(and_(Lock.name == self._lock_name(unit), Lock.holder == worker))
            .values(holder=None, lease_until=0.0)
        )

    def acquire(self, unit: str, worker: str, wait: float = 10.0) -> bool:
        """Take a spreadsheet's lock outside a job (synchronous API calls); False on timeout.
        While held it is renewed with the heartbeat (`renew`)."""
        end = time.time() + wait
        while True:
            t = time.time()
            with self.engine.begin() as conn:
                if self._lock(conn, unit, worker, t, t + self.lease):
                    self.hold(worker)
                    return True
            if t >= end:
                return False
            time.sleep(0.05)

    def release(self, unit: str, worker: str) -> None:
        with self.engine.begin() as conn:
            self._unlock(conn, unit, worker)
        self.unhold(worker)

    # -- heartbeat -----------------------------------------------------------------------
    def hold(self, holder: str) -> None:
        """Renew `holder`'s jobs and locks on every `renew()` until `unhold`."""
        with self._held_lock:
            self._held[holder] = self._held.get(holder, 0) + 1

    def unhold(self, holder: str) -> None:
        with self._held_lock:
            left = self._held.get(holder, 0) - 1
            if left > 0:
                self._held[holder] = left
            else:
                self._held.pop(holder, None)

    def renew(self, now: float | None = None) -> int:
        """Extend the leases of the running jobs and locks held in this process (a
        heartbeat); returns how many rows were renewed."""
        with self._held_lock:
            holders = list(self._held)
        if not holders:
            return 0
        t = time.time() if now is None else now
        until = t + self.lease
        with self.engine.begin() as conn:
            jobs = conn.execute(
                update(Job)
                .where(
                    (Job.campaign == self.campaign)
                    & (Job.status == "running")
                    & Job.worker.in_(holders)
                )
                .values(lease_until=until)
            ).rowcount
            locks = conn.execute(
                update(Lock)
                .where(Lock.holder.in_(holders) & Lock.name.like(f"{self.campaign}:%"))
                .values(lease_until=until)
            ).rowcount
        return max(0, int(jobs)) + max(0, int(locks))

    # -- finishing -----------------------------------------------------------------------
    def finish(self, job: ClaimedJob, worker: str, result: dict[str, Any]) -> bool:
        """Mark done (only if this worker still holds it) and its events processed."""
        t = time.time()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(Job)
                .where((Job.id == job.id) & (Job.status == "running") & (Job.worker == worker))
                .values(status="done", finished_at=t, result=result, lease_until=None)
            ).rowcount
            if done:
                conn.execute(
                    update(Event)
                    .where(Event.job_id == job.id)
                    .values(status="done", processed_at=t)
                )
            self._unlock(conn, job.unit, worker)
        return bool(done)

    def fail(self, job: ClaimedJob, worker: str, error: str) -> None:
        """Retry later with backoff, or give up after `max_attempts`."""
        t = time.time()
        final = job.attempts >= self.max_attempts
        with self.engine.begin() as conn:
            conn.execute(
                update(Job)
                .where((Job.id == job.id) & (Job.worker == worker))
                .values(
                    status="failed" if final else "pending",
                    error=error[:2000],
                    due_at=t + min(60.0, 2.0**job.attempts),
                    finished_at=t if final else None,
                    worker=None,
                )
            )
            self._unlock(conn, job.unit, worker)

    def counts(self) -> dict[str, int]:
        """Jobs per status (readiness and tests)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Job.status, func.count())
                .where(Job.campaign == self.campaign)
                .group_by(Job.status)
            ).all()
        return {str(s): int(n) for s, n in rows}


class _Conflict(Exception):
    """Another dispatcher moved the same events first; the transaction is rolled back."""


def addon_pings(engine: Engine, campaign: str) -> dict[str, float]:
    """unit → when its add-on last reached the service, UNIX seconds: its `ping` (menu
    opened, automatic check switched on) or any other signed add-on event (`source` sheets:
    an add-on that sends edits is installed, whether or not it ever pinged)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.unit, func.max(Event.received_at))
            .where((Event.campaign == campaign) & (Event.source == "sheets"))
            .group_by(Event.unit)
        ).all()
    return {str(unit): float(at) for unit, at in rows}
