"""Upload inspection (sync.uploads) with real crafted files: what is refused, and why."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from sync import uploads as up
from sync.campaign import load_campaign
from tests.service_helpers import make_campaign

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
)


@pytest.fixture
def campaign_file(tmp_path: Path) -> Path:
    return make_campaign(tmp_path / "c")


def workbook_bytes(campaign_file: Path, unit: str = "DV1") -> bytes:
    return (campaign_file.parent / "workbooks" / f"{unit}.xlsx").read_bytes()


def rezip(data: bytes, change: dict[str, bytes | None]) -> bytes:
    """The package with some parts replaced (None: removed) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename in change:
                continue
            dst.writestr(info, src.read(info.filename))
        for name, body in change.items():
            if body is not None:
                dst.writestr(name, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def refused(data: bytes, limits: up.Limits | None = None) -> up.UploadRefused:
    with pytest.raises(up.UploadRefused) as info:
        up.check_package(data, limits)
    return info.value


def test_a_real_workbook_passes(campaign_file: Path) -> None:
    up.check_package(workbook_bytes(campaign_file))


def test_empty_file() -> None:
    err = refused(b"")
    assert err.code == "empty" and "rỗng" in err.message


def test_csv_renamed_xlsx_is_named_as_text() -> None:
    err = refused("Họ và tên,Năm sinh\nLò Thị Mai,1985\n".encode())
    assert err.code == "text"
    assert "CSV" in err.message and "Lưu thành" in err.message


def test_ole2_is_encrypted_or_legacy_xls() -> None:
    err = refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert err.code == "ole2"
    assert "mật khẩu" in err.message and ".xls" in err.message


def test_pdf_and_image_are_named() -> None:
    assert refused(b"%PDF-1.7\n...").code == "pdf"
    assert refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50).code == "image"
    assert refused(b"\xef\xbb\xbf<html><body>x</body></html>").code == "html"


def test_too_large_by_the_limit(campaign_file: Path) -> None:
    data = workbook_bytes(campaign_file)
    err = refused(data, up.Limits(max_bytes=len(data) - 1))
    assert err.code == "too_large" and "quá lớn" in err.message


