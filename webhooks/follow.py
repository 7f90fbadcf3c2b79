"""The service follows its campaign file: when the file changes (settings page, an editor,
Excel), the new campaign is checked like `thidua check` and, when it passes, used from the
next request on — no restart. A change that fails the check is not applied: the previous
campaign keeps running and the dashboard shows why (`Follower.refused`).

Cheap: at most every `RELOAD_SECONDS` (default 2) a request or the scheduler looks at the
file's size and modification time; only when they moved is the file read and hashed, and
only a new content is loaded. Every reload, applied or refused, is an audit event
(`reload`, `reload_refused`).

See docs/web.md, Settings.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sync import i18n
from sync.campaign import Campaign, load_campaign
from sync.errors import ConfigError, ConfigIssue

from .logs import log_error, log_event


class Runs(Protocol):
    """What the follower needs of the service (no import of `webhooks.service`: no cycle)."""

    campaign: Campaign
    jobs: Any

    def use_campaign(self, campaign: Campaign) -> None: ...

    def check_again(self, units: list[str]) -> None: ...


log = logging.getLogger(__name__)

RELOADED = "reloaded"
REFUSED = "refused"


@dataclass(frozen=True)
class Refusal:
    """A campaign file the service did not apply, and why (the messages of `check`)."""

    digest: str
    at: float
    issues: list[str] = field(default_factory=list)


def issue_text(issue: ConfigIssue, file: Path) -> str:
    """An issue as `thidua check` prints it, with the file's name instead of its path."""
    if issue.file and Path(issue.file).name == file.name:
        issue = replace(issue, file=file.name)
    return str(issue)


def _stat(file: Path) -> tuple[int, int] | None:
    try:
        st = file.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _digest(file: Path) -> str | None:
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError:
        return None


def changed_units(old: Campaign, new: Campaign) -> list[str]:
    """Units whose checks may change: added or changed units, and every unit of a form
    whose definition (deadline, grace, rules…) changed."""
    before = {u.id: u for u in old.units}
    out = {u.id for u in new.units if before.get(u.id) != u}
    old_forms = {f.id: f for f in old.forms}
    for form in new.forms:
        if old_forms.get(form.id) != form:
            out.update(u.id for u in new.units_for(form.id))
    if old.policies != new.policies:
        out.update(u.id for u in new.units)
    return [u.id for u in new.units if u.id in out]


class Follower:
    """Reloads the service's campaign when its file changes."""

    def __init__(self, service: Runs, every: float = 2.0) -> None:
        self.service = service
        self.file = service.campaign.source
        self.every = every
        self.follows = self.file.is_file()
        """False for a campaign read from elsewhere (a Google Sheet): no file to follow."""
        self.refused: Refusal | None = None
        self._lock = threading.Lock()
        self._next = time.monotonic() + every
        self._stat = _stat(self.file)
        self.digest = _digest(self.file) or ""
        self.loaded_at = time.time()

    def check(self, *, force: bool = False) -> str | None:
        """Look at the file (at most every `every` seconds unless `force`); returns
        RELOADED, REFUSED or None (nothing new)."""
        now = time.monotonic()
        if not self.follows or (not force and (self.every <= 0 or now < self._next)):
            return None
        if not self._lock.acquire(blocking=force):
            return None  # another thread is looking right now
        try:
            self._next = now + max(self.every, 0.0)
            stat = _stat(self.file)
            if stat == self._stat and not force:
                return None
            self._stat = stat
            digest = _digest(self.file)
            if digest is None:
                return self._refuse("", [i18n.t("settings.file_missing", file=self.file.name)])
            if digest == self.digest:
                self.refused = None  # back to what runs (a bad change was undone)
                return None
            if self.refused is not None and self.refused.digest == digest:
                return None
            return self._load(digest)
        except Exception as exc:  # never break a request over this; try again later
            log_error("campaign reload failed", exc)
            return None
        finally:
            self._lock.release()

    def _load(self, digest: str) -> str:
        try:
            new = load_campaign(self.file)
        except ConfigError as exc:
            return self._refuse(digest, [issue_text(i, self.file) for i in exc.issues])
        old = self.service.campaign
        problem = _incompatible(old, new)
        if problem:
            return self._refuse(digest, [problem])
        units = changed_units(old, new)
        self.service.use_campaign(new)
        self.digest = digest
        self.loaded_at = time.time()
        self.refused = None
        self._record(
            "reload",
            {
                "file": self.file.name,
                "digest": digest[:16],
                "units": len(new.units),
                "forms": len(new.forms),
                "checked": units,
            },
        )
        log_event("campaign reloaded", file=self.file.name, units=len(units))
        self.service.check_again(units)
        return RELOADED

    def _refuse(self, digest: str, issues: list[str]) -> str:
        self.refused = Refusal(digest=digest, at=time.time(), issues=issues)
        self._record(
            "reload_refused", {"file": self.file.name, "digest": digest[:16], "issues": issues}
        )
        log_event(
            "campaign reload refused", logging.WARNING, file=self.file.name, issues=len(issues)
        )
        return REFUSED

    def _record(self, kind: str, payload: dict[str, Any]) -> None:
        self.service.jobs.add_event(
            source="service",
            spreadsheet="",
            unit="",
            kind=kind,
            payload=payload,
            digest=None,
            status="done",
        )


def _incompatible(old: Campaign, new: Campaign) -> str | None:
    """What a running service cannot switch to (its database and sheets belong to the
    campaign it started with): another campaign id or another place for the sheets."""
    if new.id != old.id:
        return i18n.t("settings.reload_other_campaign", old=old.id, new=new.id)
    if new.backend != old.backend:
        return i18n.t("settings.reload_other_backend")
    return None
