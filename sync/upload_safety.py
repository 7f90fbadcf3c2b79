"""Is an uploaded file a safe .xlsx workbook? Checked on the bytes, before openpyxl sees them.

1. `check_package` — size limit, content sniffing (not the file name: an OLE2 header is an
   encrypted or legacy .xls workbook, PDF/images/CSV renamed .xlsx are named as such), then
   the ZIP itself: entry count, total and per-entry uncompressed size and compression ratio
   (zip bombs) from the central directory *and* while stream-decompressing with a cap (the
   declared sizes are not trusted), no encrypted entries, `[Content_Types].xml` and
   `xl/workbook.xml` present (a .docx/.ods renamed is not a workbook), no DOCTYPE/ENTITY
   declaration in any XML part (XXE, "billion laughs"), no VBA project (macro-enabled
   workbooks are refused: the unit saves as .xlsx, which drops the macros).
1b. `check_tabs` — only the campaign's form tabs are ever parsed, within row, column and
   cell limits; other tabs are bounded by size; `reading_copy` blanks them for the checks.

Every refusal is an `UploadRefused` with a code (`upload.<code>` in the catalogue). What an
accepted package then means for the unit (its template, its locks, its history) is
`sync.uploads`.
"""

from __future__ import annotations

import codecs
import io
import posixpath
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml.ElementTree import fromstring as xml_tree

from . import i18n
from .errors import ThiduaError
from .feedback import GUIDE_TAB
from .stores.grid import find_tab
from .stores.local.files import OLE2_MAGIC, ZIP_MAGIC

if TYPE_CHECKING:
    from .campaign import Campaign

MiB = 1024 * 1024
CHUNK = 64 * 1024
XML_SUFFIXES = (".xml", ".rels", ".vml")
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


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
