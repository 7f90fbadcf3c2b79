"""Workbooks uploaded on a unit's upload page (offline mode, docs/design.md: Web pages).

Safety first: the bytes are checked before openpyxl ever sees them (`sync.upload_safety`:
`check_package`, `check_tabs`, `reading_copy`, re-exported here).

2. `check_workbook` — the campaign's form tabs with their headers must be there; a
   workbook provisioned for another unit is named; rows of a locked form must not change.

Every upload, accepted or refused, is kept: the bytes under
`<campaign dir>/.thidua/uploads/<unit>/<id>-<yyyymmddHHMMSS>.xlsx` and a row in the audit
database's `uploads` table (`history` reads them back).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from . import i18n
from .audit.db import AuditError
from .audit.models import Submission, Upload
from .clock import parse_instant
from .errors import StoreError
from .feedback import GUIDE_TAB
from .form_state import content_hash
from .stores.local.files import workbook_lock
from .stores.local.reader import read_workbook
from .upload_safety import Limits as Limits
from .upload_safety import MiB as MiB
from .upload_safety import UploadRefused as UploadRefused
from .upload_safety import check_package as check_package
from .upload_safety import check_tabs as check_tabs
from .upload_safety import reading_copy as reading_copy
from .upload_safety import sheet_parts as sheet_parts
from .upload_safety import size_text as size_text
from .upload_safety import too_large as too_large

if TYPE_CHECKING:
    from .campaign import Campaign, Deadline, Form, Unit
    from .stores.base import UnitSheets

_UNIT_IN_GUIDE = re.compile(r"\(([^()]+)\)\s*$")
RECEIVED, ACCEPTED, REFUSED = "received", "accepted", "refused"
INCOMING = ".incoming-"
"""Prefix of an upload being written (renamed once complete; leftovers are cleaned)."""


def when_text(value: datetime, campaign: Campaign) -> str:
    return value.astimezone(campaign.tz).strftime(i18n.t("format.time_on_day"))


# --- 2. the workbook --------------------------------------------------------------------------


DeadlineOf = Callable[[str, str], "Deadline"]


def locked_forms(
    campaign: Campaign, now: datetime, unit_id: str, deadline: DeadlineOf | None = None
) -> list[Form]:
    """The unit's forms with `lock: true` whose (own) `due + grace` has passed."""
    of = deadline or campaign.deadline
    out = []
    for f in campaign.forms_for(unit_id):
        d = of(unit_id, f.id)
        if d.lock and now > d.closes:
            out.append(f)
    return out


def all_locked(
    campaign: Campaign, now: datetime, unit_id: str, deadline: DeadlineOf | None = None
) -> bool:
    forms = campaign.forms_for(unit_id)
    return bool(forms) and len(locked_forms(campaign, now, unit_id, deadline)) == len(forms)


def all_locked_message(campaign: Campaign, unit_id: str, deadline: DeadlineOf | None = None) -> str:
    """Why a unit whose forms are all locked can upload nothing (`upload.all_locked`)."""
    of = deadline or campaign.deadline
    parts = []
    for f in campaign.forms_for(unit_id):
        d = of(unit_id, f.id)
        due, closes = when_text(d.due, campaign), when_text(d.closes, campaign)
        parts.append(i18n.t("upload.all_locked.form", form=f.title, due=due, closes=closes))
    return i18n.t("upload.all_locked", forms="; ".join(parts))


UNIT_LABELS = frozenset(i18n.t("guide.unit", lang) for lang in i18n.LANGUAGES)
"""The guide tab's "Đơn vị" label in every language (the tab follows the campaign's)."""


def _guide_unit(path: Path) -> str | None:
    """The unit id provisioning wrote in the `Hướng dẫn` tab ('Đơn vị' | 'Name (ID)'); only
    that tab is parsed (read-only mode loads sheets lazily)."""
    import warnings

    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception:  # unreadable: check_workbook's own read already said why
            return None
    try:
        if GUIDE_TAB not in wb.sheetnames:
            return None
        for row in wb[GUIDE_TAB].iter_rows(max_row=12, values_only=True):
            if len(row) > 1 and str(row[0] or "").strip() in UNIT_LABELS and row[1]:
                match = _UNIT_IN_GUIDE.search(str(row[1]))
                return match.group(1).strip() if match else None
        return None
    finally:
        wb.close()


