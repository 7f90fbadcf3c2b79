"""Local (openpyxl) store behaviour beyond the shared contract: layout, tolerance, safety."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from sync.campaign import Campaign, Unit, load_campaign
from sync.consolidate import Consolidated
from sync.errors import PermissionDenied, StoreError, WorkbookLocked, WorkbookUnreadable
from sync.feedback import GUIDE_TAB, CellNote, FormFeedback, RowStatus, UnitFeedback
from sync.stores.base import ROW
from sync.stores.grid import MAX_DATA_ROWS
from sync.stores.local import LocalStore, files, writer
from sync.stores.local.consolidated import HEADER_ROW

DATA = Path(__file__).parent / "data" / "stores" / "campaign.yaml"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui",
)


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign(DATA)


@pytest.fixture
def store(campaign: Campaign, tmp_path: Path) -> LocalStore:
    return LocalStore(campaign, folder=tmp_path / "wb")


@pytest.fixture
def unit(campaign: Campaign) -> Unit:
    return campaign.units[0]


def feedback(unit: Unit, text: str = "Lỗi: thiếu năm sinh", row: int = 2) -> UnitFeedback:
    return UnitFeedback(
        unit_id=unit.id,
        forms={
            "dai_bieu": FormFeedback(
                "dai_bieu",
                status={row: RowStatus(text, "error")},
                notes=[CellNote(row, "nam_sinh", "error", text)],
            )
        },
        summary=[["Kiểm tra", text]],
    )


def soffice_convert(src: Path, fmt: str, outdir: Path) -> Path:
    """Convert with LibreOffice in a private profile; returns the converted file."""
    assert SOFFICE is not None
    profile = outdir / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(outdir)},
    )
    return outdir / f"{src.stem}.{fmt.split(':')[0]}"


# -- provisioning ---------------------------------------------------------------------------


def test_provisioned_workbook_layout(store: LocalStore, unit: Unit) -> None:
    store.provision(unit)
    path = store.path(unit)
    assert path.name == "TP-LAICHAU.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [GUIDE_TAB, "Đại biểu", "Đăng ký", "_lists"]
    assert wb["_lists"].sheet_state == "hidden"
    ws = wb["Đại biểu"]
    validations = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert validations["B2:B1001"] == '"Nam,Nữ"'
    assert validations["D2:D1001"] == "'_lists'!$A$2:$A$55"
    lists = [c.value for c in wb["_lists"]["A"]][1:]
    assert len(lists) == 54 and lists[0] == "Kinh" and lists[-1] == "Rơ Măm"
    assert ws["A1"].comment is not None and ws["A1"].comment.text == "Ghi đầy đủ họ và tên có dấu"
    assert ws.freeze_panes == "A2"
    assert ws.protection.sheet and not ws.protection.password
    assert not ws.protection.formatCells and not ws.protection.insertRows
    assert ws["A1"].protection.locked and ws["G2"].protection.locked
    # data columns are unlocked by column style (Excel and LibreOffice apply it to every
    # cell without a record of its own); the status column G keeps the locked default
    assert all(not ws.column_dimensions[c].protection.locked for c in "ABCDEF")
    assert ws.column_dimensions["G"].protection.locked
    assert ws.max_row < 10  # no thousands of empty styled cells to parse on every read
    assert ws["G1"].value == "Kết quả kiểm tra"
    assert ws.column_dimensions["F"].width == 18
    assert all(10 <= ws.column_dimensions[c].width <= 50 for c in "ABCDE")
    assert ws.column_dimensions["E"].width > ws.column_dimensions["A"].width
    reg = wb["Đăng ký"]
    assert reg["A1"].value == "BẢNG ĐĂNG KÝ DANH HIỆU THI ĐUA NĂM 2025" and reg["A1"].font.b
    assert "A1:D1" in {str(r) for r in reg.merged_cells.ranges}
    assert [c.value for c in reg[3]] == [
        "Họ và tên",
        "Danh hiệu đăng ký",
        "Số năm công tác",
        "Kết quả kiểm tra",
    ]
    assert reg.freeze_panes == "A4"


def test_guide_tab_names_unit_quota_and_deadlines(store: LocalStore, unit: Unit) -> None:
    store.provision(unit)
    ws = openpyxl.load_workbook(store.path(unit))[GUIDE_TAB]
    pairs = [(r[0], r[1]) for r in ws.iter_rows(values_only=True)]
    flat = {v for pair in pairs for v in pair}
    assert "LĐLĐ thành phố Lai Châu (TP-LAICHAU)" in flat
    assert ("Chỉ tiêu", 14) in pairs and ("Chỉ tiêu", "không giới hạn") in pairs
    assert ("Hạn nộp", "20/04/2025 17:00") in pairs
    assert ("Nhận muộn đến", "22/04/2025 17:00") in pairs
    assert ("Mở từ", "01/03/2025 00:00") in pairs
    assert ("Lưu ý", "Ưu tiên công nhân lao động trực tiếp sản xuất.") in pairs
    assert ("Hạn nộp", "10/02/2025 23:59") in pairs


def test_reprovision_restores_a_deleted_tab_and_keeps_data(store: LocalStore, unit: Unit) -> None:
    store.provision(unit)
    wb = openpyxl.load_workbook(store.path(unit))
    wb["Đại biểu"]["A2"] = "Nguyễn Thị Hoa"
    del wb["Đăng ký"]
    wb.save(store.path(unit))
    report = store.provision(unit)
    assert report.actions == ["Thêm tab 'Đăng ký'"]
    wb = openpyxl.load_workbook(store.path(unit))
    assert wb["Đại biểu"]["A2"].value == "Nguyễn Thị Hoa" and "Đăng ký" in wb.sheetnames


def test_provision_never_overwrites_a_file_it_cannot_read(store: LocalStore, unit: Unit) -> None:
    store.folder.mkdir(parents=True)
    store.path(unit).write_text("Họ và tên,Giới tính\nA,Nam\n", encoding="utf-8")
    with pytest.raises(WorkbookUnreadable, match="CSV"):
        store.provision(unit)
    assert store.path(unit).read_text(encoding="utf-8").startswith("Họ và tên")


# -- tolerant reading -----------------------------------------------------------------------


def write_sheet(
    store: LocalStore, unit: Unit, tab: str, rows: list[list[Any]]
) -> openpyxl.Workbook:
    store.folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = tab
    for row in rows:
        ws.append(row)
    wb.save(store.path(unit))
    return wb


def test_reads_what_people_do_to_workbooks(store: LocalStore, unit: Unit) -> None:
    header = [
        "STT",
        " Họ và  tên ",
        "giới tính",
        "Ghi chú",
        "Năm sinh",
        "Dân tộc",
        "Ngày vào Công đoàn",
        "Công nhân lao động trực tiếp",
    ]
    rows = [
        header,
        [1, "Nguyễn Thị Hoa ", "Nữ", "tổ 3", "1985", "Thái", datetime(2010, 5, 1), "x"],
        [2, "Lò Thị Mai", None, None, 1990.0, "Thái", "01/02/2012", None],
        [3, None, None, None, None, None, None, None],
        [None, "   ", None, "ghi chú lẻ", None, None, None, None],
        [None],
        [4, "Vàng A Sử", "Nam", None, 1979, "Mông", None, True],
    ]
    wb = write_sheet(store, unit, "Đại biểu", rows)
    ws = wb.active
    ws.merge_cells("C2:C3")  # "Nữ" applies to both rows
    wb.save(store.path(unit))
    sheet = store.read_unit(unit).forms["dai_bieu"]
    assert sheet.findings == []
    frame = sheet.frame
    assert frame[ROW].tolist() == [2, 3, 7]  # rows 4-6: STT only, spaces, blank
    assert frame["gioi_tinh"].tolist() == ["Nữ", "Nữ", "Nam"]
    assert frame["ho_ten"].tolist()[0] == "Nguyễn Thị Hoa "  # raw: the rules normalise
    assert frame["nam_sinh"].tolist() == ["1985", 1990, 1979]
    assert frame["ngay_vao"].tolist()[:2] == [datetime(2010, 5, 1), "01/02/2012"]
    assert frame["truc_tiep"].tolist() == ["x", None, True]


def test_rows_inserted_above_the_header_are_tolerated(store: LocalStore, unit: Unit) -> None:
    store.provision(unit)
    wb = openpyxl.load_workbook(store.path(unit))
    ws = wb["Đại biểu"]
    ws.insert_rows(1, 2)
    ws["A1"] = "DANH SÁCH ĐẠI BIỂU"
    ws["A4"] = "Nguyễn Văn A"
    wb.save(store.path(unit))
    sheet = store.read_unit(unit).forms["dai_bieu"]
    assert sheet.findings == []
    assert sheet.frame[[ROW, "ho_ten"]].values.tolist() == [[4, "Nguyễn Văn A"]]


def test_formula_without_cached_value_reads_as_its_text(store: LocalStore, unit: Unit) -> None:
    store.provision(unit)
    wb = openpyxl.load_workbook(store.path(unit))
    ws = wb["Đại biểu"]
    ws["A2"] = "Nguyễn Văn A"
    ws["C2"] = "=1950+35"
    wb.save(store.path(unit))
    frame = store.read_unit(unit).forms["dai_bieu"].frame
    assert frame["nam_sinh"].tolist() == ["=1950+35"]


@needs_soffice
def test_formula_cached_values_are_read_and_survive_feedback(
    store: LocalStore, unit: Unit, tmp_path: Path
) -> None:
    store.provision(unit)
    wb = openpyxl.load_workbook(store.path(unit))
    ws = wb["Đại biểu"]
    ws["A2"] = "Nguyễn Văn A"
    ws["B2"] = '=IF(1>0,"Nữ","Nam")'
    ws["C2"] = "=1950+35"
    raw = tmp_path / "raw" / store.path(unit).name
    raw.parent.mkdir()
    wb.save(raw)
    out = tmp_path / "lo"
    out.mkdir()
    computed = soffice_convert(raw, "xlsx", out)
    shutil.copy(computed, store.path(unit))
    sheet = store.read_unit(unit).forms["dai_bieu"]
    assert sheet.frame[["gioi_tinh", "nam_sinh"]].values.tolist() == [["Nữ", 1985]]
    assert store.write_feedback(unit, feedback(unit)) is True
    again = store.read_unit(unit).forms["dai_bieu"].frame
    assert again[["gioi_tinh", "nam_sinh"]].values.tolist() == [["Nữ", 1985]]
    formulas = openpyxl.load_workbook(store.path(unit))["Đại biểu"]
    assert formulas["C2"].value == "=1950+35"


# -- damaged, foreign and huge files --------------------------------------------------------


def _csv(path: Path) -> None:
    path.write_text("Họ và tên;Giới tính\nNguyễn Văn A;Nam\n", encoding="utf-8")


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "không phải sổ Excel")


def _ole2(path: Path) -> None:
    path.write_bytes(files.OLE2_MAGIC + b"\x00" * 504)


def _truncated(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_csv, "CSV"),
        (_zip, "không phải sổ Excel hợp lệ"),
        (_ole2, "mật khẩu"),
        (_truncated, "hợp lệ"),
        (_empty, "tệp rỗng"),
    ],
    ids=["csv-renamed", "zip", "ole2-encrypted", "truncated", "empty"],
)
def test_foreign_or_damaged_files_become_a_problem_not_a_crash(
    store: LocalStore, unit: Unit, make: Any, words: str
) -> None:
    store.folder.mkdir(parents=True)
    make(store.path(unit))
    sheets = store.read_unit(unit)
    assert sheets.problem is not None and sheets.problem.code == "sheet_unavailable"
    assert words in sheets.problem.message and unit.name in sheets.problem.message
    assert sheets.revision is not None
    with pytest.raises(StoreError):
        store.write_feedback(unit, feedback(unit))


def test_huge_paste_reads_the_first_rows_and_says_so(store: LocalStore, campaign: Campaign) -> None:
    big, other = campaign.units[0], campaign.units[1]
    store.provision(other)
    rows: list[list[Any]] = [list(campaign.form("dai_bieu").headers)]
    rows += [[f"Người {i}", "Nam", 1980 + i % 20] for i in range(20_000)]
    write_sheet(store, big, "Đại biểu", rows)
    started = time.perf_counter()
    sheet = store.read_unit(big).forms["dai_bieu"]
    elapsed = time.perf_counter() - started
    codes = [f.code for f in sheet.findings]
    assert "too_many_rows" in codes
    finding = sheet.findings[codes.index("too_many_rows")]
    assert "20.000" in finding.message and "5.000" in finding.message
    assert len(sheet.frame) == MAX_DATA_ROWS and sheet.frame[ROW].iloc[-1] == MAX_DATA_ROWS + 1
    assert store.read_unit(other).problem is None
    print(f"read 20 000 rows in {elapsed:.2f} s")


# -- writing safely -------------------------------------------------------------------------


def test_feedback_never_changes_a_typed_cell(store: LocalStore, unit: Unit) -> None:
    store.provision(unit)
    wb = openpyxl.load_workbook(store.path(unit))
    ws = wb["Đại biểu"]
    ws.append([])
    values = [
        ["Nguyễn Thị Hoa  ", "Nữ", "1985", "Thái", date(2010, 5, 1), "x"],
        ["Lò Văn Pành", "Nam", 1979, "Mông", datetime(2011, 2, 3, 8, 30), True],
        ['=UPPER("an")', "nam", 1990.5, None, "01/02/2012", 1],
    ]
    for r, row in enumerate(values, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    ws["E3"].number_format = "dd/mm/yyyy hh:mm"
    ws["C4"].number_format = "0.0"
    wb.save(store.path(unit))

    def snapshot() -> dict[str, tuple[Any, str, str]]:
        sheet = openpyxl.load_workbook(store.path(unit))["Đại biểu"]
        return {
            c.coordinate: (c.value, c.data_type, c.number_format)
            for row in sheet.iter_rows(min_row=2, max_row=6, max_col=6)
            for c in row
        }

    before = snapshot()
    fb = UnitFeedback(
        unit_id=unit.id,
        forms={
            "dai_bieu": FormFeedback(
                "dai_bieu",
                status={r: RowStatus(f"Lỗi dòng {r}", "error") for r in (2, 3, 4)},
                notes=[
                    CellNote(r, k, "error", "sai")
                    for r in (2, 3, 4)
                    for k in ("ho_ten", "ngay_vao")
                ],
            )
        },
        summary=[["Số lỗi", 6]],
    )
    assert store.write_feedback(unit, fb) is True
    assert snapshot() == before
    ws = openpyxl.load_workbook(store.path(unit))["Đại biểu"]
    assert ws["A2"].fill.fgColor.rgb == writer.ERROR_RGB and ws["G2"].value == "Lỗi dòng 2"


def test_feedback_colours_and_keeps_other_peoples_comments(store: LocalStore, unit: Unit) -> None:
    from openpyxl.comments import Comment

    store.provision(unit)
    wb = openpyxl.load_workbook(store.path(unit))
    ws = wb["Đại biểu"]
    ws["A2"] = "Nguyễn Văn A"
    ws["A3"] = "Trần Văn B"
    ws["C3"].comment = Comment("Nhờ kiểm tra lại", "Cán bộ đơn vị")
    wb.save(store.path(unit))
    fb = UnitFeedback(
        unit_id=unit.id,
        forms={
            "dai_bieu": FormFeedback(
                "dai_bieu",
                status={2: RowStatus("Cảnh báo", "warning"), 3: RowStatus("Lỗi", "error")},
                notes=[
                    CellNote(2, "nam_sinh", "warning", "a"),
                    CellNote(3, "nam_sinh", "error", "b"),
                ],
            )
        },
    )
    store.write_feedback(unit, fb)
    ws = openpyxl.load_workbook(store.path(unit))["Đại biểu"]
    assert ws["C2"].fill.fgColor.rgb == writer.WARNING_RGB
    assert ws["C3"].fill.fgColor.rgb == writer.ERROR_RGB
    assert ws["C3"].comment.text == "Nhờ kiểm tra lại"
    store.write_feedback(
        unit, UnitFeedback(unit_id=unit.id, forms={"dai_bieu": FormFeedback("dai_bieu")})
    )
    ws = openpyxl.load_workbook(store.path(unit))["Đại biểu"]
    assert ws["C2"].fill.fill_type is None and ws["C2"].comment is None
    assert ws["C3"].fill.fill_type is None and ws["C3"].comment.text == "Nhờ kiểm tra lại"
    assert ws["G3"].value is None


def test_read_only_folder_refuses_writes_with_a_clear_message(
    store: LocalStore, unit: Unit
) -> None:
    store.provision(unit)
    store.folder.chmod(0o555)
    try:
        if os.access(store.folder, os.W_OK):
            pytest.skip("running as root: chmod does not make the folder read-only")
        assert store.read_unit(unit).problem is None
        with pytest.raises(PermissionDenied, match="quyền ghi"):
            store.write_feedback(unit, feedback(unit))
    finally:
        store.folder.chmod(0o755)


def test_a_failed_replace_keeps_the_old_file_and_no_temp_file(
    store: LocalStore, unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.provision(unit)
    before = store.path(unit).read_bytes()

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(PermissionDenied, match="quyền ghi"):
        store.write_feedback(unit, feedback(unit))
    assert store.path(unit).read_bytes() == before
    assert sorted(p.name for p in store.folder.iterdir()) == [
        ".TP-LAICHAU.xlsx.lock",
        "TP-LAICHAU.xlsx",
    ]


def test_workbook_held_by_another_process_is_reported_as_locked(
    store: LocalStore, unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    if files.fcntl is None:
        pytest.skip("no fcntl on this platform")
    store.provision(unit)
    lock = store.folder / f".{store.path(unit).name}.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl,sys,time;f=open(sys.argv[1],'a+b');fcntl.flock(f,fcntl.LOCK_EX);"
            "print('held',flush=True);time.sleep(30)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(files, "LOCK_TIMEOUT", 0.3)
        with pytest.raises(WorkbookLocked, match="tiến trình khác"):
            files_lock_write(store, unit)
        assert store.read_unit(unit).problem is None  # reads are not blocked
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert store.write_feedback(unit, feedback(unit)) is True


def files_lock_write(store: LocalStore, unit: Unit) -> None:
    with files.workbook_lock(store.path(unit), timeout=files.LOCK_TIMEOUT):
        pass


def test_workbook_open_in_excel_is_not_overwritten(store: LocalStore, unit: Unit) -> None:
    store.provision(unit)
    files.owner_file(store.path(unit)).write_bytes(b"\x00owner")
    with pytest.raises(WorkbookLocked, match="đang được mở trong Excel"):
        store.write_feedback(unit, feedback(unit))


def test_concurrent_writes_are_serialised(
    store: LocalStore, unit: Unit, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.provision(unit)
    active = 0
    most = 0
    guard = threading.Lock()
    real_save = writer.atomic_save

    def slow_save(*args: Any, **kwargs: Any) -> None:
        nonlocal active, most
        with guard:
            active += 1
            most = max(most, active)
        time.sleep(0.05)
        try:
            real_save(*args, **kwargs)
        finally:
            with guard:
                active -= 1

    monkeypatch.setattr(writer, "atomic_save", slow_save)
    errors: list[BaseException] = []

    def work(tag: str) -> None:
        try:
            for i in range(4):
                store.write_feedback(unit, feedback(unit, f"Lỗi {tag}{i}", row=2 + i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in "AB"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and most == 1
    sheet = store.read_unit(unit).forms["dai_bieu"]
    assert len(sheet.status) == 1 and next(iter(sheet.status.values())) in {"Lỗi A3", "Lỗi B3"}
    assert not [p for p in store.folder.iterdir() if p.suffix == ".tmp"]


# -- consolidated ---------------------------------------------------------------------------


def consolidated() -> Consolidated:
    frame = pd.DataFrame(
        {
            "Mã đơn vị": ["TP-LAICHAU", "H-PHONGTHO", None],
            "Họ và tên": ['=HYPERLINK("http://x","bấm")', "-Nguyễn Văn A", "Tổng cộng"],
            "Số dòng": [3, 2, 5],
        }
    )
    return Consolidated(tables={"Tổng hợp": frame}, total_rows={"Tổng hợp": [2]})


def test_consolidated_workbook_styles_and_text_cells(store: LocalStore) -> None:
    path = Path(store.write_consolidated(consolidated()))
    assert path.name == "Tong-hop.xlsx"
    ws = openpyxl.load_workbook(path)["Tổng hợp"]
    h = HEADER_ROW
    assert [c.value for c in ws[h]] == ["STT", "Mã đơn vị", "Họ và tên", "Số dòng"]
    assert ws[f"C{h + 1}"].data_type == "s" and ws[f"C{h + 1}"].value.startswith("=HYPERLINK")
    assert ws[f"C{h + 2}"].data_type == "s"
    # STT numbers the data rows, not the totals row (bold)
    assert [ws[f"A{h + i}"].value for i in (1, 2, 3)] == [1, 2, None]
    assert ws[f"B{h}"].font.b and ws[f"C{h + 3}"].font.b and not ws[f"C{h + 1}"].font.b
    assert ws.freeze_panes == f"C{h + 1}"
    assert ws.column_dimensions["C"].width >= len("Họ và tên")


@needs_soffice
def test_libreoffice_reads_formula_like_names_as_text(store: LocalStore, tmp_path: Path) -> None:
    path = Path(store.write_consolidated(consolidated()))
    out = tmp_path / "csv"
    out.mkdir()
    started = time.perf_counter()
    csv = soffice_convert(path, "csv:Text - txt - csv (StarCalc):44,34,76", out)
    print(f"soffice csv conversion took {time.perf_counter() - started:.1f} s")
    lines = csv.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("STT,")) + 1
    assert lines[at].startswith('1,TP-LAICHAU,"=HYPERLINK(""http://x"",""bấm"")"')
    assert lines[at + 1].startswith("2,H-PHONGTHO,-Nguyễn Văn A,")
