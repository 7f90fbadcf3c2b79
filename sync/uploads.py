"""Workbooks uploaded on a unit's upload page (offline mode, docs/design.md: Web pages).

Safety first: the bytes are checked before openpyxl ever sees them.

1. `check_package` — size limit, content sniffing (not the file name: an OLE2 header is an
   encrypted or legacy .xls workbook, PDF/images/CSV renamed .xlsx are named as such), then
   the ZIP itself: entry count, total and per-entry uncompressed size and compression ratio
   (zip bombs) from the central directory *and* while stream-decompressing with a cap (the
   declared sizes are not trusted), no encrypted entries, `[Content_Types].xml` and
   `xl/workbook.xml` present (a .docx/.ods renamed is not a workbook), no DOCTYPE/ENTITY
   declaration in any XML part (XXE, "billion laughs"), no VBA project (macro-enabled
   workbooks are refused: the unit saves as .xlsx, which drops the macros).
2. `check_workbook` — the campaign's form tabs with their headers must be there; a
   workbook provisioned for another unit is named; rows of a locked form must not change.

Every upload, accepted or refused, is kept: the bytes under
`<campaign dir>/.thidua/uploads/<unit>/<id>-<yyyymmddHHMMSS>.xlsx` and a row in the audit
database's `uploads` table (`history` reads them back).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import os
import re
import shutil
import tempfile
import time
import zipfile
import zlib
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
from .errors import ThiduaError
from .feedback import GUIDE_TAB
from .form_state import content_hash
from .stores.local.files import OLE2_MAGIC, ZIP_MAGIC, workbook_lock
from .stores.local.reader import open_workbook, read_workbook
from .stores.local.workbook import worksheet_rows

if TYPE_CHECKING:
    from .campaign import Campaign, Deadline, Form, Unit
    from .stores.base import UnitSheets

MiB = 1024 * 1024
CHUNK = 64 * 1024
XML_SUFFIXES = (".xml", ".rels", ".vml")
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_UNIT_IN_GUIDE = re.compile(r"\(([^()]+)\)\s*$")


@dataclass(frozen=True)
class Limits:
    """What an upload may be (bytes on the wire and once decompressed)."""

    max_bytes: int = 10 * MiB
    max_entries: int = 2000
    max_total: int = 100 * MiB
    max_ratio: int = 200
    ratio_floor: int = 1 * MiB
    """Entries smaller than this are not held to `max_ratio` (tiny parts compress well)."""


class UploadRefused(ThiduaError):
    """An upload that is not accepted; the message says why and what to do.

    The message is the catalogue's `upload.<code>` (in the current language) filled with
    `params`, unless a ready `message` is given."""

    def __init__(self, code: str, message: str | None = None, **params: Any) -> None:
        text = message if message is not None else i18n.t(f"upload.{code}", **params)
        super().__init__(text)
        self.code = code
        self.message = text


def size_text(n: int) -> str:
    """12345678 → '11,8 MB' (Vietnamese decimal comma)."""
    if n < 1024:
        return f"{n} byte"
    if n < MiB:
        return f"{n / 1024:.0f} KB"
    return f"{n / MiB:.1f} MB".replace(".", ",")


def when_text(value: datetime, campaign: Campaign) -> str:
    return value.astimezone(campaign.tz).strftime(i18n.t("format.time_on_day"))


# --- 1. the bytes -----------------------------------------------------------------------------


def too_large(size: int | None, limits: Limits) -> UploadRefused:
    got = f" ({size_text(size)})" if size else ""
    return UploadRefused("too_large", got=got, limit=size_text(limits.max_bytes))


FETCH_WORKBOOK = (
    "tải sổ Excel (.xlsx) của đơn vị (nút «Tải sổ của đơn vị»), điền hoặc dán dữ liệu "
    "vào đúng tab của sổ đó, lưu lại rồi gửi lên."
)


def _not_a_workbook(head: bytes, filename: str = "") -> UploadRefused:
    """Name what the bytes are when they are not a ZIP at all (and what the file claims to
    be: a .csv or .xls is named as such, not as a renamed file)."""
    suffix = Path(filename).suffix.lower()
    if head.startswith(OLE2_MAGIC) and suffix == ".xls":
        return UploadRefused(
            "xls",
            "Tệp Excel cũ (.xls) — hệ thống chỉ đọc sổ .xlsx: mở tệp bằng Excel, chọn Lưu "
            "thành › 'Sổ làm việc Excel (.xlsx)' rồi gửi lại; hoặc " + FETCH_WORKBOOK,
        )
    if suffix in (".csv", ".txt", ".tsv") and not head.startswith(OLE2_MAGIC):
        kind = "CSV" if suffix != ".txt" else "văn bản"
        return UploadRefused("csv", f"Tệp {kind} ({suffix}) — hãy " + FETCH_WORKBOOK)
    if head.startswith(OLE2_MAGIC):
        return UploadRefused("ole2")
    if head.startswith(b"%PDF"):
        return UploadRefused("pdf")
    images = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")
    if head.startswith(images):
        return UploadRefused("image")
    text = head.lstrip(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"<"):
        return UploadRefused("html")
    if b"\x00" not in head[:1024]:
        return UploadRefused("text")
    return UploadRefused("unknown")


def _bomb() -> UploadRefused:
    return UploadRefused("zip_bomb")


def _damaged() -> UploadRefused:
    return UploadRefused("damaged")


def _other_package(names: set[str], zf: zipfile.ZipFile) -> UploadRefused:
    """A ZIP that is not a workbook: say what it is (Word, OpenDocument…)."""
    if "word/document.xml" in names:
        what = i18n.t("upload.what.docx")
    elif "ppt/presentation.xml" in names:
        what = i18n.t("upload.what.pptx")
    elif "mimetype" in names:
        try:
            kind = zf.read("mimetype")[:100].decode("ascii", "replace")
        except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError):
            kind = ""
        if "spreadsheet" in kind:
            return UploadRefused("opendocument")
        what = i18n.t("upload.what.opendocument")
    else:
        what = i18n.t("upload.what.zip")
    return UploadRefused("not_workbook", what=what)


def _scan_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: int
) -> tuple[int, bool]:
    """Stream-decompress one entry with caps; (bytes read, has a DOCTYPE/ENTITY)."""
    xml = info.filename.lower().endswith(XML_SUFFIXES) or info.filename == "[Content_Types].xml"
    seen = 0
    found = False
    decoder: codecs.IncrementalDecoder | None = None
    tail = ""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            seen += len(chunk)
            if seen > budget:
                raise _bomb()
            if seen > limits.ratio_floor and seen > limits.max_ratio * max(info.compress_size, 1):
                raise _bomb()
            if xml and not found:
                if decoder is None:
                    utf16 = chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
                        len(chunk) > 1 and (chunk[0] == 0 or chunk[1] == 0)
                    )
                    decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8")(
                        errors="replace"
                    )
                text = tail + decoder.decode(chunk)
                if _DECLARATION.search(text):
                    found = True
                tail = text[-32:]
    return seen, found


def check_package(data: bytes, limits: Limits | None = None, filename: str = "") -> None:
    """Raise UploadRefused unless `data` is a safe .xlsx package (see the module doc);
    `filename` (as uploaded) only words the refusal of a .csv or .xls."""
    limits = limits or Limits()
    if not data:
        raise UploadRefused("empty")
    if len(data) > limits.max_bytes:
        raise too_large(len(data), limits)
    if not data.startswith(ZIP_MAGIC):
        raise _not_a_workbook(data[:2048], filename)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError):
        raise _damaged() from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise _bomb()
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise _other_package(names, zf)
        if sum(i.file_size for i in infos) > limits.max_total:
            raise _bomb()
        for info in infos:
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise _bomb()
        if any(i.flag_bits & 0x1 for i in infos):
            raise UploadRefused("encrypted")
        budget = limits.max_total
        unsafe: list[str] = []
        for info in infos:
            try:
                seen, declared = _scan_entry(zf, info, limits, budget)
            except UploadRefused:
                raise
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError):
                raise _damaged() from None
            except NotImplementedError:  # a compression method Excel never writes
                raise _damaged() from None
            budget -= seen
            if declared:
                unsafe.append(info.filename)
        if unsafe:
            raise UploadRefused("xml_declaration")
        types = zf.read("[Content_Types].xml").decode("utf-8", "replace")
        if any(n.lower().endswith("vbaproject.bin") for n in names) or (
            "macroEnabled" in types or "vbaProject" in types
        ):
            raise UploadRefused("macro")


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
    of = deadline or campaign.deadline
    parts = []
    for f in campaign.forms_for(unit_id):
        d = of(unit_id, f.id)
        parts.append(
            f"«{f.title}» hạn nộp {when_text(d.due, campaign)}, khoá sổ {when_text(d.closes, campaign)}"
        )
    return (
        "Đã khoá sổ: không nhận tệp gửi lên nữa ("
        + "; ".join(parts)
        + "). Bản đã nộp trước khi khoá sổ vẫn được giữ; cần điều chỉnh thì liên hệ ban tổ chức."
    )


UNIT_LABELS = frozenset(i18n.t("guide.unit", lang) for lang in i18n.LANGUAGES)
"""The guide tab's "Đơn vị" label in every language (the tab follows the campaign's)."""


def _guide_unit(path: Path) -> str | None:
    """The unit id provisioning wrote in the `Hướng dẫn` tab ('Đơn vị' | 'Name (ID)')."""
    wb = open_workbook(path)
    if GUIDE_TAB not in wb.sheetnames:
        return None
    for row in worksheet_rows(wb[GUIDE_TAB], 12):
        if len(row) > 1 and str(row[0] or "").strip() in UNIT_LABELS and row[1]:
            match = _UNIT_IN_GUIDE.search(str(row[1]))
            return match.group(1).strip() if match else None
    return None


def check_workbook(
    path: Path,
    campaign: Campaign,
    unit: Unit,
    *,
    now: datetime,
    current: Path | None,
    deadline: DeadlineOf | None = None,
) -> UnitSheets:
    """The uploaded workbook read like a unit's own; UploadRefused when it must not replace
    the unit's workbook: not this campaign's template, another unit's, or locked rows changed.
    """
    sheets = read_workbook(path, campaign, unit, None)
    if sheets.problem is not None:
        text = sheets.problem.message
        prefix = i18n.t("store.unit_problem", unit=unit.name, problem="")
        raise UploadRefused("unreadable", text[len(prefix) :] if text.startswith(prefix) else text)
    other = _guide_unit(path)
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
                raise UploadRefused(
                    "locked",
                    f"Biểu mẫu «{form.title}» đã khoá sổ lúc "
                    f"{when_text((deadline or campaign.deadline)(unit.id, form.id).closes, campaign)} "
                    "nên không nhận thay đổi: tệp gửi lên có dữ liệu của biểu mẫu này khác với "
                    "bản đã khoá. Hãy tải sổ hiện tại ở bước 1, chỉ sửa các biểu mẫu còn mở "
                    "rồi gửi lại.",
                )
    return sheets


# --- storing and history ----------------------------------------------------------------------


def uploads_dir(campaign: Campaign, unit: Unit) -> Path:
    return campaign.base_dir / ".thidua" / "uploads" / unit.id


def staging(campaign: Campaign, unit: Unit, data: bytes) -> Path:
    """Write `data` to a private temp file in the unit's upload folder."""
    folder = uploads_dir(campaign, unit)
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".incoming-", suffix=".xlsx", dir=folder)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


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
    staged: Path | None = None,
    now: float | None = None,
) -> UploadRecord:
    """Keep an upload: a row in `uploads` and (when there are bytes) the file as uploaded."""
    t = time.time() if now is None else now
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
                if staged is not None and staged.exists():
                    os.replace(staged, target)
                else:
                    target.write_bytes(data)
                stored = str(target.relative_to(campaign.base_dir))
                conn.execute(update(Upload).where(Upload.id == new_id).values(stored_path=stored))
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("upload.history_failed", exc=exc)) from exc
    return UploadRecord(new_id, t, name, size, digest, accepted, message, {}, stored)


def set_result(engine: Engine, upload_id: int, result: dict[str, Any], message: str) -> None:
    """Counts per form after the check of an accepted upload."""
    try:
        with engine.begin() as conn:
            conn.execute(
                update(Upload).where(Upload.id == upload_id).values(result=result, message=message)
            )
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("upload.history_failed", exc=exc)) from exc


def history(engine: Engine, campaign_id: str, unit_id: str, limit: int = 50) -> list[UploadRecord]:
    """A unit's uploads, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Upload)
            .where((Upload.campaign == campaign_id) & (Upload.unit == unit_id))
            .order_by(Upload.id.desc())
            .limit(limit)
        ).all()
    return [
        UploadRecord(
            r.id,
            r.uploaded_at,
            r.filename,
            r.size,
            r.sha256,
            bool(r.accepted),
            r.message or "",
            dict(r.result or {}),
            r.stored_path,
        )
        for r in rows
    ]


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
