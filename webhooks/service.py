"""The service's resources: campaign, audit database, queue, store, lookup, rate limiter.

Settings come from the environment (`THIDUA_*`) and are overridden by the app config.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync import i18n
from sync.audit import campaign_url, checked_forms, open_engine
from sync.audit.jobs import JobStore
from sync.campaign import Campaign, load_campaign
from sync.errors import ConfigError
from sync.keys import current_key, server_secret
from sync.operations import Workspace, warm_cache
from sync.operations.jobs import JobRunner
from sync.operations.workspace import audit_states
from sync.shared_frames import SharedSheetCache
from sync.stores import Store, open_store
from sync.stores.capabilities import AcceptsUploads, KnowsSpreadsheetIds
from sync.uploads import Limits

from . import logs
from .follow import Follower
from .logs import log_error, log_event, register_secret
from .queue.handlers import JobHandler
from .queue.worker import Worker
from .ratelimit import event_limiter
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
    "JOB_LEASE_SECONDS": 20.0,  # renewed every third of it while held (heartbeat)
    "POLL_SECONDS": 0.2,
    "WORKER_THREADS": 4,  # jobs of different spreadsheets run in parallel
    "WORKER": "thread",  # thread | none (tests drive `service.worker.tick()` themselves)
    "STORE": None,  # a Store instance (tests); default open_store(campaign)
    "COOKIE_SECURE": None,  # None: Secure cookies; `serve` on loopback HTTP turns it off
    "SESSION_HOURS": 12.0,
    "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
    "UPLOAD_LOCK_WAIT": 3.0,  # then the upload is kept and checked by the queue
    "TEMP_MAX_AGE_SECONDS": 60.0,  # leftover temporary files older than this are removed
    "ERROR_LOG_SECONDS": 60.0,  # the same error is logged at most once per this
    "RATE_LIMIT_PREFIX": None,  # Redis keys of the rate limits (default thidua:<campaign>)
    "RELOAD_SECONDS": 2.0,  # the campaign file is looked at most this often (0: never)
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
    "TEMP_MAX_AGE_SECONDS": ("THIDUA_TEMP_MAX_AGE_SECONDS", float),
    "ERROR_LOG_SECONDS": ("THIDUA_ERROR_LOG_SECONDS", float),
    "RATE_LIMIT_PREFIX": ("THIDUA_RATE_LIMIT_PREFIX", str),
    "RELOAD_SECONDS": ("THIDUA_RELOAD_SECONDS", float),
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
        # the server's key: never given to a unit (each unit has its own, see sync.keys)
        self.secret: str = config.get("SECRET") or server_secret(self.campaign.base_dir)
        register_secret(self.secret)
        logs.ERROR_EVERY = float(config.get("ERROR_LOG_SECONDS") or logs.ERROR_EVERY)
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
        self._campaign_lock = threading.RLock()
        self.index = self._spreadsheet_index()
        self.limiter = event_limiter(
            float(config["RATE_PER_MINUTE"]),
            config.get("REDIS_URL"),
            config.get("RATE_LIMIT_PREFIX") or f"thidua:{self.campaign.id}",
        )
        self.handler = JobHandler(self)
        # units' last read sheets, shared by every worker: one read per event, warm start
        self.sheets = SharedSheetCache(self.engine, self.campaign.id)
        self.runner = JobRunner(
            self.workspace,
            self.jobs,
            Limits(max_bytes=int(config.get("UPLOAD_MAX_BYTES") or Limits.max_bytes)),
        )
        self.warmed = threading.Event()
        self._all_checked = False
        executor = None
        if config.get("REDIS_URL"):
            from sync.operations import rq

            executor = rq.executor(
                self.campaign.origin or str(self.campaign.source),
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
        self.follower = Follower(self, float(config.get("RELOAD_SECONDS") or 0))

    def _spreadsheet_index(self) -> SpreadsheetIndex:
        ids = self.store if isinstance(self.store, KnowsSpreadsheetIds) else None
        return SpreadsheetIndex(
            self.campaign,
            recorded=ids.spreadsheet_ids() if ids is not None else None,
            refresh=ids.spreadsheet_ids if ids is not None else None,
        )

    def use_campaign(self, campaign: Campaign) -> None:
        """Run `campaign` from now on (its file changed and passed the check): the store,
        the workspace, the job runner and the spreadsheet index follow. Work already
        running finishes with the campaign it started with."""
        with self._campaign_lock:
            self.campaign = campaign
            if self._store is not None:
                self._store.campaign = campaign
            self._workspace = None
            self.runner.ws = self.workspace
            self.index = self._spreadsheet_index()
            self._all_checked = False

    def check_again(self, units: list[str]) -> None:
        """Queue a check of `units` (their quota, deadline or rules changed: their feedback
        and the dashboard follow) and a consolidation."""
        for unit in units:
            self.jobs.add_event(
                source="service",
                spreadsheet=unit,
                unit=unit,
                kind="check",
                payload={"reason": "campaign"},
                digest=None,
            )
        self.jobs.schedule_consolidation()

    def unit_key(self, unit_id: str) -> str:
        """The key that verifies `unit_id`'s signed requests now."""
        key = current_key(self.engine, self.secret, self.campaign.id, unit_id)
        register_secret(key)  # never in a log line
        return key

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
        self.recover()
        if self.config.get("WORKER", "thread") == "thread":
            self.worker.start()
            threading.Thread(target=self.warm, name="thidua-warm", daemon=True).start()

    def recover(self) -> None:
        """After a crash: remove temporary files a killed process left, and queue the
        check of uploads that were kept but not checked yet."""
        from sync import uploads as up

        try:
            removed = up.clean_leftovers(
                self.campaign, older_than=float(self.config.get("TEMP_MAX_AGE_SECONDS") or 0)
            )
            if removed:
                log_event("leftovers removed", files=len(removed))
            if isinstance(self.store, AcceptsUploads):
                for unit in up.pending_units(self.engine, self.campaign.id):
                    self.jobs.add_event(
                        source="web",
                        spreadsheet=unit,
                        unit=unit,
                        kind="upload",
                        payload=None,
                        digest=None,
                    )
                    log_event("upload check queued", unit=unit)
        except Exception as exc:  # the service still starts; /readyz says what is wrong
            log_error("recovery failed", exc)

    def readiness(self) -> list[str]:
        """What keeps the service from working (Vietnamese), empty when ready: the audit
        database accepts writes, the workbook and upload folders are writable."""
        from sync.audit import writable

        problems = []
        if not writable(self.engine):
            problems.append(i18n.t("ready.database_read_only"))
        for folder in self.folders():
            if not folder_writable(folder):
                problems.append(i18n.t("ready.folder_unwritable", folder=folder))
        return problems

    def folders(self) -> list[Path]:
        return service_folders(self.campaign)

    def warm(self) -> None:
        """Read every unit no worker holds yet into the shared frames, so the first events
        read one unit (a new worker finds the others' frames and reads nothing)."""
        try:
            warm_cache(self.workspace)
        except Exception as exc:  # the first events will read what is missing
            log_error("cache warm-up failed", exc, logging.WARNING)
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


def folder_writable(folder: Path) -> bool:
    """True when a file can be created in `folder` (created if missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".thidua-probe-", dir=folder)
        os.close(fd)
        os.unlink(name)
        return True
    except OSError:
        return False


def service_folders(campaign: Campaign) -> list[Path]:
    """Folders the service writes: its own `.thidua`, uploads, and local workbooks."""
    base = campaign.base_dir / ".thidua"
    out = [base]
    if campaign.google is None:
        out += [base / "uploads", campaign.local_path]
    return out


def unwritable_folders(campaign: Campaign) -> list[Path]:
    return [f for f in service_folders(campaign) if not folder_writable(f)]