def test_truncated_zip_is_damaged(campaign_file: Path) -> None:
    data = workbook_bytes(campaign_file)
    err = refused(data[: len(data) // 2])
    assert err.code == "damaged" and "hỏng" in err.message


def test_docx_like_zip_is_not_a_workbook() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    err = refused(out.getvalue())
    assert err.code == "not_workbook" and "Word" in err.message


def test_ods_renamed_is_named() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    err = refused(out.getvalue())
    assert err.code == "opendocument" and "LibreOffice" in err.message


def test_zip_bomb_by_compression_ratio(campaign_file: Path) -> None:
    bomb = rezip(workbook_bytes(campaign_file), {"xl/media/zeros.bin": b"\x00" * (8 * up.MiB)})
    assert len(bomb) < 100_000  # a few MB of zeros squeeze into a few KB
    err = refused(bomb)
    assert err.code == "zip_bomb"


def test_zip_bomb_by_total_size(campaign_file: Path) -> None:
    noisy = bytes(range(256)) * 4096  # 1 MiB that barely compresses (ratio ~1)
    parts: dict[str, bytes | None] = {f"xl/media/p{i}.bin": noisy for i in range(6)}
    data = rezip(workbook_bytes(campaign_file), parts)
    err = refused(data, up.Limits(max_total=4 * up.MiB))
    assert err.code == "zip_bomb"


def test_lying_declared_sizes_are_not_trusted(campaign_file: Path) -> None:
    """Central directory and local header claim 10 bytes for a 4 MiB part: never read past."""
    data = bytearray(rezip(workbook_bytes(campaign_file), {"xl/media/z.bin": b"\x00" * 4 * up.MiB}))
    name = b"xl/media/z.bin"
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = data.find(sig)
        while pos != -1:
            name_len_at = 26 if sig == b"PK\x03\x04" else 28
            n = int.from_bytes(data[pos + name_len_at : pos + name_len_at + 2], "little")
            start = pos + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[start : start + n]) == name:
                data[pos + offset : pos + offset + 4] = (10).to_bytes(4, "little")
            pos = data.find(sig, pos + 4)
    err = refused(bytes(data))
    assert err.code in ("damaged", "zip_bomb")


def test_too_many_entries(campaign_file: Path) -> None:
    parts: dict[str, bytes | None] = {f"xl/media/e{i}.txt": b"x" for i in range(30)}
    err = refused(rezip(workbook_bytes(campaign_file), parts), up.Limits(max_entries=20))
    assert err.code == "zip_bomb"


def test_billion_laughs_in_a_sheet_is_refused(campaign_file: Path) -> None:
    data = workbook_bytes(campaign_file)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
    body = sheet.split("?>", 1)[1] if sheet.startswith("<?xml") else sheet
    evil = rezip(data, {"xl/worksheets/sheet2.xml": (BILLION_LAUGHS + body).encode()})
    err = refused(evil)
    assert err.code == "xml_declaration" and "DOCTYPE" in err.message


def test_utf16_doctype_is_seen_too(campaign_file: Path) -> None:
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    evil = rezip(workbook_bytes(campaign_file), {"xl/custom.xml": xml.encode("utf-16")})
    assert refused(evil).code == "xml_declaration"


def test_macro_enabled_workbook_is_refused(campaign_file: Path) -> None:
    data = rezip(workbook_bytes(campaign_file), {"xl/vbaProject.bin": b"\x00VBA" * 20})
    err = refused(data)
    assert err.code == "macro" and ".xlsm" in err.message


def _save_copy(campaign_file: Path, tmp: Path, edit: object = None, unit: str = "DV1") -> Path:
    src = campaign_file.parent / "workbooks" / f"{unit}.xlsx"
    target = tmp / "upload.xlsx"
    shutil.copy(src, target)
    if edit is not None:
        wb = openpyxl.load_workbook(target)
        edit(wb)  # type: ignore[operator]
        wb.save(target)
    return target


NOW = datetime.fromisoformat("2025-04-12T09:00:00+07:00")


def test_check_workbook_accepts_the_units_own(campaign_file: Path, tmp_path: Path) -> None:
    c = load_campaign(campaign_file)
    path = _save_copy(campaign_file, tmp_path, lambda wb: wb["Danh sách"].append(["A", 1980]))
    sheets = up.check_workbook(path, c, c.unit("DV1"), now=NOW, current=None)
    assert len(sheets.forms["ds"].frame) == 1


def test_check_workbook_refuses_other_units_book(campaign_file: Path, tmp_path: Path) -> None:
    c = load_campaign(campaign_file)
    path = _save_copy(campaign_file, tmp_path, unit="DV2")
    with pytest.raises(up.UploadRefused) as info:
        up.check_workbook(path, c, c.unit("DV1"), now=NOW, current=None)
    assert info.value.code == "other_unit" and "Đơn vị Hai" in info.value.message


def test_check_workbook_refuses_another_template(campaign_file: Path, tmp_path: Path) -> None:
    c = load_campaign(campaign_file)
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active.append(["Tên", "Tuổi"])
    path = tmp_path / "khac.xlsx"
    wb.save(path)
    with pytest.raises(up.UploadRefused) as info:
        up.check_workbook(path, c, c.unit("DV1"), now=NOW, current=None)
    assert info.value.code == "wrong_template"
    assert (
        "không phải mẫu của đợt này" in info.value.message and "'Danh sách'" in info.value.message
    )


def test_check_workbook_names_a_missing_column(campaign_file: Path, tmp_path: Path) -> None:
    c = load_campaign(campaign_file)

    def drop(wb: openpyxl.Workbook) -> None:
        wb["Danh sách"]["B1"] = "Tuổi"

    path = _save_copy(campaign_file, tmp_path, drop)
    with pytest.raises(up.UploadRefused) as info:
        up.check_workbook(path, c, c.unit("DV1"), now=NOW, current=None)
    assert "'Năm sinh'" in info.value.message


def test_size_text() -> None:
    assert up.size_text(500) == "500 byte"
    assert up.size_text(12 * 1024) == "12 KB"
    assert up.size_text(int(10.5 * up.MiB)) == "10,5 MB"


def test_changed_rows_of_a_locked_form_are_refused(campaign_file: Path, tmp_path: Path) -> None:
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(
        text.replace(
            "due: 2099-04-20T17:00", "due: 2025-04-20T17:00\n    grace: 2d\n    lock: true"
        ),
        encoding="utf-8",
    )
    c = load_campaign(campaign_file)
    current = campaign_file.parent / "workbooks" / "DV1.xlsx"
    wb = openpyxl.load_workbook(current)
    wb["Danh sách"].append(["Lò Thị Mai", 1985])
    wb.save(current)
    after = datetime.fromisoformat("2025-04-23T09:00:00+07:00")
    same = _save_copy(campaign_file, tmp_path)
    up.check_workbook(same, c, c.unit("DV1"), now=after, current=current)  # unchanged: fine
    changed = _save_copy(campaign_file, tmp_path, lambda wb: wb["Danh sách"].append(["B", 1990]))
    up.check_workbook(changed, c, c.unit("DV1"), now=NOW, current=current)  # before the lock
    with pytest.raises(up.UploadRefused) as info:
        up.check_workbook(changed, c, c.unit("DV1"), now=after, current=current)
    assert info.value.code == "locked"
    assert "«Danh sách» đã khoá sổ lúc 17:00 ngày 22/04/2025" in info.value.message
