"""Crafted workbooks for the upload tests and bench/upload_limits.py: extra tabs written
straight into the package (fast, whatever their size), parts under any name."""

from __future__ import annotations

import io
import random
import zipfile
from xml.sax.saxutils import quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = REL + "/worksheet"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def column(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def numeric_sheet(rows: int, cols: int, seed: int = 7, spread: int = 99_999) -> bytes:
    """Worksheet XML of rows × cols random numbers in 0..spread (no shared strings)."""
    rnd = random.Random(seed)
    letters = [column(c) for c in range(1, cols + 1)]
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{MAIN}"><sheetData>']
    for r in range(1, rows + 1):
        cells = "".join(
            f'<c r="{letters[c]}{r}"><v>{rnd.randint(0, spread)}</v></c>' for c in range(cols)
        )
        parts.append(f'<row r="{r}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()


def add_tab(
    data: bytes, name: str, sheet_xml: bytes, part: str = "xl/worksheets/extra.xml"
) -> bytes:
    """The package with one more tab `name` whose XML is `sheet_xml`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                sheet = (
                    f'<sheet xmlns:r="{REL}" name={quoteattr(name)} sheetId="990" r:id="rIdExtra"/>'
                )
                body = body.replace(b"</sheets>", sheet.encode() + b"</sheets>")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                target = part.removeprefix("xl/")
                rel = f'<Relationship Id="rIdExtra" Type="{SHEET_TYPE}" Target="{target}"/>'
                body = body.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            elif info.filename == "[Content_Types].xml":
                override = f'<Override PartName="/{part}" ContentType="{SHEET_CT}"/>'
                body = body.replace(b"</Types>", override.encode() + b"</Types>")
            dst.writestr(info.filename, body)
        dst.writestr(part, sheet_xml)
    return out.getvalue()


def with_part(data: bytes, name: str, body: bytes) -> bytes:
    """The package with one more part `name` (any name) holding `body`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr(name, body)
    return out.getvalue()
