"""Scale-out: jobs run by RQ workers (`thidua worker CAMPAIGN`) over Redis + PostgreSQL.

The service's dispatcher still turns events into jobs in the database; due jobs are marked
`enqueued` and handed to RQ (`executor`). A worker process (no web part) takes a Redis
lock per spreadsheet (shared by every worker process), then claims the job in the
database (which also checks order and the database lease), so one spreadsheet's jobs never
run at once and run in id order.

Leases are short (`THIDUA_JOB_LEASE_SECONDS`, 20 s like the service) and renewed while the
job runs by the same heartbeat as the service's worker threads (`Heartbeat`), the Redis
lock with them: a worker killed mid-job holds nothing one lease later, and the service's
dispatcher hands the job to another worker. How long a job may run at most is apart
(`THIDUA_JOB_TIMEOUT_SECONDS`, RQ's job timeout).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis import Redis
from rq import Queue

from .. import i18n
from ..audit import campaign_url, open_engine
from ..audit.jobs import JobStore
from ..campaign import load_campaign
from ..errors import ConfigError
from ..shared_frames import SharedSheetCache
from ..uploads import Limits
from .jobs import Heartbeat, JobRunner, worker_id
from .workspace import open_workspace

log = logging.getLogger(__name__)
DEFAULT_QUEUE = "thidua"
DEFAULT_LEASE = 20.0
DEFAULT_TIMEOUT = 1800
"""RQ's job timeout (seconds): a job running longer is stopped and retried later."""


def queue_name() -> str:
    return os.environ.get("THIDUA_RQ_QUEUE", DEFAULT_QUEUE)


def connect(url: str) -> Redis:
    return Redis.from_url(url)


def executor(
    campaign_path: str, jobs: JobStore, redis: Redis, name: str
) -> Callable[[int, str], None]:
    """The dispatcher's hand-off: enqueue `process_job` for a due job."""
    queue = Queue(name, connection=redis)
    timeout = job_timeout()

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


@dataclass
class _Host:
    """One campaign in a worker process: its queue, runner and Redis."""

    jobs: JobStore
    runner: JobRunner
    redis_url: str
    queue: str


_hosts: dict[tuple[str, str], _Host] = {}


def job_timeout() -> int:
    """How long one RQ job may run (THIDUA_JOB_TIMEOUT_SECONDS), independent of leases."""
    return int(_seconds("THIDUA_JOB_TIMEOUT_SECONDS", DEFAULT_TIMEOUT))


def _seconds(var: str, default: float) -> float:
    raw = os.environ.get(var)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(i18n.t("service.bad_env", var=var, raw=raw)) from None


def _host(campaign_path: str) -> _Host:
    """One host per worker process and campaign, from THIDUA_* settings."""
    key = (campaign_path, os.environ.get("THIDUA_DATABASE_URL", ""))
    if key not in _hosts:
        campaign = load_campaign(campaign_path)
        engine = open_engine(campaign_url(campaign))
        jobs = JobStore(
            engine,
            campaign.id,
            debounce=_seconds("THIDUA_DEBOUNCE_SECONDS", 3.0),
            consolidate_debounce=_seconds("THIDUA_CONSOLIDATE_DEBOUNCE_SECONDS", 60.0),
            lease=_seconds("THIDUA_JOB_LEASE_SECONDS", DEFAULT_LEASE),
        )
        # frames shared in the database: each job runs in a fresh work-horse process, which
        # starts warm instead of re-reading every unit
        ws = open_workspace(campaign, engine=engine, cache=SharedSheetCache(engine, campaign.id))
        limits = Limits(max_bytes=int(_seconds("THIDUA_UPLOAD_MAX_BYTES", Limits.max_bytes)))
        _hosts[key] = _Host(
            jobs,
            JobRunner(ws, jobs, limits),
            os.environ.get("THIDUA_REDIS_URL", ""),
            queue_name(),
        )
    return _hosts[key]


def process_job(campaign_path: str, job_id: int, unit: str) -> dict[str, Any]:
    """RQ entry point: run one database job under the spreadsheet's Redis lock."""
    host = _host(campaign_path)
    worker = worker_id()
    redis = connect(host.redis_url)
    lease = host.jobs.lease
    lock = redis.lock(
        f"thidua:lock:{host.jobs.campaign}:{unit}",
        timeout=lease,
        blocking_timeout=lease,
        thread_local=False,  # the heartbeat thread renews it
    )
    if not lock.acquire():
        return _requeue(host, redis, campaign_path, job_id, unit, "lock busy")
    host.jobs.hold(worker)  # the heartbeat renews this worker's job and locks…
    beat = Heartbeat(host.jobs, also=lock.reacquire).start()  # …and the Redis lock
    try:
        job = host.jobs.claim_job(job_id, unit, worker, statuses=("enqueued", "pending"))
        if job is None:
            status = host.jobs.status_of(job_id)
            if status in ("enqueued", "pending"):
                return _requeue(host, redis, campaign_path, job_id, unit, "earlier job active")
            return {"job": job_id, "skipped": status}
        host.runner.execute(job, worker)
        return {"job": job_id, "status": host.jobs.status_of(job_id)}
    finally:
        beat.stop()
        host.jobs.unhold(worker)
        try:
            lock.release()
        except Exception:  # lock expired meanwhile: the database lease still protects
            log.warning("redis lock for %s expired before release", unit)


def _requeue(
    host: _Host, redis: Redis, campaign_path: str, job_id: int, unit: str, why: str
) -> dict[str, Any]:
    time.sleep(0.05)
    Queue(host.queue, connection=redis).enqueue(
        process_job, campaign_path, job_id, unit, job_timeout=job_timeout()
    )
    return {"job": job_id, "requeued": why}
