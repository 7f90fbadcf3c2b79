"""Scale-out: jobs run by RQ workers (`thidua worker CAMPAIGN`) over Redis + PostgreSQL.

The service's dispatcher still turns events into jobs in the database; due jobs are marked
`enqueued` and handed to RQ. A worker takes a Redis lock per spreadsheet (shared by every
worker process), then claims the job in the database (which also checks order and the
database lease), so one spreadsheet's jobs never run at once and run in id order.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis import Redis
from rq import Queue

if TYPE_CHECKING:
    from ..service import Service

log = logging.getLogger(__name__)
DEFAULT_QUEUE = "thidua"
JOB_TIMEOUT = 600
"""RQ's hard limit for one job; leases are short and renewed while it runs."""
_services: dict[tuple[str, str], Service] = {}


def queue_name() -> str:
    return os.environ.get("THIDUA_RQ_QUEUE", DEFAULT_QUEUE)


def connect(url: str) -> Redis:
    return Redis.from_url(url)


def executor(service: Service, redis: Redis, name: str) -> Callable[[int, str], None]:
    """The dispatcher's hand-off: enqueue `process_job` for a due job."""
    queue = Queue(name, connection=redis)
    campaign_path = str(service.campaign.source)
    timeout = JOB_TIMEOUT

    def enqueue(job_id: int, unit: str) -> None:
        queue.enqueue(
            process_job,
            campaign_path,
            job_id,
            unit,
            job_timeout=timeout,
            result_ttl=300,
            failure_ttl=86400,
        )

    return enqueue


def _service(campaign_path: str) -> Service:
    """One service per worker process and campaign (no embedded worker thread)."""
    from ..service import Service, settings_from_env

    key = (campaign_path, os.environ.get("THIDUA_DATABASE_URL", ""))
    if key not in _services:
        config = settings_from_env()
        config.update(CAMPAIGN=campaign_path, WORKER="none")
        _services[key] = Service(config)
    return _services[key]


def process_job(campaign_path: str, job_id: int, unit: str) -> dict[str, Any]:
    """RQ entry point: run one database job under the spreadsheet's Redis lock."""
    from .worker import Worker

    svc = _service(campaign_path)
    worker = Worker(svc)
    redis = connect(svc.config["REDIS_URL"])
    lease = svc.jobs.lease
    lock = redis.lock(
        f"thidua:lock:{svc.campaign.id}:{unit}", timeout=lease, blocking_timeout=lease
    )
    if not lock.acquire():
        return _requeue(svc, redis, campaign_path, job_id, unit, "lock busy")
    beat = _Heartbeat(svc, worker.id, lock)
    try:
        job = svc.jobs.claim_job(job_id, unit, worker.id, statuses=("enqueued", "pending"))
        if job is None:
            status = svc.jobs.status_of(job_id)
            if status in ("enqueued", "pending"):
                return _requeue(svc, redis, campaign_path, job_id, unit, "earlier job active")
            return {"job": job_id, "skipped": status}
        worker.execute(job)
        return {"job": job_id, "status": svc.jobs.status_of(job_id)}
    finally:
        beat.stop()
        try:
            lock.release()
        except Exception:  # lock expired meanwhile: the database lease still protects
            log.warning("redis lock for %s expired before release", unit)


def _requeue(
    svc: Service, redis: Redis, campaign_path: str, job_id: int, unit: str, why: str
) -> dict[str, Any]:
    time.sleep(0.05)
    Queue(svc.config["REDIS_QUEUE"], connection=redis).enqueue(
        process_job, campaign_path, job_id, unit, job_timeout=JOB_TIMEOUT
    )
    return {"job": job_id, "requeued": why}


class _Heartbeat:
    """Renews the database lease of `holder` and the Redis lock every lease / 3 seconds
    while a job runs in this RQ work-horse."""

    def __init__(self, svc: Service, holder: str, lock: Any) -> None:
        self.svc = svc
        self.lock = lock
        self.stopped = threading.Event()
        svc.jobs.hold(holder)
        self.holder = holder
        self.thread = threading.Thread(target=self._run, name="thidua-rq-heartbeat", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        every = max(0.5, self.svc.jobs.lease / 3)
        while not self.stopped.wait(every):
            try:
                self.svc.jobs.renew()
                self.lock.reacquire()
            except Exception as exc:
                from ..logs import log_error

                log_error("rq heartbeat failed", exc)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.svc.jobs.unhold(self.holder)
