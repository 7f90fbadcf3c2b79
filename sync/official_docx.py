"""The official list as a Word document (python-docx), laid out as Nghị định 30/2020/NĐ-CP
prescribes: A4 landscape, Times New Roman; issuing body (upper left) beside the national
title and motto (upper right), place and date in italics, the title, the table with its
header row repeated on every page, the signature blocks; page numbers in the footer."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .official import MOTTO, NATION, SIGN_HINT

if TYPE_CHECKING:
    from .official import OfficialList

FONT = "Times New Roman"
PAGE_WIDTH, PAGE_HEIGHT = Mm(297), Mm(210)
MARGINS = {"top": Mm(20), "bottom": Mm(15), "left": Mm(20), "right": Mm(15)}
TABLE_PT = 12


def _run(
    paragraph: Any, text: str, size: float = 13, bold: bool = False, italic: bool = False
) -> Any:
    run = paragraph.add_run(text)
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    return run


def _para(
    cell_or_doc: Any, text: str = "", align: Any = WD_ALIGN_PARAGRAPH.CENTER, **kw: Any
) -> Any:
    p = cell_or_doc.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.space_before = Pt(0)
    if text:
        _run(p, text, **kw)
    return p


def _first_para(cell: Any, text: str, **kw: Any) -> Any:
    p = cell.paragraphs[0]
    p.alignment = kw.pop("align", WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.space_after = Pt(0)
    _run(p, text, **kw)
    return p


def _rule(cell: Any, width_mm: float) -> None:
    """A short horizontal line under a heading (a bottom border on an empty paragraph)."""
    p = _para(cell)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Mm(
        max(0, (float(cell.width.mm if cell.width else 130) - width_mm) / 2)
    )
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    p._p.get_or_add_pPr().append(border)
    p.paragraph_format.line_spacing = Pt(2)


def _no_borders(table: Any) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    table._tbl.tblPr.append(borders)


def _narrow_cell_margins(table: Any, twips: int = 70) -> None:
    """About 1.2 mm left and right inside cells (Word's default is 1.9 mm)."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    table._tbl.tblPr.append(margins)


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _cant_split(row: Any) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _page_number_footer(section: Any) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, "Trang ", size=10)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = _run(p, "", size=10)
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def _set_widths(table: Any, widths: list[Any]) -> None:
    """Cell widths (Word) and the grid's column widths (LibreOffice reads those)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=False):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def build_docx(doc: OfficialList) -> Any:
    """A python-docx Document of the official list."""
    d = Document()
    normal = d.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(13)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = d.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    for side, margin in MARGINS.items():
        setattr(section, f"{side}_margin", margin)
    _page_number_footer(section)
    usable = PAGE_WIDTH - MARGINS["left"] - MARGINS["right"]

    head = d.add_table(rows=1, cols=2)
    _no_borders(head)
    left, right = head.rows[0].cells
    _set_widths(head, [int(usable * 0.42), int(usable * 0.58)])
    if doc.parent_body:
        _first_para(left, doc.parent_body, size=12)
        _para(left, doc.organizer, size=12, bold=True)
    else:
        _first_para(left, doc.organizer, size=12, bold=True)
    _rule(left, 30)
    _first_para(right, NATION, size=12, bold=True)
    _para(right, MOTTO, size=13, bold=True)
    _rule(right, 60)
    date = _para(right, doc.date_line, size=13, italic=True)
    date.paragraph_format.space_before = Pt(6)

    title = _para(d, doc.title, size=14, bold=True)
    title.paragraph_format.space_before = Pt(12)
    for subtitle in doc.subtitles:
        _para(d, subtitle, size=13, bold=True)
    if doc.all_valid:
        _para(d, "(Gồm cả các dòng hợp lệ của đơn vị chưa nộp — đánh dấu *)", size=12, italic=True)
    _para(d)

    widths = [int(usable * doc.stt_share), *[int(usable * c.share) for c in doc.columns]]
    table = d.add_table(rows=1, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _narrow_cell_margins(table)
    header = table.rows[0]
    _repeat_header(header)
    for cell, text in zip(header.cells, ["STT", *[c.header for c in doc.columns]], strict=True):
        _first_para(cell, text, size=TABLE_PT, bold=True)
    for group in doc.groups:
        row = table.add_row()
        _cant_split(row)
        merged = row.cells[0].merge(row.cells[-1])
        label = f"{group.unit}{'' if group.official else ' *'} ({len(group.rows)})"
        _first_para(merged, label, size=TABLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
        for line in group.rows:
            row = table.add_row()
            _cant_split(row)
            number = f"{line.number} (!)" if line.errors else str(line.number)
            _first_para(row.cells[0], number, size=TABLE_PT, bold=line.errors)
            for j, (data_cell, value) in enumerate(zip(row.cells[1:], line.values, strict=True)):
                align = (
                    WD_ALIGN_PARAGRAPH.CENTER if doc.columns[j].numeric else WD_ALIGN_PARAGRAPH.LEFT
                )
                _first_para(data_cell, str(value), size=TABLE_PT, align=align)
    if not doc.groups:
        row = table.add_row()
        merged = row.cells[0].merge(row.cells[-1])
        _first_para(merged, "Chưa có đơn vị nào nộp danh sách.", size=TABLE_PT, italic=True)
    _set_widths(table, widths)

    count = f"Tổng số: {doc.row_count} dòng của {len(doc.groups)} đơn vị."
    if doc.error_rows:
        count += " Dòng đánh dấu (!) còn lỗi, cần đơn vị sửa."
    total = _para(d, count, size=12, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    total.paragraph_format.space_before = Pt(4)
    total.paragraph_format.keep_with_next = True

    signers = doc.signers or []
    sign = d.add_table(rows=1, cols=max(2, len(signers)))
    _no_borders(sign)
    _cant_split(sign.rows[0])  # a signature block never splits over two pages
    cells = sign.rows[0].cells
    blocks: list[tuple[str | None, str, str | None]] = (
        [(s.title, s.role, s.name) for s in signers] if signers else [("TM. BAN TỔ CHỨC", "", None)]
    )
    start = len(cells) - len(blocks)
    for cell, (title_text, role, name) in zip(cells[start:], blocks, strict=True):
        first = True
        for heading in (title_text, role):
            text = heading or ""
            if text:
                (
                    _first_para(cell, text, size=13, bold=True)
                    if first
                    else _para(cell, text, size=13, bold=True)
                )
                first = False
        _para(cell, SIGN_HINT, size=12, italic=True)
        for _ in range(4):
            _para(cell)
        if name:
            _para(cell, name, size=13, bold=True)
    return d


def docx_bytes(doc: OfficialList) -> bytes:
    out = io.BytesIO()
    build_docx(doc).save(out)
    return out.getvalue()


def write_docx(doc: OfficialList, path: Path) -> None:
    path.write_bytes(docx_bytes(doc))
