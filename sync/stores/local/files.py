"""Workbook files: format sniffing, per-workbook locks, atomic saves keeping formula results."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.workbook import Workbook

from ... import i18n
from ...errors import PermissionDenied, StoreError, WorkbookLocked

try:  # POSIX advisory locks; elsewhere only the in-process lock applies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_TIMEOUT = 15.0
"""Seconds to wait for another process writing the same workbook."""

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

_guard = threading.Lock()
_thread_locks: dict[str, threading.RLock] = {}


def sniff(path: Path) -> str:
    """'xlsx-zip', 'ole2' (encrypted or legacy .xls), 'empty' or 'other' (CSV, text…)."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        return "empty"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    if head.startswith(ZIP_MAGIC):
        return "xlsx-zip"
    return "other"


def owner_file(path: Path) -> Path:
    """Excel's `~$name.xlsx` marker, present while someone has the workbook open."""
    return path.with_name("~$" + path.name)


def _thread_lock(path: Path) -> threading.RLock:
    key = str(path.resolve())
    with _guard:
        return _thread_locks.setdefault(key, threading.RLock())


@contextlib.contextmanager
def workbook_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Serialise writers of one workbook: a per-path thread lock plus a `.name.lock` flock."""
    tlock = _thread_lock(path)
    if not tlock.acquire(timeout=timeout):
        raise WorkbookLocked(_locked_message(path))
    try:
        lock_path = path.with_name(f".{path.name}.lock")
        try:
            fh = lock_path.open("a+b")
        except PermissionError:
            raise PermissionDenied(_readonly_message(path)) from None
        except OSError as exc:
            raise StoreError(
                i18n.t(
                    "local.write_failed_in",
                    workbook=path.name,
                    reason=exc.strerror,
                    folder=path.parent,
                )
            ) from None
        try:
            if fcntl is not None:
                deadline = time.monotonic() + timeout
                while True:
                    try:
                        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise WorkbookLocked(_locked_message(path)) from None
                        time.sleep(0.05)
            yield
        finally:
            fh.close()
    finally:
        tlock.release()


def _locked_message(path: Path) -> str:
    return i18n.t("local.busy", workbook=path.name, seconds=f"{LOCK_TIMEOUT:.0f}")


def _readonly_message(path: Path) -> str:
    return i18n.t("local.read_only_folder", folder=path.parent, workbook=path.name)


def atomic_save(wb: Workbook, path: Path, cached: dict[str, dict[str, Any]] | None = None) -> None:
    """Save to a temp file in the same folder, then os.replace: readers never see half a file.

    `cached` (sheet title → cell ref → value) restores formula results openpyxl drops on
    save, so formulas keep showing (and reading as) their last computed values.
    """
    folder = path.parent
    if not os.access(folder, os.W_OK):
        raise PermissionDenied(_readonly_message(path))
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=folder)
    except PermissionError:
        raise PermissionDenied(_readonly_message(path)) from None
    tmp = Path(tmp_name)
    try:
        os.close(fd)
        wb.save(tmp)
        if cached:
            _restore_cached(tmp, wb, cached)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except PermissionError:
        raise PermissionDenied(_readonly_message(path)) from None
    except OSError as exc:
        raise StoreError(
            i18n.t("local.write_failed", workbook=path.name, reason=exc.strerror or exc)
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# openpyxl writes an empty value as `<v/>` with its own XML writer and as `<v></v>` when
# lxml is installed (python-docx brings it): accept both.
_FORMULA_CELL = re.compile(
    r'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?)><f>([^<]*)</f>(?:<v ?/>|<v></v>)'
)


def _cached_xml(value: Any, epoch: datetime) -> tuple[str, str] | None:
    """(t attribute, <v> text) for a cached formula result."""
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, (int, float)):
        return "n", repr(value)
    if isinstance(value, (datetime, date, dtime, timedelta)):
        return "n", repr(to_excel(value, epoch))
    if isinstance(value, str):
        if value.startswith("#") and value.upper() in _ERRORS:
            return "e", value
        return "str", escape(value)
    return None


_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}


def _restore_cached(tmp: Path, wb: Workbook, cached: dict[str, dict[str, Any]]) -> None:
    """Rewrite the saved sheets so formula cells carry `<v>` cached values again."""
    parts = {
        f"xl/worksheets/sheet{i}.xml": cached.get(ws.title)
        for i, ws in enumerate(wb.worksheets, start=1)
    }
    epoch = wb.epoch
    out = tmp.with_suffix(".cache.tmp")
    try:
        with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                values = parts.get(item.filename)
                if values:

                    def put(match: re.Match[str], values: dict[str, Any] = values) -> str:
                        ref, style, formula = match.groups()
                        xml = _cached_xml(values.get(ref), epoch)
                        if xml is None:
                            return match.group(0)
                        kind, text = xml
                        return f'<c r="{ref}"{style} t="{kind}"><f>{formula}</f><v>{text}</v>'

                    data = _FORMULA_CELL.sub(put, data.decode("utf-8")).encode("utf-8")
                dst.writestr(item, data)
        os.replace(out, tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            out.unlink()
