"""The embedded worker: threads in the service process over the database queue.

Each tick: re-claim jobs of dead workers, turn quiet event bursts into jobs, then run due
jobs (embedded) or hand them to RQ (scale-out: `executor`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sync.audit.jobs import ClaimedJob, JobStore
from sync.operations.jobs import Heartbeat, JobRunner, worker_id

from ..logs import log_error

log = logging.getLogger(__name__)

CHECK_BATCH = 64
"""At most this many validate jobs are claimed and checked in one pass."""


class Host(Protocol):
    """What a worker works for (the service): the campaign's queue and its job runner."""

    jobs: JobStore
    runner: JobRunner


class Worker:
    """Dispatches and runs jobs; `tick()` once, or `start()` a background thread."""

    def __init__(
        self,
        service: Host,
        poll: float = 0.2,
        executor: Callable[[int, str], None] | None = None,
        threads: int = 1,
    ) -> None:
        self.service = service
        self.poll = poll
        self.executor = executor
        self.threads = max(1, threads)
        self._pool: ThreadPoolExecutor | None = None
        self.id = worker_id()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heartbeat: Heartbeat | None = None

    def tick(self, now: float | None = None) -> int:
        """One round; returns how many jobs were run (or handed to RQ)."""
        jobs = self.service.jobs
        jobs.reclaim(now)
        jobs.dispatch(now)
        if self.executor is not None:
            handed = 0
            for job_id, unit in jobs.due_jobs(now):
                if jobs.mark_enqueued(job_id):
                    self.executor(job_id, unit)
                    handed += 1
            return handed
        done = 0
        while not self._stop.is_set():
            # Claim what is due: a claim never hands out a spreadsheet that has a job
            # running, so the batch holds different spreadsheets and may run at once. The
            # validations of a burst run as ONE pass (each unit read once, the campaign
            # validated once): the cost of a burst stays linear in its size. No more are
            # claimed than the API quota can serve at once (`Store.capacity`).
            limit = max(self.threads, CHECK_BATCH)
            room = self.service.runner.ws.store.capacity()
            if room is not None:
                limit = min(limit, room)
            batch: list[ClaimedJob] = []
            while len(batch) < limit:
                job = jobs.claim(self.id, now)
                if job is None:
                    break
                batch.append(job)
            if not batch:
                break
            checks = [j for j in batch if j.kind == "validate"]
            tasks: list[list[ClaimedJob]] = [[j] for j in batch if j.kind != "validate"]
            if checks:
                tasks.append(checks)
            if len(tasks) == 1:
                self._run(tasks[0])
            else:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="thidua-job")
                list(self._pool.map(self._run, tasks))
            done += len(batch)
        return done

    def _run(self, group: list[ClaimedJob]) -> None:
        if len(group) == 1:
            self.execute(group[0])
        else:
            self.service.runner.execute_checks(group, self.id)

    def execute(self, job: ClaimedJob) -> None:
        """Run a claimed job; record done, or failed with a retry later."""
        self.service.runner.execute(job, self.id)

    def run_until_idle(self, timeout: float = 10.0, now: float | None = None) -> int:
        """Tick until nothing is left to do now (tests, `thidua` commands)."""
        end = time.monotonic() + timeout
        total = 0
        while time.monotonic() < end:
            n = self.tick(now)
            total += n
            if n == 0:
                return total
        return total

    # -- background thread ---------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self.service.jobs.hold(self.id)
        self._thread = threading.Thread(target=self._loop, name="thidua-worker", daemon=True)
        self._thread.start()
        # the leases of what this process holds, renewed every lease / 3 seconds
        self._heartbeat = Heartbeat(self.service.jobs, on_error=log_error).start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
            self.service.jobs.unhold(self.id)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.tick()
            except Exception as exc:  # keep the worker alive; the database may come back
                log_error("worker tick failed", exc)
                busy = 0
            if not busy:
                self._stop.wait(self.poll)
