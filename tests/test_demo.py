"""`thidua demo`: the whole local loop, and the consolidated workbook contract (docs/design.md: Consolidated output)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from sync.campaign import load_campaign
from sync.cli import cli
from sync.stores.local.consolidated import HEADER_ROW, read_consolidated


def header(ws: Any) -> list[Any]:
    """The contract columns of a consolidated tab (after the STT column)."""
    return [c.value for c in ws[HEADER_ROW]][1:]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["demo", str(folder)])
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_demo_prints_summary_and_paths(demo: tuple[Path, str]) -> None:
    folder, output = demo
    assert "trễ hạn" in output and "đã nộp đúng hạn" in output
    assert str(folder / "workbooks" / "Tong-hop.xlsx") in output
    campaign = load_campaign(folder / "campaign.yaml")
    for unit in campaign.units:
        assert (folder / "workbooks" / f"{unit.id}.xlsx").is_file()


def test_consolidated_tabs_and_columns(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    campaign = load_campaign(folder / "campaign.yaml")
    wb = openpyxl.load_workbook(folder / "workbooks" / "Tong-hop.xlsx")
    assert wb.sheetnames == ["Tổng hợp", *[f.tab for f in campaign.forms], "Cần sửa"]
    summary = header(wb["Tổng hợp"])
    assert summary[:8] == [
        "Mã đơn vị",
        "Đơn vị",
        "Biểu mẫu",
        "Chỉ tiêu",
        "Số dòng",
        "Số dòng hợp lệ",
        "Số lỗi",
        "Số cảnh báo",
    ]
    assert summary[-3:] == ["Trạng thái", "Cập nhật lúc", "Nộp lúc"]
    assert "Tỷ lệ Nữ" in summary or any(str(h).startswith("Tỷ lệ") for h in summary)
    names = [r[1] for r in read_consolidated(folder / "workbooks" / "Tong-hop.xlsx")["Tổng hợp"]]
    assert names.count("Tổng cộng") == len(campaign.forms)
    form = campaign.form("dai_bieu")
    merged = header(wb[form.tab])
    assert merged == ["Mã đơn vị", "Đơn vị", *form.headers, "Kết quả kiểm tra"]
    fix = header(wb["Cần sửa"])
    assert fix == ["Mã đơn vị", "Đơn vị", "Biểu mẫu", "Dòng", "Cột", "Mức độ", "Nội dung"]


def test_planted_mistakes_are_found(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    fixes = read_consolidated(folder / "workbooks" / "Tong-hop.xlsx")["Cần sửa"][1:]
    messages = " | ".join(str(r[6]) for r in fixes)
    first = load_campaign(folder / "campaign.yaml").units[0].id
    assert any(r[0] == first and "chỉ tiêu" in str(r[6]).lower() for r in fixes), messages
    assert any(r[4] == "Năm sinh" and r[5] == "Lỗi" for r in fixes), messages
    assert sum(1 for r in fixes if "Trùng" in str(r[6]) or "trùng" in str(r[6])) >= 2, messages


def test_formula_looking_name_stays_text(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    wb = openpyxl.load_workbook(folder / "workbooks" / "Tong-hop.xlsx")
    cells = [
        c
        for row in wb["Đại biểu"].iter_rows(min_row=HEADER_ROW + 1)
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")
    ]
    assert cells and all(c.data_type == "s" for c in cells)


def test_nfd_name_arrives_nfc(demo: tuple[Path, str]) -> None:
    import unicodedata

    folder, _ = demo
    wb = openpyxl.load_workbook(folder / "workbooks" / "Tong-hop.xlsx")
    for row in wb["Đại biểu"].iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        for value in row:
            if isinstance(value, str):
                assert unicodedata.is_normalized("NFC", value) and value == value.strip()


def test_unit_workbook_has_feedback(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    campaign = load_campaign(folder / "campaign.yaml")
    first = campaign.units[0]
    wb = openpyxl.load_workbook(folder / "workbooks" / f"{first.id}.xlsx")
    assert "Kiểm tra" in wb.sheetnames and "Hướng dẫn" in wb.sheetnames
    summary = " ".join(
        str(c) for row in wb["Kiểm tra"].iter_rows(values_only=True) for c in row if c
    )
    assert first.name in summary and "Vượt chỉ tiêu" in summary


def test_consolidated_workbook_is_a_document(demo: tuple[Path, str]) -> None:
    """Title rows, STT, real numbers/percentages/dates, "x" ticks, state colours, print
    setup, sub-heading per form, and not a single formula cell."""
    from datetime import datetime

    folder, _ = demo
    campaign = load_campaign(folder / "campaign.yaml")
    wb = openpyxl.load_workbook(folder / "workbooks" / "Tong-hop.xlsx")
    ws = wb["Tổng hợp"]
    assert [ws.cell(row=r, column=1).value for r in range(1, 5)] == [
        "LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU",
        "TỔNG HỢP TIẾN ĐỘ NỘP DANH SÁCH CỦA CÁC ĐƠN VỊ",
        campaign.info.title,
        "Số liệu đến 17:00 21/04/2025",  # the demo's clock: the late submission
    ]
    cols = {h: i + 1 for i, h in enumerate(c.value for c in ws[HEADER_ROW])}
    assert ws.cell(row=HEADER_ROW, column=1).value == "STT"
    # a sub-heading per form, then its units numbered 1, 2, …
    first_form = campaign.forms[0]
    assert ws.cell(row=HEADER_ROW + 1, column=1).value == first_form.title
    assert ws.cell(row=HEADER_ROW + 2, column=1).value == 1
    rows = {
        (r[cols["Mã đơn vị"] - 1].value, r[cols["Biểu mẫu"] - 1].value): r
        for r in ws.iter_rows(min_row=HEADER_ROW + 1)
    }
    tp = rows[("TP-LAICHAU", "Danh sách trích ngang đại biểu")]
    quota, count, errors = (tp[cols[h] - 1] for h in ("Chỉ tiêu", "Số dòng", "Số lỗi"))
    assert (quota.value, count.value, errors.value) == (14, 16, 1)
    assert quota.data_type == "n" and count.number_format == "#,##0"
    share = tp[cols["Tỷ lệ nữ"] - 1]
    assert isinstance(share.value, float) and 0 < share.value < 1
    assert share.number_format == "0.0%"
    changed = tp[cols["Cập nhật lúc"] - 1]
    assert changed.value == datetime(2025, 4, 10, 17, 0)
    assert changed.number_format == "dd/mm/yyyy hh:mm"
    state = tp[cols["Trạng thái"] - 1]
    assert state.value == "Đang nhập, còn lỗi" and state.fill.fgColor.rgb == "FFFDE2E2"
    done = next(
        r
        for k, r in rows.items()
        if k[1] == "Danh sách trích ngang đại biểu"
        and r[cols["Trạng thái"] - 1].value == "Đã nộp đúng hạn"
    )
    assert done[cols["Trạng thái"] - 1].fill.fgColor.rgb == "FFE3F4E8"
    # frozen header, autofilter, print setup
    assert ws.freeze_panes == f"C{HEADER_ROW + 1}"
    assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert ws.print_area and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert "&P" in ws.oddFooter.center.text
    # a form tab: dates are dates, ticks are "x", years are numbers
    form = campaign.form("dai_bieu")
    tab = wb[form.tab]
    heads = [c.value for c in tab[HEADER_ROW]]
    ticks = [
        r[heads.index("Đảng viên")] for r in tab.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
    ]
    assert set(ticks) == {"x", None}
    years = [
        r[heads.index("Năm sinh")] for r in tab.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
    ]
    assert all(isinstance(y, int) for y in years if y is not None)
    assert wb["Hội nghị đơn vị"].cell(row=HEADER_ROW + 1, column=1).value == "Chưa có dữ liệu."
    for sheet in wb.worksheets:
        assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_consolidated_dates_are_dates(tmp_path: Path) -> None:
    """A date column (Ngày tổ chức) arrives as a date with the dd/mm/yyyy format."""
    from datetime import date

    from sync import operations
    from sync.demo import prepare
    from sync.stores import open_store

    campaign = load_campaign(prepare(tmp_path / "c"))
    store = open_store(campaign)
    unit = campaign.units[0]
    store.provision(unit)
    form = campaign.form("hoi_nghi_co_so")
    row = {
        "ten_hoi_nghi": "Hội nghị điển hình tiên tiến",
        "hinh_thuc": form.column("hinh_thuc").choices[0],  # type: ignore[index]
        "ngay_to_chuc": "12/03/2025",
        "so_dai_bieu": 120,
    }
    store.put_rows(unit.id, form.id, [row])
    operations.consolidate(operations.open_workspace(campaign, store=store), now=NOW)
    ws = openpyxl.load_workbook(campaign.local_path / "Tong-hop.xlsx")[form.tab]
    heads = [c.value for c in ws[HEADER_ROW]]
    cell = ws.cell(row=HEADER_ROW + 1, column=heads.index("Ngày tổ chức") + 1)
    assert cell.value == datetime_at(date(2025, 3, 12)) and cell.number_format == "dd/mm/yyyy"
    number = ws.cell(row=HEADER_ROW + 1, column=heads.index("Số đại biểu") + 1)
    assert number.value == 120 and number.data_type == "n"


NOW = datetime.fromisoformat("2025-04-12T09:00:00+07:00")


def datetime_at(day: Any) -> Any:
    """openpyxl reads a date cell back as a midnight datetime."""
    from datetime import datetime

    return datetime(day.year, day.month, day.day)