def check_workbook(
    path: Path,
    campaign: Campaign,
    unit: Unit,
    *,
    now: datetime,
    current: Path | None,
    shown: str | None = None,
    deadline: DeadlineOf | None = None,
) -> UnitSheets:
    """The uploaded workbook read like a unit's own; UploadRefused when it must not replace
    the unit's workbook: not this campaign's template, another unit's, or locked rows changed.
    Messages name the file as `shown` (the name the unit chose), never a server path.
    """
    shown = shown or i18n.t("upload.the_file")
    sheets = read_workbook(path, campaign, unit, None)
    if sheets.problem is not None:
        text = sheets.problem.message.replace(path.name, f"«{shown}»")
        prefix = i18n.t("store.unit_problem", unit=unit.name, problem="")
        raise UploadRefused("unreadable", text[len(prefix) :] if text.startswith(prefix) else text)
    try:
        other = _guide_unit(path)
    except StoreError as exc:
        raise UploadRefused("unreadable", str(exc).replace(path.name, f"«{shown}»")) from None
    if other and other != unit.id:
        try:
            owner = campaign.unit(other)
            who = f"«{owner.name}» ({owner.id})"
        except KeyError:
            who = i18n.t("upload.other_unit.unknown", unit_id=other)
        raise UploadRefused("other_unit", who=who, unit=unit.name)
    missing_tabs: list[str] = []
    missing_cols: list[str] = []
    for form in campaign.forms_for(unit.id):
        sheet = sheets.forms.get(form.id)
        for finding in sheet.findings if sheet is not None else []:
            if finding.code == "missing_tab":
                missing_tabs.append(f"'{form.tab}'")
            elif finding.code == "header_mismatch" and finding.severity == "error":
                missing_cols.append(
                    i18n.t(
                        "upload.column_in_tab", header=form.header_of(finding.column), tab=form.tab
                    )
                )
    if missing_tabs or missing_cols:
        parts = []
        if missing_tabs:
            parts.append(i18n.t("upload.missing_tabs", tabs=", ".join(missing_tabs)))
        if missing_cols:
            parts.append(i18n.t("upload.missing_columns", columns=", ".join(missing_cols)))
        raise UploadRefused("wrong_template", problems="; ".join(parts))
    locked = locked_forms(campaign, now, unit.id, deadline)
    if locked:
        before = read_workbook(current, campaign, unit, None) if current is not None else None
        for form in locked:
            new = sheets.forms[form.id]
            old = before.forms.get(form.id) if before is not None else None
            old_hash = content_hash(old.frame, form.keys) if old is not None else None
            new_hash = content_hash(new.frame, form.keys)
            if old is None and not len(new.frame):
                continue
            if old_hash != new_hash:
                closes = (deadline or campaign.deadline)(unit.id, form.id).closes
                raise UploadRefused("locked", form=form.title, closes=when_text(closes, campaign))
    return sheets


# --- storing and history ----------------------------------------------------------------------


def uploads_dir(campaign: Campaign, unit: Unit) -> Path:
    return campaign.base_dir / ".thidua" / "uploads" / unit.id


def clean_filename(name: str | None) -> str:
    """The name the browser sent, shown in the history: no folders, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base or i18n.t("upload.no_name"))[:200]


@dataclass
class UploadRecord:
    """One row of a unit's upload history."""

    id: int
    uploaded_at: float
    filename: str
    size: int
    sha256: str
    accepted: bool
    message: str
    result: dict[str, Any] = field(default_factory=dict)
    stored_path: str | None = None
    state: str = ""
    """received (kept, waiting for its check) | accepted | refused"""

    @property
    def pending(self) -> bool:
        return self.state == RECEIVED

    @property
    def errors(self) -> int:
        return sum(int(v.get("errors", 0)) for v in self.result.values() if isinstance(v, dict))

    @property
    def warnings(self) -> int:
        return sum(int(v.get("warnings", 0)) for v in self.result.values() if isinstance(v, dict))


