"""The local store reads unit workbooks with calamine (values only) exactly as openpyxl
would: whole numbers, dates, booleans, leading zeros, merged data cells, status column."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sync.campaign import Campaign, load_campaign
from sync.stores.local import LocalStore, reader

DATA = Path(__file__).parent / "data" / "stores" / "campaign.yaml"


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign(DATA)


def test_calamine_reads_what_openpyxl_reads(campaign: Campaign, tmp_path: Path) -> None:
    store = LocalStore(campaign, folder=tmp_path)
    unit = campaign.units[0]
    store.provision(unit)
    store.put_rows(
        unit.id,
        "dai_bieu",
        [
            {"ho_ten": "Nguyễn Thị Hoa", "gioi_tinh": "Nữ", "nam_sinh": 1985},
            {"ho_ten": "Lò Văn Pành", "nam_sinh": 1979.5, "ngay_vao": datetime(2010, 5, 1)},
            None,
            {"ho_ten": "0912 345", "truc_tiep": True, "ngay_vao": datetime(2011, 1, 2, 8, 30)},
            {"ho_ten": "Gộp", "dan_toc": "Thái"},
        ],
    )
    path = store.path(unit)
    wb = openpyxl.load_workbook(path)
    ws = wb["Đại biểu"]
    ws.merge_cells("D6:D7")  # dân tộc merged over two data rows
    ws["A7"] = "Dòng gộp"
    ws["G2"] = "✓ Hợp lệ"  # the status column as feedback left it
    wb.save(path)
    assert not reader.has_formulas(path)

    fast = reader.read_workbook(path, campaign, unit, "r1")
    slow = reader._read_openpyxl(path, campaign, unit, "r1")
    for form_id, sheet in slow.forms.items():
        got = fast.forms[form_id]
        pd.testing.assert_frame_equal(got.frame, sheet.frame)
        assert [type(v) for v in got.frame.to_numpy().ravel()] == [
            type(v) for v in sheet.frame.to_numpy().ravel()
        ]
        assert got.findings == sheet.findings and got.status == sheet.status
    rows = fast.forms["dai_bieu"].frame
    assert rows["nam_sinh"].tolist()[0] == 1985 and isinstance(rows["nam_sinh"].tolist()[0], int)
    assert rows["dan_toc"].tolist()[-2:] == ["Thái", "Thái"]


def test_a_workbook_with_formulas_is_read_by_openpyxl(campaign: Campaign, tmp_path: Path) -> None:
    store = LocalStore(campaign, folder=tmp_path)
    unit = campaign.units[0]
    store.provision(unit)
    path = store.path(unit)
    wb = openpyxl.load_workbook(path)
    wb["Đại biểu"]["A2"] = "Nguyễn Văn A"
    wb["Đại biểu"]["C2"] = "=1950+35"
    wb.save(path)
    assert reader.has_formulas(path)
    frame = store.read_unit(unit).forms["dai_bieu"].frame
    assert frame["nam_sinh"].tolist() == ["=1950+35"]  # no cached value: its text


def test_a_damaged_workbook_still_gets_the_vietnamese_message(
    campaign: Campaign, tmp_path: Path
) -> None:
    store = LocalStore(campaign, folder=tmp_path)
    unit = campaign.units[0]
    store.provision(unit)
    path = store.path(unit)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    got = store.read_unit(unit)
    assert got.problem is not None and got.problem.code == "sheet_unavailable"
    assert "không" in got.problem.message.lower()
