"""Bad uploads cost little: only the campaign's tabs are parsed, within row/column/cell
limits; other tabs are bounded by size and never parsed; macros, ActiveX and OLE objects
are refused by content whatever the part's name; DOCTYPE in any XML-like part; messages
never show server file names; an upload is kept before anything can wait or fail."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync import uploads as up
from sync.campaign import load_campaign
from tests.test_upload_page import post_file, text_of, token_for
from tests.upload_helpers import add_tab, numeric_sheet, with_part

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024
SMALL = up.Limits(max_rows=50, max_cols=5, max_cells=400, max_other_tab_bytes=64 * 1024)


def book(campaign_file: Path, unit: str = "DV1") -> bytes:
    return (campaign_file.parent / "workbooks" / f"{unit}.xlsx").read_bytes()


def filled(campaign_file: Path, rows: int, cols: int = 2, unit: str = "DV1") -> bytes:
    path = campaign_file.parent / "workbooks" / f"{unit}.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Danh sách"]
    for r in range(2, rows + 2):
        ws.cell(row=r, column=1, value=f"Người {r}")
        ws.cell(row=r, column=2, value=1980)
    if cols > 2:
        ws.cell(row=2, column=cols, value="x")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def refusal(data: bytes, campaign_file: Path, limits: up.Limits = SMALL) -> up.UploadRefused:
    campaign = load_campaign(campaign_file)
    with pytest.raises(up.UploadRefused) as info:
        up.check_tabs(data, campaign, up.check_package(data, limits), limits)
    return info.value


def test_form_tab_row_column_and_cell_limits_are_named(campaign_file: Path) -> None:
    campaign = load_campaign(campaign_file)
    ok = filled(campaign_file, 40)
    up.check_tabs(ok, campaign, up.check_package(ok, SMALL), SMALL)

    rows = refusal(filled(campaign_file, 60), campaign_file)
    assert rows.code == "too_many_rows"
    assert "Tab 'Danh sách' có dữ liệu ở dòng 51, quá giới hạn 50 dòng" in rows.message

    cols = refusal(filled(campaign_file, 3, cols=9), campaign_file)
    assert cols.code == "too_many_columns" and "quá giới hạn 5 cột" in cols.message

    limits = up.Limits(max_cells=100)
    cells = refusal(filled(campaign_file, 80), campaign_file, limits)
    assert cells.code == "too_many_cells" and "hơn 100 ô" in cells.message


def test_a_large_extra_tab_is_refused_by_size_and_never_parsed(campaign_file: Path) -> None:
    extra = numeric_sheet(3000, 20)
    data = add_tab(book(campaign_file), "Bảng phụ", extra)
    err = refusal(data, campaign_file, up.Limits(max_other_tab_bytes=len(extra) - 1))
    assert err.code == "other_tab_too_large"
    assert "Tab 'Bảng phụ' không thuộc biểu mẫu nào" in err.message
    assert "tối đa" in err.message
    # a small extra tab passes, and the copy the checks read has it empty
    small = add_tab(book(campaign_file), "Ghi chú", numeric_sheet(5, 3))
    campaign = load_campaign(campaign_file)
    up.check_tabs(small, campaign, up.check_package(small), up.Limits())
    copy = up.reading_copy(small, campaign, campaign_file.parent)
    with zipfile.ZipFile(copy) as zf:
        assert b"<v>" not in zf.read("xl/worksheets/extra.xml")
        form_part = up.sheet_parts(zf)["Danh sách"]
        assert zf.read(form_part).count(b"<c ") > 0


def test_vba_under_a_neutral_name_is_refused_by_content(campaign_file: Path) -> None:
    err = refusal(with_part(book(campaign_file), "xl/macros.dat", OLE2), campaign_file)
    assert err.code == "active_content"
    assert "ActiveX" in err.message and ".xlsx" in err.message
    # declared as a VBA project in the content types, whatever the part is called
    data = book(campaign_file)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml")
    types = types.replace(
        b"</Types>",
        b'<Override PartName="/xl/data.bin" '
        b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    from tests.test_uploads import rezip

    vba = rezip(data, {"[Content_Types].xml": types, "xl/data.bin": b"\x00" * 64})
    assert refusal(vba, campaign_file).code == "macro"


def test_activex_and_ole_parts_are_refused(campaign_file: Path) -> None:
    from tests.test_uploads import rezip

    data = book(campaign_file)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml")
    activex = types.replace(
        b"</Types>",
        b'<Override PartName="/xl/activeX/activeX1.xml" '
        b'ContentType="application/vnd.ms-office.activeX+xml"/></Types>',
    )
    assert refusal(rezip(data, {"[Content_Types].xml": activex}), campaign_file).code == (
        "active_content"
    )
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/oleObject" Target="../embeddings/x.docx"/>'
        b"</Relationships>"
    )
    ole = with_part(data, "xl/worksheets/_rels/sheet9.xml.rels", rels)
    assert refusal(ole, campaign_file).code == "active_content"


def test_doctype_in_a_part_with_any_name_is_refused(campaign_file: Path) -> None:
    body = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    for name in ("xl/custom.dat", "docProps/thing", "xl/media/note.txt"):
        err = refusal(with_part(book(campaign_file), name, body), campaign_file)
        assert err.code == "xml_declaration", name
    # a binary part that happens to contain the letters is not XML-like: it passes
    up.check_package(with_part(book(campaign_file), "xl/media/i.png", b"\x89PNG<!DOCTYPE"))


def test_word_vbaproject_typed_in_a_cell_is_not_a_macro(campaign_file: Path) -> None:
    path = campaign_file.parent / "workbooks" / "DV1.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["Danh sách"].cell(row=2, column=1, value="vbaProject.bin")
    out = io.BytesIO()
    wb.save(out)
    up.check_package(out.getvalue())


# --- through the upload page ------------------------------------------------------------------


def _page(client: Any, token: str) -> str:
    return text_of(client.get(f"/u/{token}").get_data(as_text=True))


def test_refusals_never_show_server_file_names(app: Any, client: Any, campaign_file: Path) -> None:
    from tests.test_uploads import rezip

    token = token_for(app)
    damaged = rezip(book(campaign_file), {"xl/workbook.xml": b"<workbook>nope</workbook>"})
    post_file(client, token, damaged, name="so-cua-toi.xlsx")
    page = _page(client, token)
    assert "so-cua-toi.xlsx" in page
    for leak in (".incoming", ".part", "upload.xlsx", "thidua-check", str(campaign_file.parent)):
        assert leak not in page, leak
    assert not re.search(r"\d+-\d{14}\.xlsx", page)


def test_upload_is_kept_and_checked_later_when_the_workbook_is_busy(
    app: Any, client: Any, campaign_file: Path
) -> None:
    from tests.test_upload_page import workbook_with

    svc = app.extensions["thidua"]
    app.config["UPLOAD_LOCK_WAIT"] = 0.2
    svc.config["UPLOAD_LOCK_WAIT"] = 0.2
    token = token_for(app)
    assert svc.jobs.acquire("DV1", "another-job", wait=1)  # a check is running
    data = workbook_with(campaign_file, [["Lò Thị Mai", 1985]])
    resp = post_file(client, token, data)
    assert resp.status_code == 302
    page = _page(client, token)
    assert "sẽ được kiểm tra trong ít phút" in page and "Đang chờ kiểm tra" in page
    (kept,) = up.history(svc.engine, svc.campaign.id, "DV1")
    assert kept.pending and kept.stored_path
    assert (campaign_file.parent / kept.stored_path).read_bytes() == data
    svc.jobs.release("DV1", "another-job")
    assert svc.worker.run_until_idle(now=time.time() + 5) >= 1
    (checked,) = up.history(svc.engine, svc.campaign.id, "DV1")
    assert (checked.state, checked.accepted, checked.errors) == ("accepted", True, 0)
    rows = openpyxl.load_workbook(campaign_file.parent / "workbooks" / "DV1.xlsx")["Danh sách"]
    assert rows.cell(row=2, column=1).value == "Lò Thị Mai"
    assert "Đang chờ kiểm tra" not in _page(client, token)


def test_a_huge_extra_tab_is_refused_on_the_page(
    app: Any, client: Any, campaign_file: Path
) -> None:
    svc = app.extensions["thidua"]
    token = token_for(app)
    # 5 MB of XML, compressed small (the test client spools large bodies to unclosed files)
    extra = numeric_sheet(12000, 20, spread=0)
    assert len(extra) > up.Limits().max_other_tab_bytes
    post_file(client, token, add_tab(book(campaign_file), "Phụ", extra))
    page = _page(client, token)
    assert "không thuộc biểu mẫu nào của đợt nhưng quá lớn" in page
    (kept,) = up.history(svc.engine, svc.campaign.id, "DV1")
    assert (kept.state, kept.accepted) == ("refused", False)
    installed = openpyxl.load_workbook(campaign_file.parent / "workbooks" / "DV1.xlsx")
    assert "Phụ" not in installed.sheetnames
