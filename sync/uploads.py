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
import posixpath
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
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml.ElementTree import fromstring as xml_tree
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from . import i18n
from .audit.db import AuditError
from .audit.models import Submission, Upload
from .clock import parse_instant
from .errors import StoreError, ThiduaError
from .feedback import GUIDE_TAB
from .form_state import content_hash
from .stores.local.files import OLE2_MAGIC, ZIP_MAGIC, workbook_lock
from .stores.local.reader import read_workbook

if TYPE_CHECKING:
    from .campaign import Campaign, Deadline, Form, Unit
    from .stores.base import UnitSheets

MiB = 1024 * 1024
CHUNK = 64 * 1024
XML_SUFFIXES = (".xml", ".rels", ".vml")
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_UNIT_IN_GUIDE = re.compile(r"\(([^()]+)\)\s*$")
RECEIVED, ACCEPTED, REFUSED = "received", "accepted", "refused"
INCOMING = ".incoming-"
"""Prefix of an upload being written (renamed once complete; leftovers are cleaned)."""


@dataclass(frozen=True)
class Limits:
    """What an upload may be (bytes on the wire and once decompressed, and how much of it
    is ever parsed)."""

    max_bytes: int = 10 * MiB
    max_entries: int = 2000
    max_total: int = 100 * MiB
    max_ratio: int = 200
    ratio_floor: int = 1 * MiB
    """Entries smaller than this are not held to `max_ratio` (tiny parts compress well)."""
    max_rows: int = 10_000
    """Last row holding a value in a form tab."""
    max_cols: int = 100
    """Last column holding a value in a form tab."""
    max_cells: int = 500_000
    """Cells (`<c>` elements, empty or not) in a form tab: what parsing it costs."""
    max_tab_bytes: int = 40 * MiB
    """A form tab's XML, decompressed."""
    max_other_tab_bytes: int = 4 * MiB
    """Any other tab's XML, decompressed (never parsed; the unit's workbook is read again
    and again, so a huge extra tab would slow every later check)."""


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


def _not_a_workbook(head: bytes, filename: str = "") -> UploadRefused:
    """Name what the bytes are when they are not a ZIP at all (and what the file claims to
    be: a .csv or .xls is named as such, not as a renamed file)."""
    suffix = Path(filename).suffix.lower()
    if head.startswith(OLE2_MAGIC) and suffix == ".xls":
        return UploadRefused("xls")
    if suffix in (".csv", ".txt", ".tsv") and not head.startswith(OLE2_MAGIC):
        kind = i18n.t("upload.kind.csv" if suffix != ".txt" else "upload.kind.text")
        return UploadRefused("csv", kind=kind, suffix=suffix)
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


def _looks_like_xml(head: bytes) -> bool:
    """Markup by content, whatever the part's name: `<` first (UTF-8 or UTF-16, BOM or not)."""
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    text = head.replace(b"\x00", b"").lstrip()
    return text.startswith(b"<")


@dataclass
class _Part:
    """What the scan of one entry found."""

    size: int = 0
    declaration: bool = False
    ole2: bool = False
    macro: bool = False
    active_rel: bool = False


def _scan_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: int) -> _Part:
    """Stream-decompress one entry with caps: its size, a DOCTYPE/ENTITY declaration in
    any XML-like part (by name or by content), an OLE2 compound file (VBA project, ActiveX
    control, embedded OLE object) whatever the part's name."""
    named_xml = (
        info.filename.lower().endswith(XML_SUFFIXES) or info.filename == "[Content_Types].xml"
    )
    rels = info.filename.lower().endswith(".rels")
    package_meta = rels or info.filename == "[Content_Types].xml"
    part = _Part()
    xml = named_xml
    seen = 0
    found = False
    decoder: codecs.IncrementalDecoder | None = None
    tail = ""
    with zf.open(info) as fh:
        first = True
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            if first:
                first = False
                part.ole2 = chunk.startswith(OLE2_MAGIC)
                xml = xml or _looks_like_xml(chunk[:512])
            seen += len(chunk)
            if seen > budget:
                raise _bomb()
            if seen > limits.ratio_floor and seen > limits.max_ratio * max(info.compress_size, 1):
                raise _bomb()
            if xml:
                if decoder is None:
                    utf16 = chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
                        len(chunk) > 1 and (chunk[0] == 0 or chunk[1] == 0)
                    )
                    decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8")(
                        errors="replace"
                    )
                text = tail + decoder.decode(chunk)
                found = found or bool(_DECLARATION.search(text))
                # package metadata only (a unit may type the word in a cell)
                part.macro = part.macro or (package_meta and "vbaproject" in text.lower())
                part.active_rel = part.active_rel or bool(rels and _ACTIVE_RELS.search(text))
                tail = text[-64:]
    part.size = seen
    part.declaration = found
    return part