def record_upload(
    engine: Engine,
    campaign: Campaign,
    unit: Unit,
    *,
    filename: str,
    data: bytes | None,
    size: int,
    accepted: bool,
    message: str,
    state: str | None = None,
    now: float | None = None,
) -> UploadRecord:
    """Keep an upload: a row in `uploads` and (when there are bytes) the file as uploaded,
    written under a temporary name and renamed, in the same transaction as the row.
    `state` RECEIVED keeps it for a check that comes later (see `mark`)."""
    t = time.time() if now is None else now
    state = state or (ACCEPTED if accepted else REFUSED)
    digest = hashlib.sha256(data).hexdigest() if data is not None else ""
    name = clean_filename(filename)
    try:
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(Upload)
                .values(
                    campaign=campaign.id,
                    unit=unit.id,
                    uploaded_at=t,
                    filename=name,
                    size=size,
                    sha256=digest,
                    stored_path=None,
                    accepted=accepted,
                    state=state,
                    message=message,
                    result=None,
                )
                .returning(Upload.id)
            ).scalar_one()
            stored: str | None = None
            if data is not None:
                folder = uploads_dir(campaign, unit)
                folder.mkdir(parents=True, exist_ok=True)
                stamp = datetime.fromtimestamp(t, campaign.tz).strftime("%Y%m%d%H%M%S")
                target = folder / f"{new_id}-{stamp}.xlsx"
                part = folder / f"{INCOMING}{new_id}.part"
                with part.open("wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(part, target)
                stored = str(target.relative_to(campaign.base_dir))
                conn.execute(update(Upload).where(Upload.id == new_id).values(stored_path=stored))
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("upload.history_failed", exc=exc)) from exc
    return UploadRecord(new_id, t, name, size, digest, accepted, message, {}, stored, state)


def set_result(engine: Engine, upload_id: int, result: dict[str, Any], message: str) -> None:
    """Counts per form after the check of an accepted upload."""
    try:
        with engine.begin() as conn:
            conn.execute(
                update(Upload).where(Upload.id == upload_id).values(result=result, message=message)
            )
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("upload.history_failed", exc=type(exc).__name__)) from exc


def get(engine: Engine, upload_id: int) -> UploadRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(Upload).where(Upload.id == upload_id)).first()
    return _record(row) if row is not None else None


def check_kept(
    engine: Engine,
    campaign: Campaign,
    unit: Unit,
    record: UploadRecord,
    target: Path,
    *,
    now: datetime,
    limits: Limits | None = None,
    deadline: DeadlineOf | None = None,
) -> UploadRefused | None:
    """Check a kept upload (the caller holds the unit's lock): refused → recorded with its
    message; accepted → it replaces the unit's workbook. Only form tabs are parsed. Locked
    forms are judged by `deadline` (the unit's own, with extensions and returns; default
    the campaign file's)."""
    assert record.stored_path is not None
    stored = campaign.base_dir / record.stored_path
    data = stored.read_bytes()
    try:
        sizes = check_package(data, limits, record.filename)
        check_tabs(data, campaign, sizes, limits)
        with tempfile.TemporaryDirectory(prefix="thidua-check-") as tmp:
            copy = reading_copy(data, campaign, Path(tmp))
            check_workbook(
                copy,
                campaign,
                unit,
                now=now,
                current=target if target.exists() else None,
                shown=record.filename,
                deadline=deadline,
            )
    except UploadRefused as refused:
        mark(engine, record.id, accepted=False, message=refused.message)
        return refused
    install(stored, target)
    mark(engine, record.id, accepted=True, message="")
    return None


