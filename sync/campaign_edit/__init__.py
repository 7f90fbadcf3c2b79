"""Change a running campaign's file: the values that change during a campaign (a unit's
quota, staff, editors and level; a form's due date and grace; a new unit), written back
in place — YAML keeping its comments and layout — atomically, and only when the edited
campaign passes the same check as `thidua check`.

    result = edit_campaign(path, [UnitEdit("TP-LAICHAU", quotas={"dai_bieu": "15"})],
                           expected=digest_seen_by_the_organiser)

Raises `ConfigError` (the issues `check` would print, naming the real file) or
`CampaignFileChanged` (the file changed since `expected`); nothing is written then.

See docs/web.md, Settings.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import i18n
from ..campaign import Campaign, load_campaign
from ..errors import ConfigError, ConfigIssue, ThiduaError
from .edits import (
    Change,
    Edit,
    FormEdit,
    NewUnit,
    UnitEdit,
    parse_editors,
    parse_quota,
    parse_whole,
)
from .xlsx_file import apply_xlsx
from .yaml_file import apply_yaml

try:  # POSIX advisory locks; elsewhere only the in-process lock applies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "CampaignFileChanged",
    "Change",
    "Edit",
    "EditResult",
    "FormEdit",
    "NewUnit",
    "UnitEdit",
    "edit_campaign",
    "file_digest",
    "parse_editors",
    "parse_quota",
    "parse_whole",
]

LOCK_TIMEOUT = 15.0
_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


class CampaignFileChanged(ThiduaError):
    """The campaign file changed since the organiser read it: nothing was written."""


@dataclass
class EditResult:
    """What a save did: the changes (old → new), the digest of the file now, the campaign
    as checked (its `source` is the campaign file)."""

    changes: list[Change]
    digest: str
    campaign: Campaign | None = None
    written: bool = False
    notes: list[str] = field(default_factory=list)


def file_digest(path: Path) -> str:
    """sha256 of the file's bytes (what the organiser saw; what the service runs)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def campaign_path(path: str | Path) -> Path:
    """The campaign file itself (a folder means its `campaign.yaml`)."""
    file = Path(path)
    return file / "campaign.yaml" if file.is_dir() else file


def edit_campaign(
    path: str | Path, edits: Sequence[Edit], *, expected: str | None = None
) -> EditResult:
    """Apply `edits` to the campaign file, check the result like `thidua check`, and
    replace the file atomically. Nothing is written when nothing changed, when the result
    does not pass the check (ConfigError) or when the file is not the one the organiser
    saw (`expected` digest; CampaignFileChanged)."""
    file = campaign_path(path)
    with _file_lock(file):
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise ConfigError(
                i18n.t("settings.cannot_read", file=file.name, reason=exc.strerror or exc)
            ) from None
        digest = hashlib.sha256(raw).hexdigest()
        if expected is not None and expected != digest:
            raise CampaignFileChanged(i18n.t("settings.file_changed", file=file.name))
        suffix = file.suffix.lower()
        if suffix in (".yaml", ".yml"):
            text, changes = apply_yaml(raw, edits)
            data = text.encode("utf-8")
        elif suffix == ".xlsx":
            data, changes = apply_xlsx(file, edits)
        else:
            raise ConfigError(i18n.t("settings.unsupported_format", file=file.name))
        if not changes:
            return EditResult([], digest)
        campaign = _checked(file, data)
        _replace(file, data)
        return EditResult(changes, hashlib.sha256(data).hexdigest(), campaign, written=True)


def _checked(file: Path, data: bytes) -> Campaign:
    """The campaign `data` would be, checked by the loader from a temporary file beside
    `file` (relative template paths resolve the same); issues name `file`."""
    fd, name = tempfile.mkstemp(prefix=f".{file.stem}.check-", suffix=file.suffix, dir=file.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            campaign = load_campaign(tmp)
        except ConfigError as exc:
            raise ConfigError([_renamed(i, tmp, file) for i in exc.issues]) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return replace(campaign, source=file.resolve())


def _renamed(issue: ConfigIssue, tmp: Path, file: Path) -> ConfigIssue:
    if issue.file and Path(issue.file).name == tmp.name:
        return replace(issue, file=str(file))
    return issue


def _replace(file: Path, data: bytes) -> None:
    """Write `data` to a temporary file in the same folder, flush it to disk, then
    os.replace: readers (the service, Excel) never see half a file."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{file.stem}.", suffix=".tmp", dir=file.parent)
    except OSError as exc:
        raise ConfigError(
            i18n.t("settings.cannot_write", file=file.name, reason=exc.strerror or exc)
        ) from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, file.stat().st_mode & 0o777)
        os.replace(tmp, file)
    except OSError as exc:
        raise ConfigError(
            i18n.t("settings.cannot_write", file=file.name, reason=exc.strerror or exc)
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def _file_lock(file: Path) -> Iterator[None]:
    """One writer of the campaign file at a time: a thread lock plus a `.name.lock` flock
    (another service process, `thidua allocate --write`)."""
    key = str(file.resolve())
    with _locks_guard:
        tlock = _locks.setdefault(key, threading.Lock())
    if not tlock.acquire(timeout=LOCK_TIMEOUT):
        raise ConfigError(i18n.t("settings.busy", file=file.name))
    try:
        try:
            fh = file.with_name(f".{file.name}.lock").open("a+b")
        except OSError as exc:
            raise ConfigError(
                i18n.t("settings.cannot_write", file=file.name, reason=exc.strerror or exc)
            ) from None
        with fh:
            if fcntl is not None:
                deadline = time.monotonic() + LOCK_TIMEOUT
                while True:
                    try:
                        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise ConfigError(i18n.t("settings.busy", file=file.name)) from None
                        time.sleep(0.05)
            yield
    finally:
        tlock.release()
