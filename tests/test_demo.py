"""`thidua demo`: the whole local loop, and the consolidated workbook contract (DESIGN §8)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sync.campaign import load_campaign
from sync.cli import cli


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
    summary = [c.value for c in wb["Tổng hợp"][1]]
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
    names = [r[1] for r in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True)]
    assert names.count("Tổng cộng") == len(campaign.forms)
    form = campaign.form("dai_bieu")
    merged = [c.value for c in wb[form.tab][1]]
    assert merged == ["Mã đơn vị", "Đơn vị", *form.headers, "Kết quả kiểm tra"]
    fix = [c.value for c in wb["Cần sửa"][1]]
    assert fix == ["Mã đơn vị", "Đơn vị", "Biểu mẫu", "Dòng", "Cột", "Mức độ", "Nội dung"]


def test_planted_mistakes_are_found(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    wb = openpyxl.load_workbook(folder / "workbooks" / "Tong-hop.xlsx")
    fixes = list(wb["Cần sửa"].iter_rows(min_row=2, values_only=True))
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
        for row in wb["Đại biểu"].iter_rows(min_row=2)
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")
    ]
    assert cells and all(c.data_type == "s" for c in cells)


def test_nfd_name_arrives_nfc(demo: tuple[Path, str]) -> None:
    import unicodedata

    folder, _ = demo
    wb = openpyxl.load_workbook(folder / "workbooks" / "Tong-hop.xlsx")
    for row in wb["Đại biểu"].iter_rows(min_row=2, values_only=True):
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
