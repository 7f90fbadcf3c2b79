"""The official list: Vietnamese dates and collation, `thidua export` to Word (structure and
LibreOffice page count), for every form of the sample campaign."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from sync.campaign import load_campaign
from sync.cli import cli
from sync.demo import run_demo
from sync.official import collation_key, given_name_key, vn_date

SOFFICE = shutil.which("soffice")
NOW = "2025-04-21T10:00"


def test_dates_in_official_style() -> None:
    assert vn_date(date(2025, 4, 21)) == "ngày 21 tháng 4 năm 2025"
    assert vn_date(date(2025, 2, 5)) == "ngày 05 tháng 02 năm 2025"
    assert vn_date(date(2025, 12, 9)) == "ngày 09 tháng 12 năm 2025"


def test_vietnamese_collation() -> None:
    words = ["Đức", "Anh", "Ánh", "Ân", "Bình", "Ăn", "Dũng", "Ba", "Ạnh", "Ảnh"]
    assert sorted(words, key=collation_key) == [
        "Anh", "Ảnh", "Ánh", "Ạnh", "Ăn", "Ân", "Ba", "Bình", "Dũng", "Đức",
    ]  # fmt: skip
    names = ["Lò Văn Bình", "Nguyễn Thị An", "Tao Thị Ánh", "Đèo Văn An"]
    assert sorted(names, key=given_name_key) == [
        "Đèo Văn An", "Nguyễn Thị An", "Tao Thị Ánh", "Lò Văn Bình",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("official") / "laichau"
    run_demo(folder, say=lambda _line: None)
    return folder / "campaign.yaml"


def export(campaign: Path, out: Path, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["--now", NOW, "export", str(campaign), "--out", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    return result.output


def pdf_pages(docx: Path, outdir: Path) -> int:
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{outdir / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    data = (outdir / (docx.stem + ".pdf")).read_bytes()
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def test_export_writes_a_word_document_for_every_form(sample: Path, tmp_path: Path) -> None:
    campaign = load_campaign(sample)
    for form in campaign.forms:
        out = tmp_path / f"{form.id}.docx"
        export(sample, out, "--form", form.id, "--hop-le")
        doc = Document(str(out))
        texts = [p.text for p in doc.paragraphs]
        assert form.official_title in texts
        header = [c.text for c in doc.tables[1].rows[0].cells]
        assert header == ["STT", *[c.header for c in form.print_columns]]


def test_delegate_list_in_word(sample: Path, tmp_path: Path) -> None:
    campaign = load_campaign(sample)
    assert campaign.form("dai_bieu").print_sort == (("ho_ten", "given_name"),)
    out = tmp_path / "dai_bieu.docx"
    output = export(sample, out, "--form", "dai_bieu")
    # the sample quotas (docs/campaign-file.md §3); the unit whose delegate is named
    # =HYPERLINK(…) cannot submit (formula_text), so it is not on the official list; the
    # unit that owns the planted cross-unit duplicate (it had the row first) only gets a
    # warning, so it is
    assert "74 dòng của 7 đơn vị" in output
    doc = Document(str(out))
    section = doc.sections[0]
    assert section.page_width > section.page_height  # A4 landscape
    assert doc.styles["Normal"].font.name == "Times New Roman"
    head = doc.tables[0].rows[0].cells
    assert [p.text for p in head[0].paragraphs][:2] == [
        "TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM",
        "LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU",
    ]
    right = [p.text for p in head[1].paragraphs if p.text]
    assert right == [
        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Lai Châu, ngày 21 tháng 4 năm 2025",
    ]
    texts = [p.text for p in doc.paragraphs]
    assert "DANH SÁCH TRÍCH NGANG ĐẠI BIỂU DỰ HỘI NGHỊ ĐIỂN HÌNH TIÊN TIẾN" in texts
    table = doc.tables[1]
    assert table.rows[0]._tr.trPr.xpath("./w:tblHeader")  # header repeated on every page
    numbered = [r for r in table.rows[1:] if r.cells[0].text.split(" ")[0].isdigit()]
    assert len(numbered) == 74
    groups = [r.cells[0].text for r in table.rows[1:] if not r.cells[0].text[:1].isdigit()]
    assert len(groups) == 7 and groups[0].startswith("LĐLĐ huyện Phong Thổ")
    # inside a unit, names in Vietnamese order of the given name
    first_unit = []
    for r in table.rows[2:]:
        if not r.cells[0].text[:1].isdigit():
            break
        first_unit.append(r.cells[1].text)
    assert first_unit == sorted(first_unit, key=given_name_key)
    signature = [p.text for p in doc.tables[2].rows[0].cells[-1].paragraphs if p.text]
    assert signature == [
        "TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", "(Ký, ghi rõ họ tên, đóng dấu)", "Hoàng Thọ Trung",
    ]  # fmt: skip
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: page count not measured")
    pages = pdf_pages(out, tmp_path)
    print(f"dai_bieu.docx: 74 rows on {pages} A4 landscape pages")
    assert 1 < pages <= 6


def test_export_refuses_an_unknown_form(sample: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["export", str(sample), "--form", "khong_co", "--out", str(tmp_path / "x.docx")]
    )
    assert result.exit_code == 2 and "Không có biểu mẫu 'khong_co'" in result.output


def test_official_rows_with_errors_are_marked(sample: Path, tmp_path: Path) -> None:
    """A submitted row that still carries an error is listed with (!), in print and Word."""
    from datetime import datetime

    from sync.official import build_official_list
    from sync.official_docx import write_docx

    campaign = load_campaign(sample)
    form = campaign.form("dai_bieu")
    unit = campaign.units[1]
    person = {"ho_ten": "Lò Văn Bình", "gioi_tinh": "Nam", "nam_sinh": 1980, "dang_vien": "x"}
    other = {"ho_ten": "Tao Thị An", "gioi_tinh": "Nữ", "nam_sinh": None}
    rows = [[row.get(k) for k in form.keys] for row in (person, other)]
    when = datetime.fromisoformat("2025-02-05T10:00:00+07:00")
    doc = build_official_list(campaign, form, {unit.id: rows}, {unit.id}, {unit.id: {1}}, when)
    assert doc.date_line == "Lai Châu, ngày 05 tháng 02 năm 2025"
    assert [(r.number, r.values[0], r.errors) for r in doc.groups[0].rows] == [
        (1, "Tao Thị An", True),  # An before Bình: sorted by the given name
        (2, "Lò Văn Bình", False),
    ]
    assert doc.error_rows == 1
    out = tmp_path / "marked.docx"
    write_docx(doc, out)
    table = Document(str(out)).tables[1]
    assert [c.text for c in table.rows[2].cells][:2] == ["1 (!)", "Tao Thị An"]
    assert table.rows[3].cells[4].text == ""  # the tick column: "x" only when ticked
    assert "Dòng đánh dấu (!) còn lỗi" in " ".join(p.text for p in Document(str(out)).paragraphs)
