"""The service's resources: campaign, audit database, queue, store, lookup, rate limiter.

Settings come from the environment (`THIDUA_*`) and are overridden by the app config.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from sync import i18n
from sync.audit import campaign_url, checked_forms, open_engine
from sync.audit.frames import SharedSheetCache
from sync.audit.jobs import JobStore
from sync.campaign import load_campaign
from sync.errors import ConfigError
from sync.links import campaign_secret
from sync.operations import Workspace, warm_cache
from sync.operations.jobs import JobRunner
from sync.operations.workspace import audit_states
from sync.stores import Store, open_store
from sync.stores.capabilities import KnowsSpreadsheetIds

from .queue.worker import Worker
from .ratelimit import TokenBucket
from .units import SpreadsheetIndex

log = logging.getLogger("thidua.service")

DEFAULTS: dict[str, Any] = {
    "CAMPAIGN": None,
    "SECRET": None,
    "DATABASE_URL": None,
    "REDIS_URL": None,
    "REDIS_QUEUE": "thidua",
    "DEBOUNCE_SECONDS": 3.0,
    "CONSOLIDATE_DEBOUNCE_SECONDS": 60.0,
    "MAX_BODY": 16 * 1024,
    "RATE_PER_MINUTE": 30.0,
    "JOB_LEASE_SECONDS": 300.0,
    "POLL_SECONDS": 0.2,
    "WORKER_THREADS": 4,  # jobs of different spreadsheets run in parallel
    "WORKER": "thread",  # thread | none (tests drive `service.worker.tick()` themselves)
    "STORE": None,  # a Store instance (tests); default open_store(campaign)
    "COOKIE_SECURE": None,  # None: Secure cookies; `serve` on loopback HTTP turns it off
    "SESSION_HOURS": 12.0,
    "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
}
_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {
    "CAMPAIGN": ("THIDUA_CAMPAIGN", str),
    "SECRET": ("THIDUA_SECRET", str),
    "DATABASE_URL": ("THIDUA_DATABASE_URL", str),
    "REDIS_URL": ("THIDUA_REDIS_URL", str),
    "REDIS_QUEUE": ("THIDUA_RQ_QUEUE", str),
    "DEBOUNCE_SECONDS": ("THIDUA_DEBOUNCE_SECONDS", float),
    "CONSOLIDATE_DEBOUNCE_SECONDS": ("THIDUA_CONSOLIDATE_DEBOUNCE_SECONDS", float),
    "MAX_BODY": ("THIDUA_MAX_BODY", int),
    "RATE_PER_MINUTE": ("THIDUA_RATE_PER_MINUTE", float),
    "JOB_LEASE_SECONDS": ("THIDUA_JOB_LEASE_SECONDS", float),
    "POLL_SECONDS": ("THIDUA_POLL_SECONDS", float),
    "WORKER_THREADS": ("THIDUA_WORKER_THREADS", int),
    "WORKER": ("THIDUA_WORKER", str),
    "COOKIE_SECURE": ("THIDUA_COOKIE_SECURE", lambda v: v.strip().lower() in ("1", "true", "yes")),
    "SESSION_HOURS": ("THIDUA_SESSION_HOURS", float),
    "UPLOAD_MAX_BYTES": ("THIDUA_UPLOAD_MAX_BYTES", int),
}


def settings_from_env() -> dict[str, Any]:
    """DEFAULTS overridden by THIDUA_* environment variables."""
    out = dict(DEFAULTS)
    for key, (var, kind) in _ENV.items():
        raw = os.environ.get(var)
        if raw:
            try:
                out[key] = kind(raw)
            except ValueError:
                raise ConfigError(i18n.t("service.bad_env", var=var, raw=raw)) from None
    return out


class Service:
    """Everything the blueprints and workers share (one per app / worker process)."""

    def __init__(self, config: dict[str, Any]) -> None:
        if not config.get("CAMPAIGN"):
            raise ConfigError(i18n.t("service.no_campaign"))
        self.config = config
        self.campaign = load_campaign(config["CAMPAIGN"])
        self.secret: str = config.get("SECRET") or campaign_secret(self.campaign.base_dir)
        self.database_url = campaign_url(self.campaign, config.get("DATABASE_URL"))
        self.engine = open_engine(self.database_url)
        self.jobs = JobStore(
            self.engine,
            self.campaign.id,
            debounce=float(config["DEBOUNCE_SECONDS"]),
            consolidate_debounce=float(config["CONSOLIDATE_DEBOUNCE_SECONDS"]),
            lease=float(config["JOB_LEASE_SECONDS"]),
        )
        self._store: Store | None = config.get("STORE")
        self._workspace: Workspace | None = None
        ids = self.store if isinstance(self.store, KnowsSpreadsheetIds) else None
        self.index = SpreadsheetIndex(
            self.campaign,
            recorded=ids.spreadsheet_ids() if ids is not None else None,
            refresh=ids.spreadsheet_ids if ids is not None else None,
        )
        self.limiter = TokenBucket(float(config["RATE_PER_MINUTE"]), 60.0)
        # units' last read sheets, shared by every worker: one read per event, warm start
        self.sheets = SharedSheetCache(self.engine, self.campaign.id)
        self.runner = JobRunner(self.workspace, self.jobs)
        self.warmed = threading.Event()
        self._all_checked = False
        executor = None
        if config.get("REDIS_URL"):
            from sync.operations import rq

            executor = rq.executor(
                str(self.campaign.source),
                self.jobs,
                rq.connect(config["REDIS_URL"]),
                config["REDIS_QUEUE"],
            )
        self.worker = Worker(
            self,
            poll=float(config["POLL_SECONDS"]),
            executor=executor,
            threads=int(config.get("WORKER_THREADS") or 1),
        )

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.campaign)
        return self._store

    @property
    def workspace(self) -> Workspace:
        """What the operations act on: this campaign, its store, its audit states, the
        sheet cache."""
        if self._workspace is None:
            self._workspace = Workspace(
                self.campaign, self.store, audit_states(self.engine, self.campaign), self.sheets
            )
        return self._workspace

    def start(self) -> None:
        if self.config.get("WORKER", "thread") == "thread":
            self.worker.start()
            threading.Thread(target=self.warm, name="thidua-warm", daemon=True).start()

    def warm(self) -> None:
        """Read every unit no worker holds yet into the shared frames, so the first events
        read one unit (a new worker finds the others' frames and reads nothing)."""
        try:
            warm_cache(self.workspace)
        except Exception as exc:  # the first events will read what is missing
            log.warning("cache warm-up failed: %s", type(exc).__name__)
        finally:
            self.warmed.set()

    def ensure_checked(self) -> bool:
        """Schedule a consolidation due now when some unit has never been checked (the
        dashboard shows the last recorded check). True when everything has been."""
        if self._all_checked:
            return True
        expected = len(self.campaign.units) * len(self.campaign.forms)
        checked = checked_forms(self.engine, self.campaign.id)
        if checked >= expected:
            self._all_checked = True
            return True
        self.jobs.schedule_consolidation(now=time.time() - self.jobs.consolidate_debounce)
        return False

    def close(self) -> None:
        self.worker.stop()
        self.engine.dispose()