def result_message(errors: int, warnings: int) -> str:
    """The history's line for an accepted upload once checked."""
    if errors:
        return i18n.t("upload.checked_errors", errors=errors, warnings=warnings)
    return i18n.t("upload.checked_ok", warnings=warnings)


def mark(engine: Engine, upload_id: int, *, accepted: bool, message: str) -> None:
    """The outcome of a kept upload's check: accepted (it replaced the workbook) or refused."""
    try:
        with engine.begin() as conn:
            conn.execute(
                update(Upload)
                .where(Upload.id == upload_id)
                .values(accepted=accepted, state=ACCEPTED if accepted else REFUSED, message=message)
            )
    except SQLAlchemyError as exc:
        raise AuditError.of("upload.record_failed", exc=type(exc).__name__) from exc


def _record(r: Any) -> UploadRecord:
    state = r.state or (ACCEPTED if r.accepted else REFUSED)
    return UploadRecord(
        r.id,
        r.uploaded_at,
        r.filename,
        r.size,
        r.sha256,
        bool(r.accepted),
        r.message or "",
        dict(r.result or {}),
        r.stored_path,
        state,
    )


def pending(engine: Engine, campaign_id: str, unit_id: str | None = None) -> list[UploadRecord]:
    """Kept uploads still waiting for their check (oldest first), of one unit or all."""
    where = (Upload.campaign == campaign_id) & (Upload.state == RECEIVED)
    if unit_id is not None:
        where = where & (Upload.unit == unit_id)
    with engine.connect() as conn:
        rows = conn.execute(select(Upload).where(where).order_by(Upload.id)).all()
    return [_record(r) for r in rows]


def pending_units(engine: Engine, campaign_id: str) -> list[str]:
    """Units with an upload waiting for its check."""
    return sorted({u.unit for u in _pending_rows(engine, campaign_id)})


def _pending_rows(engine: Engine, campaign_id: str) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(Upload.unit).where(
                    (Upload.campaign == campaign_id) & (Upload.state == RECEIVED)
                )
            ).all()
        )


def clean_leftovers(campaign: Campaign, older_than: float = 60.0) -> list[Path]:
    """Remove temporary files a killed process left behind (an upload being written, a
    workbook being replaced) once they are older than `older_than` seconds; returns them."""
    cutoff = time.time() - older_than
    found: list[Path] = []
    uploads = campaign.base_dir / ".thidua" / "uploads"
    candidates = list(uploads.glob(f"*/{INCOMING}*")) if uploads.is_dir() else []
    if campaign.google is None and campaign.local_path.is_dir():
        candidates += [p for p in campaign.local_path.glob(".*.tmp") if p.is_file()]
    for path in candidates:
        try:
            if path.stat().st_mtime <= cutoff:
                path.unlink()
                found.append(path)
        except FileNotFoundError:
            continue
    return found


def history(engine: Engine, campaign_id: str, unit_id: str, limit: int = 50) -> list[UploadRecord]:
    """A unit's uploads, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Upload)
            .where((Upload.campaign == campaign_id) & (Upload.unit == unit_id))
            .order_by(Upload.id.desc())
            .limit(limit)
        ).all()
    return [_record(r) for r in rows]


@dataclass
class SubmissionRecord:
    """One explicit submission of a unit's form."""

    form: str
    submitted_at: datetime
    on_time: bool
    rows: int


def submissions(
    engine: Engine, campaign: Campaign, unit_id: str, limit: int = 50
) -> list[SubmissionRecord]:
    """A unit's submissions, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Submission)
            .where((Submission.campaign == campaign.id) & (Submission.unit == unit_id))
            .order_by(Submission.id.desc())
            .limit(limit)
        ).all()
    return [
        SubmissionRecord(r.form, parse_instant(r.submitted_at, campaign.tz), r.on_time, r.rows)
        for r in rows
    ]


def install(source: Path, target: Path) -> None:
    """Make `source` (an accepted upload) the unit's workbook: a temp copy beside the
    target, then os.replace under the workbook's lock (readers never see half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with workbook_lock(target):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out)
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o777)
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