_ACTIVE_TYPES = (
    "vbaproject",
    "macroenabled",
    "macrosheet",
    "activex",
    "oleobject",
    "vnd.ms-office.vba",
)
"""Content types and relationship types of code and embedded objects (lower case)."""
_ACTIVE_RELS = re.compile(
    r"/(vbaProject|vbaProjectSignature|activeXControl\w*|oleObject|control)\b", re.I
)


def _macro() -> UploadRefused:
    return UploadRefused("macro")


def _active_content() -> UploadRefused:
    return UploadRefused("active_content")


def check_package(data: bytes, limits: Limits | None = None, filename: str = "") -> dict[str, int]:
    """Raise UploadRefused unless `data` is a safe .xlsx package (see the module doc);
    `filename` (as uploaded) only words the refusal of a .csv or .xls. Returns the
    decompressed size of every part (as read, not as declared)."""
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
        sizes: dict[str, int] = {}
        unsafe: list[str] = []
        macro = any(n.lower().endswith("vbaproject.bin") for n in names)
        active = False
        for info in infos:
            try:
                part = _scan_entry(zf, info, limits, budget)
            except UploadRefused:
                raise
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError):
                raise _damaged() from None
            except NotImplementedError:  # a compression method Excel never writes
                raise _damaged() from None
            budget -= part.size
            sizes[info.filename] = part.size
            if part.declaration:
                unsafe.append(info.filename)
            if part.ole2:
                active = True  # VBA projects, ActiveX binaries, OLE objects: any name
            macro = macro or part.macro
            active = active or part.active_rel
        if unsafe:
            raise UploadRefused("xml_declaration")
        types = zf.read("[Content_Types].xml").decode("utf-8", "replace").lower()
        if macro or "macroenabled" in types or "vbaproject" in types or "macrosheet" in types:
            raise _macro()
        if active or any(t in types for t in _ACTIVE_TYPES):
            raise _active_content()
    return sizes


# --- 1b. the tabs: only the campaign's are parsed, and only so much -------------------------

_EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData/></worksheet>"
)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Tab name → its worksheet part, from `xl/workbook.xml` and its relationships (both
    already scanned: no DOCTYPE, so no entity can expand)."""
    try:
        book = xml_tree(zf.read("xl/workbook.xml"))
        rels_name = "xl/_rels/workbook.xml.rels"
        rels = xml_tree(zf.read(rels_name)) if rels_name in zf.namelist() else None
    except (ParseError, KeyError, zipfile.BadZipFile, zlib.error, OSError):
        raise _damaged() from None
    targets = {}
    for rel in rels if rels is not None else []:
        if _local(rel.tag) == "Relationship" and rel.get("Id") and rel.get("Target"):
            targets[rel.get("Id")] = str(rel.get("Target"))
    out: dict[str, str] = {}
    for el in book.iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rid or "")
        name = el.get("name")
        if not target or name is None:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
        out[name] = part
    return out


def _column_index(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            n = n * 26 + ord(ch) - 96
        else:
            break
    return n


class _Stop(Exception):
    def __init__(self, refused: UploadRefused) -> None:
        super().__init__(refused.code)
        self.refused = refused


def _bound_form_tab(zf: zipfile.ZipFile, part: str, tab: str, limits: Limits) -> None:
    """Stream one form tab's XML (expat, no tree) and stop at the first limit passed: the
    last row or column holding a value, or the number of cells."""
    state = {"row": 0, "col": 0, "cells": 0}
    again = i18n.t("upload.trim_again")

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "row":
            r = attrs.get("r")
            state["row"] = int(r) if r and r.isdigit() else state["row"] + 1
            state["col"] = 0
        elif tag == "c":
            state["cells"] += 1
            if state["cells"] > limits.max_cells:
                text = i18n.t(
                    "upload.too_many_cells", tab=tab, limit=i18n.num(limits.max_cells), again=again
                )
                raise _Stop(UploadRefused("too_many_cells", text))
            ref = attrs.get("r")
            state["col"] = _column_index(ref) if ref else state["col"] + 1
        elif tag in ("v", "is"):
            if state["row"] > limits.max_rows:
                text = i18n.t(
                    "upload.too_many_rows",
                    tab=tab,
                    row=i18n.num(state["row"]),
                    limit=i18n.num(limits.max_rows),
                    again=again,
                )
                raise _Stop(UploadRefused("too_many_rows", text))
            if state["col"] > limits.max_cols:
                text = i18n.t(
                    "upload.too_many_columns",
                    tab=tab,
                    column=i18n.num(state["col"]),
                    limit=i18n.num(limits.max_cols),
                    again=again,
                )
                raise _Stop(UploadRefused("too_many_columns", text))

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        with zf.open(part) as fh:
            while True:
                chunk = fh.read(CHUNK)
                parser.Parse(chunk, not chunk)
                if not chunk:
                    break
    except _Stop as stop:
        raise stop.refused from None
    except (expat.ExpatError, zipfile.BadZipFile, zlib.error, OSError, ValueError):
        raise _damaged() from None


def check_tabs(
    data: bytes, campaign: Campaign, sizes: dict[str, int], limits: Limits | None = None
) -> None:
    """Refuse (naming the limit) a workbook whose form tabs pass the row, column or cell
    limits, or whose other tabs are too large; other tabs are never parsed."""
    from .stores.grid import find_tab

    limits = limits or Limits()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = sheet_parts(zf)
        forms = {find_tab(parts, f.tab) for f in campaign.forms} - {None}
        for name, part in parts.items():
            size = sizes.get(part)
            if size is None:
                continue
            if name in forms:
                if size > limits.max_tab_bytes:
                    raise UploadRefused(
                        "tab_too_large",
                        tab=name,
                        size=size_text(size),
                        limit=size_text(limits.max_tab_bytes),
                    )
                _bound_form_tab(zf, part, name, limits)
            elif size > limits.max_other_tab_bytes:
                raise UploadRefused(
                    "other_tab_too_large",
                    tab=name,
                    size=size_text(size),
                    limit=size_text(limits.max_other_tab_bytes),
                )


def reading_copy(data: bytes, campaign: Campaign, folder: Path) -> Path:
    """A copy of the package for the checks, in which every tab that is not a form tab
    (or the guide) is empty: they are never parsed. The upload itself is kept as sent."""
    from .stores.grid import find_tab

    target = folder / "upload.xlsx"
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        parts = sheet_parts(src)
        keep_names = {find_tab(parts, f.tab) for f in campaign.forms} | {GUIDE_TAB}
        blank = {p for n, p in parts.items() if n not in keep_names}
        blank_rels = {
            posixpath.join(posixpath.dirname(p), "_rels", posixpath.basename(p) + ".rels")
            for p in blank
        }
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for info in src.infolist():
                if info.filename in blank_rels:
                    continue
                if info.filename in blank:
                    out.writestr(info.filename, _EMPTY_SHEET)
                    continue
                with src.open(info) as fh, out.open(info.filename, "w") as dst:
                    shutil.copyfileobj(fh, dst, CHUNK)
    return target


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
