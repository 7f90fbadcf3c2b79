"""Writing a campaign workbook back (sync.campaign_edit on a `.xlsx`): only the edited cells
change — the header fills, notes, dropdowns, column widths, number formats and every other
cell are kept; invalid values are refused with the tab/row/column messages of `check`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync.campaign import builtin_dir, load_campaign
from sync.campaign_edit import FormEdit, NewUnit, UnitEdit, edit_campaign
from sync.campaign_xlsx import convert
from sync.errors import ConfigError


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.xlsx"
    convert(builtin_dir("samples") / "laichau-2025" / "campaign.yaml", path)
    return path


def _cells(path: Path) -> dict[tuple[str, str], Any]:
    book = openpyxl.load_workbook(path)
    return {
        (ws.title, cell.coordinate): cell.value
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    }


def _looks(path: Path) -> dict[str, Any]:
    """What formatting the organiser sees: fills and notes of headers, widths, dropdowns,
    number formats, frozen panes."""
    book = openpyxl.load_workbook(path)
    out: dict[str, Any] = {}
    for ws in book.worksheets:
        out[ws.title] = {
            "header": [
                (c.fill.fgColor.rgb, bool(c.font.bold), c.comment.text if c.comment else None)
                for c in ws[1]
            ],
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "validations": sorted(
                (dv.type, dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation
            ),
            "formats": sorted(
                {(c.column_letter, c.number_format) for row in ws.iter_rows(min_row=2) for c in row}
            ),
            "freeze": ws.freeze_panes,
        }
    return out


def test_edits_change_only_their_cells_and_keep_the_formatting(workbook: Path) -> None:
    before, looks = _cells(workbook), _looks(workbook)
    result = edit_campaign(
        workbook,
        [
            UnitEdit("H-SINHO", quotas={"dai_bieu": "20"}, staff="2.450"),
            FormEdit("dai_bieu", due_date="2025-04-25", due_time="17:00", grace="3d"),
        ],
    )
    assert [(c.id, c.field, c.old, c.new) for c in result.changes] == [
        ("H-SINHO", "staff", 2400, 2450),
        ("H-SINHO", "quotas.dai_bieu", 17, 20),
        ("dai_bieu", "due", "2025-04-20T17:00", "2025-04-25T17:00"),
        ("dai_bieu", "grace", "2d", "3d"),
    ]
    after = _cells(workbook)
    changed = {
        k: (before.get(k), after.get(k))
        for k in before.keys() | after.keys()
        if before.get(k) != after.get(k)
    }
    assert changed == {
        ("Đơn vị", "F5"): (2400, 2450),
        ("Đơn vị", "J5"): (17, 20),
        ("Biểu mẫu", "F4"): (datetime(2025, 4, 20, 17, 0), datetime(2025, 4, 25, 17, 0)),
        ("Biểu mẫu", "G4"): ("2 ngày", "3 ngày"),
    }
    assert _looks(workbook) == looks
    c = load_campaign(workbook)
    assert (c.quota("H-SINHO", "dai_bieu"), c.unit("H-SINHO").staff) == (20, 2450)
    assert c.form("dai_bieu").due.isoformat() == "2025-04-25T17:00:00+07:00"
    assert c.form("dai_bieu").grace.days == 3


def test_a_new_unit_is_a_new_row(workbook: Path) -> None:
    looks = _looks(workbook)
    edit_campaign(workbook, [NewUnit("H-MOI", "Đơn vị mới", staff="90", quotas={"dai_bieu": "2"})])
    c = load_campaign(workbook)
    assert (c.units[-1].id, c.units[-1].staff, c.quota("H-MOI", "dai_bieu")) == ("H-MOI", 90, 2)
    ws = openpyxl.load_workbook(workbook)["Đơn vị"]
    assert [ws.cell(row=ws.max_row, column=i).value for i in (1, 2, 6, 10)] == [
        "H-MOI",
        "Đơn vị mới",
        90,
        2,
    ]
    assert _looks(workbook)["Đơn vị"]["header"] == looks["Đơn vị"]["header"]


def test_an_invalid_value_names_tab_row_and_column_and_writes_nothing(workbook: Path) -> None:
    before = workbook.read_bytes()
    with pytest.raises(ConfigError) as caught:
        edit_campaign(workbook, [UnitEdit("H-SINHO", quotas={"dai_bieu": "-4"})])
    assert [(i.sheet, i.row, i.column, i.message) for i in caught.value.issues] == [
        ("Đơn vị", 5, "Chỉ tiêu: dai_bieu", "phải ≥ 0 (đang là -4)")
    ]
    assert str(caught.value.issues[0]).startswith(f"{workbook}: Trang «Đơn vị», dòng 5")
    assert workbook.read_bytes() == before
    assert sorted(p.name for p in workbook.parent.iterdir()) == [
        ".campaign.xlsx.lock",
        "campaign.xlsx",
    ]


def test_the_settings_page_saves_into_the_workbook(workbook: Path, tmp_path: Path) -> None:
    from tests.test_settings_page import _post
    from tests.web_helpers import make_organiser, sign_in
    from webhooks import create_app

    app = create_app(
        {
            "TESTING": True,
            "CAMPAIGN": str(workbook),
            "SECRET": "s3cret-for-tests-only",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'audit.db'}",
            "WORKER": "none",
            "REDIS_URL": None,
        }
    )
    try:
        client = app.test_client()
        make_organiser(app)
        assert sign_in(client).status_code == 302
        looks = _looks(workbook)
        resp = _post(client, "/dashboard/settings/units/H-SINHO", **{"quota-dai_bieu": "21"})
        assert resp.status_code == 302
        assert load_campaign(workbook).quota("H-SINHO", "dai_bieu") == 21
        assert app.extensions["thidua"].campaign.quota("H-SINHO", "dai_bieu") == 21
        assert _looks(workbook) == looks
        before = workbook.read_bytes()
        resp = _post(client, "/dashboard/settings/units/H-SINHO", **{"quota-dai_bieu": "-1"})
        assert resp.status_code == 400
        assert (
            "campaign.xlsx: Trang «Đơn vị», dòng 5, cột «Chỉ tiêu: dai_bieu»: phải ≥ 0 (đang là -1)"
            in resp.get_data(as_text=True)
        )
        assert workbook.read_bytes() == before
        resp = _post(client, "/dashboard/settings/units/H-SINHO", staff="nhiều")
        page = resp.get_data(as_text=True)
        assert 'id="err-staff">phải là số nguyên, đang là «nhiều»</p>' in page
        assert workbook.read_bytes() == before
    finally:
        app.extensions["thidua"].close()
