"""The unit's workbook as a unit uses it: every cell it may edit stays editable after
provisioning, typing, validation feedback and re-validation (local store and Google), and
the workbook reads well (header heights, status column, guide tab)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync.campaign import Campaign, load_campaign
from sync.demo import run_demo
from tests.fake_google import FakeGoogle
from tests.google_driver import make_google_store
from tests.test_google_store import google_campaign

SOFFICE = shutil.which("soffice")
PINK = "FFFFC7CE"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Campaign, Path]:
    folder = tmp_path_factory.mktemp("unit-workbooks") / "laichau"
    run_demo(folder, say=lambda _line: None)
    campaign = load_campaign(folder / "campaign.yaml")
    return campaign, campaign.local_path


def column_locked(ws: Any, index: int) -> bool:
    """Effective protection of the cells of a column that have no record of their own."""
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= index <= dim.max:
            return bool(dim.protection.locked) if dim.protection is not None else True
    return True


def locked_cells(ws: Any, header_row: int, status_col: int) -> list[str]:
    """Cells of the data area (form columns, below the header) a unit cannot edit."""
    found = [
        c.coordinate
        for c in ws._cells.values()
        if c.row > header_row and c.column < status_col and c.protection.locked
    ]
    found += [
        f"cột {openpyxl.utils.get_column_letter(i)}"
        for i in range(1, status_col)
        if column_locked(ws, i)
    ]
    return found


def status_column(ws: Any, header_row: int, header: str) -> int:
    """The status column: its header's first line is the title (the form's state follows)."""
    return next(c.column for c in ws[header_row] if str(c.value).split("\n")[0] == header)


def test_every_editable_cell_stays_unlocked_after_the_demo(
    demo: tuple[Campaign, Path],
) -> None:
    campaign, folder = demo
    walked = 0
    for unit in campaign.units:
        wb = openpyxl.load_workbook(folder / f"{unit.id}.xlsx")
        for form in campaign.forms:
            ws = wb[form.tab]
            assert ws.protection.sheet, (unit.id, form.tab)
            status = status_column(ws, form.header_row, form.status_header)
            assert locked_cells(ws, form.header_row, status) == [], (unit.id, form.tab)
            # the header row and the status column stay protected
            assert ws.cell(row=form.header_row, column=1).protection.locked
            assert column_locked(ws, status)
            written = [
                c for c in ws._cells.values() if c.column == status and c.row > form.header_row
            ]
            assert all(c.protection.locked for c in written)
            walked += 1
    assert walked == len(campaign.units) * len(campaign.forms)


def test_the_highlighted_empty_cell_is_editable(demo: tuple[Campaign, Path]) -> None:
    """H-TAMDUONG's first delegate has no birth year: the cell is pink, with a note, and
    unlocked (it was locked before: a fresh style is locked by default)."""
    campaign, folder = demo
    form = campaign.form("dai_bieu")
    ws = openpyxl.load_workbook(folder / "H-TAMDUONG.xlsx")[form.tab]
    col = form.keys.index("nam_sinh") + 1
    cell = ws.cell(row=form.header_row + 1, column=col)
    assert cell.value is None and cell.fill.fgColor.rgb == PINK
    assert cell.comment is not None and "Năm sinh" in cell.comment.text
    assert cell.protection.locked is False


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_keeps_the_highlighted_cell_editable(
    demo: tuple[Campaign, Path], tmp_path: Path
) -> None:
    """LibreOffice opens the annotated workbook and saves it again: the pink cell is still
    unlocked and the sheet still protected, i.e. LibreOffice lets a unit type there."""
    campaign, folder = demo
    form = campaign.form("dai_bieu")
    src = tmp_path / "in" / "H-TAMDUONG.xlsx"
    src.parent.mkdir()
    shutil.copy(folder / "H-TAMDUONG.xlsx", src)
    out = tmp_path / "out"
    out.mkdir()
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{out / 'profile'}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    ws = openpyxl.load_workbook(out / "H-TAMDUONG.xlsx")[form.tab]
    assert ws.protection.sheet
    row = form.header_row + 1
    birth = ws.cell(row=row, column=form.keys.index("nam_sinh") + 1)
    assert birth.fill.fgColor.rgb == PINK and birth.protection.locked is False
    name = ws.cell(row=row, column=1)
    assert name.value and name.protection.locked is False
    assert ws.cell(row=form.header_row, column=1).protection.locked


def test_header_rows_fit_their_text_and_the_guide_names_deadline_quota_contact(
    demo: tuple[Campaign, Path],
) -> None:
    campaign, folder = demo
    wb = openpyxl.load_workbook(folder / "TP-LAICHAU.xlsx")
    form = campaign.form("dai_bieu")
    ws = wb[form.tab]
    # "Hình thức khen thưởng cao nhất đã nhận" wraps onto 2 lines at width 30
    assert ws.row_dimensions[form.header_row].height >= 36
    status = status_column(ws, form.header_row, form.status_header)
    assert ws.cell(row=form.header_row + 1, column=status).alignment.wrap_text
    guide = {r[0]: r[1] for r in wb["Hướng dẫn"].iter_rows(values_only=True) if r and r[0]}
    assert guide["Liên hệ"] == campaign.info.contact
    assert guide["Chỉ tiêu"] is not None and guide["Hạn nộp"]
    rows = list(wb["Hướng dẫn"].iter_rows(values_only=True))
    deadlines = [r[1] for r in rows if r[0] == "Hạn nộp"]
    assert "20/04/2025 17:00" in deadlines
    quotas = [r[1] for r in rows if r[0] == "Chỉ tiêu"]
    assert 14 in quotas  # TP-LAICHAU's delegate quota
    check = wb["Kiểm tra"]
    longest = max(len(str(c.value)) for c in check["A"] if c.value)
    assert check.column_dimensions["A"].width >= min(40, longest)


def test_google_protects_only_header_and_status_column(tmp_path: Path) -> None:
    """After provisioning, typing and feedback, the only protected ranges of a form tab are
    the rows down to the header and the status column: every data cell stays editable."""
    from datetime import datetime

    from sync import operations
    from sync.pipeline import run_validation

    fake = FakeGoogle()
    store = make_google_store(google_campaign(tmp_path), tmp_path, fake)
    campaign = store.campaign
    unit = campaign.units[0]
    store.provision(unit)
    form = campaign.form("dai_bieu")
    store.put_rows(unit.id, form.id, [{"ho_ten": "Lò Thị Mai", "gioi_tinh": "Nữ"}])
    now = datetime.fromisoformat("2025-04-10T09:00:00+07:00")
    states = operations.open_workspace(campaign, store=store).states()
    run = run_validation(campaign, store, now=now, states=states)
    assert unit.id in run.written
    sid = store.spreadsheet_id(unit)
    assert sid is not None
    for sheet in fake.books[sid].sheets:
        if sheet.title not in {f.tab for f in campaign.forms}:
            continue
        tab_form = next(f for f in campaign.forms if f.tab == sheet.title)
        ranges = sorted(
            (
                p["range"].get("startRowIndex", 0),
                p["range"].get("endRowIndex"),
                p["range"].get("startColumnIndex"),
                p["range"].get("endColumnIndex"),
            )
            for p in sheet.protected_ranges
        )
        status = len(tab_form.columns)
        assert ranges == [
            (0, tab_form.header_row, None, None),
            (tab_form.header_row, None, status, status + 1),
        ], sheet.title
