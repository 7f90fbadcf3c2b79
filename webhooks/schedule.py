"""The service's periodic chores, in one small thread started by `init_app`:

- lock `lock: true` forms after `due + grace` (every `LOCK_CHECK_SECONDS`, default 60);
- on the Google backend, renew Drive push channels that expire within an hour (every
  `CHANNEL_RENEW_SECONDS`, default 600);
- e-mail reminders at the points of the campaign's `reminders:` schedule (every
  `REMIND_CHECK_SECONDS`, default 300; a unit is reminded of a form at most once a day);
- follow the campaign file (every `RELOAD_SECONDS`, default 2: `webhooks.follow`), so a
  change is applied even while no page is requested.

Off unless the embedded worker thread runs (`WORKER = "thread"`, so never in the tests
that drive the worker themselves); a setting of 0 turns one chore off.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from sync import clock
from sync.audit.official import unit_deadlines
from sync.locking import lock_overdue
from sync.stores.capabilities import WatchesChanges

from .logs import log_error, log_event

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)

DEFAULTS = {
    "LOCK_CHECK_SECONDS": 60.0,
    "CHANNEL_RENEW_SECONDS": 600.0,
    "REMIND_CHECK_SECONDS": 300.0,
}


def _setting(config: dict[str, Any], key: str) -> float:
    raw = config.get(key, os.environ.get(f"THIDUA_{key}", DEFAULTS[key]))
    try:
        return float(raw)
    except (TypeError, ValueError):
        log.warning("bad %s=%r, using %s", key, raw, DEFAULTS[key])
        return DEFAULTS[key]


class Scheduler:
    """Runs the chores; `tick()` once (tests) or `start()` the thread."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.lock_every = _setting(service.config, "LOCK_CHECK_SECONDS")
        self.renew_every = _setting(service.config, "CHANNEL_RENEW_SECONDS")
        self.remind_every = _setting(service.config, "REMIND_CHECK_SECONDS")
        self.locked: set[tuple[str, str]] = set()
        self.follow_every = service.follower.every
        self._next = {"lock": 0.0, "renew": 0.0, "remind": 0.0, "follow": 0.0}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def lock(self) -> list[tuple[str, str]]:
        svc = self.service
        c = svc.campaign
        found = lock_overdue(
            c, svc.store, clock.now(c.tz), self.locked, unit_deadlines(svc.engine, c)
        )
        for unit, form in found:
            log_event("locked", unit=unit, form=form)
        return found

    def renew(self) -> list[str]:
        svc = self.service
        store = svc.store
        if not isinstance(store, WatchesChanges):
            return []
        report = store.change_channels(svc.engine).renew()
        if report.created or report.failed:
            log_event("channels renewed", created=len(report.created), failed=len(report.failed))
        return report.created

    def remind(self) -> int:
        from .reminders import scheduled

        outcome = scheduled(self.service)
        return 0 if outcome is None else outcome.count("sent")

    def follow(self) -> None:
        self.service.follower.check()

    def tick(self, now: float | None = None) -> None:
        t = time.monotonic() if now is None else now
        for name, every, chore in (
            ("lock", self.lock_every, self.lock),
            ("renew", self.renew_every, self.renew),
            ("remind", self.remind_every, self.remind),
            ("follow", self.follow_every, self.follow),
        ):
            if every <= 0 or t < self._next[name]:
                continue
            self._next[name] = t + every
            try:
                chore()
            except Exception as exc:  # keep the service alive; try again next time
                log_error("chore failed", exc, chore=name)

    def start(self) -> None:
        if (
            self._thread is not None
            or max(self.lock_every, self.renew_every, self.remind_every, self.follow_every) <= 0
        ):
            return
        self._thread = threading.Thread(target=self._loop, name="thidua-schedule", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(1.0)
