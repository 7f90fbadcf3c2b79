"""The campaign as a workbook (issue 17): round trips, errors on the organiser's cells, the
checked copy, conversion, allocate --write, and a campaign read from a Google Sheet URL."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sync.campaign import Campaign, load_campaign
from sync.campaign.workbook import FORMS, RULES, TABS, UNITS, to_grid
from sync.campaign_xlsx import annotate, checked_copy_path, convert, edit_workbook
from sync.cli import cli
from sync.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sheet_templates" / "samples" / "laichau-2025" / "campaign.yaml"
SEEDS = [
    SAMPLE,
    ROOT / "tests" / "data" / "record" / "seed002.yaml",
    ROOT / "tests" / "data" / "record" / "seed004.yaml",
    ROOT / "tests" / "data" / "stores" / "campaign.yaml",
]

EVERYTHING = """\
# Một đợt dùng mọi khoá của tệp đợt.
campaign:
  id: day-du-2025
  title: Đợt thử đầy đủ
  organizer: LĐLĐ tỉnh Lai Châu
  parent_body: Tổng Liên đoàn Lao động Việt Nam
  place: Lai Châu
  contact: Ban Nghiệp vụ — bannghiepvu@example.vn
  language: vi
  signers:
    - {title: TM. BAN THƯỜNG VỤ, role: CHỦ TỊCH, name: Hoàng Thọ Trung}
    - {role: NGƯỜI LẬP BIỂU}
backend:
  kind: google
  credentials: [sa-1.json, sa-2.json]
  folder_id: thu-muc-123
  notify_editors: true
  requests_per_minute: 120
  quota: {reads_per_minute: 50, project_writes_per_minute: 250}
reminders: {before: [3d, 1d], after: [12h]}
quota_policies:
  quy_mo:
    kind: tiered
    rounding: ceil
    tiers:
      - {below: 100, share: 1.0}
      - {share: 0.7, max: 300, min: 5}
units:
  - {id: H-THANUYEN, name: UBND huyện Than Uyên, level: huyen, tags: [diem, vung_cao], staff: 2150,
     editors: [a@example.vn, b@example.vn], quotas: {dai_bieu: 14, hoi_nghi: {policy: quy_mo}}}
  - {id: X-MUONGKIM, name: UBND xã Mường Kim, parent: H-THANUYEN, level: xa, tags: [diem], staff: 90,
     spreadsheet: 1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789}
  - {id: X-PHUCTHAN, name: UBND xã Phúc Than, parent: H-THANUYEN, level: xa, staff: 320}
forms:
  - id: dang_ky
    template: dang_ky_thi_dua
    due: 10/02/2025
    grace: 2d
    lock: true
    submission: implicit
  - id: dai_bieu
    template: rieng.yaml
    title: Đại biểu cấp huyện
    tab: Đại biểu huyện
    opens: 2025-03-01
    due: 2025-04-20T17:00
    grace: 1d12h
    applies_to: {level: huyen}
    rules:
      - {kind: max_rows, quota: true, message: "Vượt chỉ tiêu: {count}/{limit}"}
      - {id: ty_le_nu, share: 0.35}
      - {kind: min_share, where: {dan_toc: {not: Kinh}}, share: 0.3, min_rows: 5, label: Tỷ lệ DTTS, severity: warning}
      - {kind: compare, left: ngay_gui, op: "<=", right: ngay_to_chuc, offset: -15d}
      - {kind: covers, column: nganh, scope: campaign, severity: warning}
      - {kind: unique, columns: [ho_ten, nam_sinh], scope: campaign}
      - {kind: required_if, column: ghi_chu, where: {any: [{lanh_dao: true}, {gioi_tinh: [Nữ]}]}}
  - id: hoi_nghi
    template: hoi_nghi_co_so
    applies_to: {level: xa, children_of: H-THANUYEN}
    due: 2025-03-31T17:00
    deadlines:
      X-MUONGKIM: 2025-02-28T17:00
      xa: {due: 2025-03-20T17:00, grace: 1d, opens: 2025-01-15}
  - id: de_nghi
    template: de_nghi_khen_thuong
    applies_to: [H-THANUYEN, X-PHUCTHAN]
    due: 2025-12-10
    disable: [da_dang_ky]
    rules:
      - {id: ty_le_cstdcs, ratio: 0.2}
"""

OWN_TEMPLATE = """\
id: dai_bieu_rieng
title: Danh sách đại biểu (mẫu riêng)
tab: Đại biểu
header_row: 3
title_block: [DANH SÁCH ĐẠI BIỂU, "(kèm theo công văn)"]
instructions: [Mỗi người một dòng., Ghi đầy đủ họ tên.]
print_title: DANH SÁCH ĐẠI BIỂU CHÍNH THỨC
print_sort: [{key: ho_ten, by: given_name}, don_vi]
columns:
  - {key: ho_ten, header: Họ và tên, required: true, help: Ghi đủ họ và tên, width: 28, print_width: 30}
  - {key: nam_sinh, header: Năm sinh, type: year, min: 1950, max: 2007}
  - {key: gioi_tinh, header: Giới tính, type: choice, choices: [Nam, Nữ], required: true}
  - {key: dan_toc, header: Dân tộc, type: choice, choices: ethnic_groups_vn}
  - {key: nganh, header: Ngành, type: choice, choices: [Giáo dục, "Y tế, dân số", Nông nghiệp]}
  - {key: don_vi, header: Đơn vị, formula: allow}
  - {key: lanh_dao, header: Lãnh đạo, type: bool, print: false}
  - {key: ty_le, header: Tỷ lệ đăng ký, type: percent, max: 100}
  - {key: ngay_gui, header: Ngày gửi, type: date, min: 2025-01-01}
  - {key: ngay_to_chuc, header: Ngày tổ chức, type: date}
  - {key: cccd, header: Số CCCD, pattern: "^\\\\d{12}$"}
  - {key: ghi_chu, header: Ghi chú}
rules:
  - {id: ty_le_nu, kind: min_share, where: {gioi_tinh: Nữ}, share: 0.3, label: Tỷ lệ nữ}
  - {kind: max_rows, value: 40}
"""


def _same(a: Campaign, b: Campaign) -> None:
    """The loaded models are equal (apart from where they were read from)."""
    assert dataclasses.replace(a, source=b.source, origin=b.origin) == b


def _everything(tmp_path: Path) -> Path:
    (tmp_path / "rieng.yaml").write_text(OWN_TEMPLATE, encoding="utf-8")
    path = tmp_path / "campaign.yaml"
    path.write_text(EVERYTHING, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.parent.name + "/" + p.name)
def test_yaml_to_workbook_to_yaml_keeps_the_campaign(seed: Path, tmp_path: Path) -> None:
    for item in seed.parent.glob("*.yaml"):
        shutil.copy(item, tmp_path / item.name)
    original = load_campaign(tmp_path / seed.name)
    book = tmp_path / "out" / "campaign.xlsx"
    convert(tmp_path / seed.name, book)
    _same(load_campaign(book), original)
    back = tmp_path / "back" / "campaign.yaml"
    convert(book, back)
    _same(load_campaign(back), original)


def test_every_key_of_the_campaign_file_survives_the_round_trip(tmp_path: Path) -> None:
    path = _everything(tmp_path)
    original = load_campaign(path)
    book = tmp_path / "book" / "campaign.xlsx"
    convert(path, book)
    from_book = load_campaign(book)
    _same(from_book, original)
    assert from_book.form("dai_bieu").template_id == "dai_bieu_rieng"
    assert from_book.form("hoi_nghi").deadline_for("X-PHUCTHAN").grace.days == 1
    back = tmp_path / "back" / "campaign.yaml"
    convert(book, back)
    assert (tmp_path / "back" / "dai_bieu_rieng.yaml").is_file()
    _same(load_campaign(back), original)


def test_a_built_in_template_copied_into_the_workbook_can_be_edited(tmp_path: Path) -> None:
    book = tmp_path / "campaign.xlsx"
    convert(SAMPLE, book, copy_templates=("dai_bieu",))
    wb = load_workbook(book)
    columns = wb["Cột"]
    keys = [columns.cell(row=r, column=2).value for r in range(2, columns.max_row + 1)]
    assert "ho_ten" in keys and all(c.value == "dai_bieu" for c in columns["A"][1:])
    r = keys.index("ho_ten") + 2
    columns.cell(row=r, column=3, value="Họ tên đại biểu")
    wb.save(book)
    assert load_campaign(book).form("dai_bieu").header_of("ho_ten") == "Họ tên đại biểu"


# ----------------------------------------------------------------------------- the file
def test_headers_have_notes_and_dropdowns(tmp_path: Path) -> None:
    book = tmp_path / "campaign.xlsx"
    convert(_everything(tmp_path), book)
    wb = load_workbook(book)
    names = [t.name for t in TABS]
    assert [n for n in wb.sheetnames if n in names] == names
    for tab in TABS:
        ws = wb[tab.name]
        for cell in ws[1]:
            if cell.value is not None:
                assert cell.comment is not None and len(cell.comment.text) > 10, (
                    tab.name,
                    cell.value,
                )
    staff_note = wb["Đơn vị"]["F1"].comment
    assert staff_note is not None and "1850" in staff_note.text

    def lists(tab: str) -> dict[str, str]:
        ws = wb[tab]
        head = {cell.column_letter: cell.value for cell in ws[1]}
        out = {}
        for dv in ws.data_validations.dataValidation:
            letter = str(dv.sqref).split(":")[0].rstrip("0123456789")
            out[str(head.get(letter))] = str(dv.formula1)
        return out

    assert "chữ" in lists("Cột")["Kiểu"] and "lựa chọn" in lists("Cột")["Kiểu"]
    assert "Đơn vị" in lists("Đơn vị")["Cấp trên"]
    assert "cảnh báo" in lists("Quy tắc")["Mức độ"] and "Có" in lists("Biểu mẫu")["Khoá"]
    chooser = wb["Danh sách chọn"]
    kinds = [c.value for c in chooser["A"] if c.value]
    assert chooser.sheet_state == "hidden"
    assert "Loại" in lists("Quy tắc") and "covers" in [
        c.value for col in chooser.iter_cols() for c in col
    ], kinds


def test_yaml_comments_become_notes_and_the_rest_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    text = SAMPLE.read_text(encoding="utf-8") + "\n# một chú thích cuối tệp, không thuộc khoá nào\n"
    path.write_text(text, encoding="utf-8")
    book = tmp_path / "campaign.xlsx"
    result = CliRunner().invoke(cli, ["convert", str(path), str(book)])
    assert result.exit_code == 0, result.output
    assert "dòng" in result.output and "một chú thích cuối tệp" in result.output
    wb = load_workbook(book)
    units = wb["Đơn vị"]["A1"].comment
    assert units is not None and "phương pháp dư lớn nhất" in units.text
    settings = wb["Đợt"]
    for r in range(2, settings.max_row + 1):
        if settings.cell(row=r, column=1).value == "Mã đợt":
            note = settings.cell(row=r, column=1).comment
            assert note is not None and "chữ thường, số" in note.text


# ----------------------------------------------------------------------------- errors
_BOOKS: dict[tuple[str, ...], Path] = {}


def _sample_book(tmp_path: Path, *copy: str) -> Path:
    """The sample campaign as a workbook (made once per test run, copied for each test)."""
    made = _BOOKS.get(copy)
    if made is None or not made.is_file():
        made = tmp_path.parent / ("sample-" + "-".join(copy) + ".xlsx")
        convert(SAMPLE, made, copy_templates=copy)
        _BOOKS[copy] = made
    tmp_path.mkdir(parents=True, exist_ok=True)
    book = tmp_path / "campaign.xlsx"
    shutil.copy(made, book)
    return book


def _find(ws: Any, column: str, value: str) -> int:
    col = next(c.column for c in ws[1] if c.value == column)
    for r in range(2, ws.max_row + 1):
        if ws.cell(row=r, column=col).value == value:
            return int(r)
    raise AssertionError(value)


def _set(ws: Any, row: int, column: str, value: Any) -> None:
    col = next(c.column for c in ws[1] if c.value == column)
    ws.cell(row=row, column=col).value = value


def _wrong_type(wb: Any) -> tuple[str, int, str]:
    _set(wb["Đơn vị"], 7, "Số CB-NLĐ", "1.850 người")
    return ("Đơn vị", 7, "Số CB-NLĐ")


def _unknown_parent(wb: Any) -> tuple[str, int, str]:
    _set(wb["Đơn vị"], 4, "Cấp trên", "H-KHONGCO")
    return ("Đơn vị", 4, "Cấp trên")


def _unknown_quota_form(wb: Any) -> tuple[str, int, str]:
    ws = wb["Đơn vị"]
    ws.cell(row=1, column=ws.max_column + 1, value="Chỉ tiêu: dai_bieu_tinh")
    ws.cell(row=2, column=ws.max_column, value=3)
    return ("Đơn vị", 1, "Chỉ tiêu: dai_bieu_tinh")


def _unknown_rule_kind(wb: Any) -> tuple[str, int, str]:
    ws = wb["Quy tắc"]
    r = _find(ws, "Loại", "min_share")
    _set(ws, r, "Loại", "ti_le_toi_thieu")
    return ("Quy tắc", r, "Loại")


def _impossible_date(wb: Any) -> tuple[str, int, str]:
    ws = wb["Biểu mẫu"]
    r = _find(ws, "Mã", "dang_ky_thi_dua")
    _set(ws, r, "Hạn nộp", "30/02/2025")
    return ("Biểu mẫu", r, "Hạn nộp")


def _duplicate_unit(wb: Any) -> tuple[str, int, str]:
    ws = wb["Đơn vị"]
    _set(ws, 5, "Mã", "TP-LAICHAU")
    return ("Đơn vị", 5, "Mã")


def _empty_required(wb: Any) -> tuple[str, int, str]:
    _set(wb["Đơn vị"], 3, "Tên", None)
    return ("Đơn vị", 3, "Tên")


def _missing_list(wb: Any) -> tuple[str, int, str]:
    ws = wb["Cột"]
    r = _find(ws, "Khoá", "gioi_tinh")
    _set(ws, r, "Danh mục", "gioi_tinh_cu")
    return ("Cột", r, "Danh mục")


def _bad_yes_no(wb: Any) -> tuple[str, int, str]:
    ws = wb["Biểu mẫu"]
    r = _find(ws, "Mã", "dai_bieu")
    _set(ws, r, "Khoá", "có lẽ")
    return ("Biểu mẫu", r, "Khoá")


def _unknown_type(wb: Any) -> tuple[str, int, str]:
    ws = wb["Cột"]
    r = _find(ws, "Khoá", "nam_sinh")
    _set(ws, r, "Kiểu", "số năm")
    return ("Cột", r, "Kiểu")


def _unknown_disable(wb: Any) -> tuple[str, int, str]:
    ws = wb["Quy tắc"]
    r = ws.max_row + 1
    for header, value in (
        ("Biểu mẫu", "de_nghi_khen_thuong"),
        ("Mã quy tắc", "khong_co"),
        ("Tắt", "Có"),
    ):
        _set(ws, r, header, value)
    return ("Quy tắc", r, "Mã quy tắc")


BROKEN = {
    "wrong_type": _wrong_type,
    "unknown_parent": _unknown_parent,
    "unknown_quota_form": _unknown_quota_form,
    "unknown_rule_kind": _unknown_rule_kind,
    "impossible_date": _impossible_date,
    "duplicate_unit": _duplicate_unit,
    "empty_required": _empty_required,
    "missing_choice_list": _missing_list,
    "bad_yes_no": _bad_yes_no,
    "unknown_type": _unknown_type,
    "unknown_disabled_rule": _unknown_disable,
}
WORDS = {
    "wrong_type": "số nguyên",
    "unknown_parent": "H-KHONGCO",
    "unknown_quota_form": "dai_bieu_tinh",
    "unknown_rule_kind": "ti_le_toi_thieu",
    "impossible_date": "30/02/2025",
    "duplicate_unit": "TP-LAICHAU",
    "empty_required": "trống",
    "missing_choice_list": "gioi_tinh_cu",
    "bad_yes_no": "Không",
    "unknown_type": "lựa chọn",
    "unknown_disabled_rule": "khong_co",
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_workbook_names_tab_row_and_column(case: str, tmp_path: Path) -> None:
    book = _sample_book(tmp_path, "dai_bieu")
    wb = load_workbook(book)
    where = BROKEN[case](wb)
    wb.save(book)
    with pytest.raises(ConfigError) as info:
        load_campaign(book)
    places = [(i.sheet, i.row, i.column) for i in info.value.issues]
    assert places == [where]
    (issue,) = info.value.issues
    assert WORDS[case] in issue.message
    result = CliRunner().invoke(cli, ["check", str(book)])
    assert result.exit_code == 2
    sheet, row, column = where
    assert f"Trang «{sheet}», dòng {row}, cột «{column}»" in result.output
    assert "Traceback" not in result.output
    copy = checked_copy_path(book)
    marked = load_workbook(copy)
    ws = marked[sheet]
    col = next(c.column for c in ws[1] if c.value == column)
    cell = ws.cell(row=row, column=col)
    assert cell.comment is not None and WORDS[case] in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert marked.sheetnames[0] == "Kết quả kiểm tra"
    assert marked["Kết quả kiểm tra"].cell(row=2, column=4).value == issue.message


def test_the_message_reads_like_the_issue_example(tmp_path: Path) -> None:
    book = _sample_book(tmp_path)
    wb = load_workbook(book)
    _wrong_type(wb)
    wb.save(book)
    with pytest.raises(ConfigError) as info:
        load_campaign(book)
    assert str(info.value.issues[0]).endswith(
        "Trang «Đơn vị», dòng 7, cột «Số CB-NLĐ»: phải là số nguyên, đang là «1.850 người»"
    )


def test_several_errors_are_all_reported_and_a_fixed_workbook_clears_the_copy(
    tmp_path: Path,
) -> None:
    book = _sample_book(tmp_path)
    runner = CliRunner()
    for breaks in (
        (_wrong_type, _impossible_date, _bad_yes_no),  # cells that cannot be read
        (_unknown_parent, _duplicate_unit),  # cross-references
    ):
        shutil.copy(_sample_book(tmp_path / "ok"), book)
        wb = load_workbook(book)
        expected = sorted(b(wb) for b in breaks)
        wb.save(book)
        result = runner.invoke(cli, ["check", str(book)])
        assert result.exit_code == 2
        with pytest.raises(ConfigError) as info:
            load_campaign(book)
        assert sorted((i.sheet, i.row, i.column) for i in info.value.issues) == expected
    copy = checked_copy_path(book)
    assert copy.is_file()
    shutil.copy(_sample_book(tmp_path / "ok"), book)
    assert runner.invoke(cli, ["check", str(book)]).exit_code == 0
    assert not copy.exists()


def test_annotate_marks_cells_of_an_existing_copy_again(tmp_path: Path) -> None:
    book = _sample_book(tmp_path)
    wb = load_workbook(book)
    where = _duplicate_unit(wb)
    wb.save(book)
    with pytest.raises(ConfigError) as info:
        load_campaign(book)
    copy = tmp_path / "copy.xlsx"
    assert annotate(book, info.value.issues, copy) == 1
    assert annotate(copy, info.value.issues, copy) == 1
    ws = load_workbook(copy)[where[0]]
    note = ws.cell(row=where[1], column=1).comment
    assert note is not None and note.text.count("TP-LAICHAU") == 2  # one message per pass


# ----------------------------------------------------------------------------- commands
def test_init_check_provision_validate_from_a_workbook(tmp_path: Path) -> None:
    runner = CliRunner()
    d = tmp_path / "d"
    book = d / "campaign.xlsx"
    for args in (
        ["init", str(d), "--format", "xlsx"],
        ["check", str(book)],
        ["provision", str(book)],
        ["validate", str(book)],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
    assert not (d / "campaign.yaml").exists()
    assert sorted(
        p.stem for p in (d / "workbooks").glob("*.xlsx") if p.stem != "Tong-hop"
    ) == sorted(u.id for u in load_campaign(book).units)
    _same(load_campaign(book), load_campaign(SAMPLE))


def test_init_can_copy_every_template_into_the_workbook(tmp_path: Path) -> None:
    d = tmp_path / "d"
    result = CliRunner().invoke(cli, ["init", str(d), "--format", "xlsx", "--copy-template", "all"])
    assert result.exit_code == 0, result.output
    book = d / "campaign.xlsx"
    templates = {c.value for c in load_workbook(book)["Mẫu"]["A"][1:]}
    assert templates == {
        "dang_ky_thi_dua",
        "hoi_nghi_co_so",
        "dai_bieu",
        "de_nghi_khen_thuong",
        "bao_cao",
    }
    _same(load_campaign(book), load_campaign(SAMPLE))


def test_allocate_write_fills_the_quota_column_of_the_workbook(tmp_path: Path) -> None:
    book = _sample_book(tmp_path)
    result = CliRunner().invoke(
        cli, ["allocate", str(book), "--form", "dai_bieu", "--total", "100", "--write"]
    )
    assert result.exit_code == 0, result.output
    c = load_campaign(book)
    quotas = c.quotas("dai_bieu")
    assert sum(q or 0 for q in quotas.values()) == 100
    assert quotas["CDN-GIAODUC"] == 15  # 3300 of 22100 staff
    ws = load_workbook(book)["Đơn vị"]
    assert ws["F1"].comment is not None  # formatting and notes kept


def test_allocate_write_adds_a_quota_column_for_a_new_form(tmp_path: Path) -> None:
    book = _sample_book(tmp_path)
    result = CliRunner().invoke(
        cli, ["allocate", str(book), "--form", "de_nghi_khen_thuong", "--total", "22", "--write"]
    )
    assert result.exit_code == 0, result.output
    assert sum(q or 0 for q in load_campaign(book).quotas("de_nghi_khen_thuong").values()) == 22


def test_convert_back_and_forth_from_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    book = tmp_path / "c.xlsx"
    back = tmp_path / "c.yaml"
    assert runner.invoke(cli, ["convert", str(SAMPLE), str(book)]).exit_code == 0
    assert runner.invoke(cli, ["convert", str(SAMPLE), str(book)]).exit_code == 2  # exists
    assert runner.invoke(cli, ["convert", str(book), str(back)]).exit_code == 0
    _same(load_campaign(back), load_campaign(SAMPLE))
    wrong = runner.invoke(cli, ["convert", str(SAMPLE), str(tmp_path / "x.yaml")])
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output


def test_edit_workbook_changes_cells_and_keeps_the_rest(tmp_path: Path) -> None:
    book = _sample_book(tmp_path)
    edit_workbook(
        book,
        units={"H-SINHO": {"staff": 2500, "quotas.dai_bieu": 18, "editors": ["x@example.vn"]}},
        forms={"dai_bieu": {"due": datetime(2025, 4, 25, 17, 0)}},
        new_units=[{"id": "H-MOI", "name": "LĐLĐ huyện Mới", "staff": 100, "level": "huyen"}],
    )
    c = load_campaign(book)
    unit = c.unit("H-SINHO")
    assert (unit.staff, unit.editors, c.quota("H-SINHO", "dai_bieu")) == (
        2500,
        ("x@example.vn",),
        18,
    )
    assert c.form("dai_bieu").due.strftime("%d/%m %H:%M") == "25/04 17:00"
    assert c.unit("H-MOI").level == "huyen" and c.units[-1].id == "H-MOI"
    assert load_workbook(book)["Đơn vị"]["B1"].comment is not None


def test_dates_and_numbers_typed_as_text_are_read(tmp_path: Path) -> None:
    book = _sample_book(tmp_path)
    wb = load_workbook(book)
    ws = wb["Biểu mẫu"]
    r = _find(ws, "Mã", "dai_bieu")
    _set(ws, r, "Hạn nộp", "25/04/2025 17:00")
    _set(ws, r, "Gia hạn", "1 ngày 12 giờ")
    _set(wb["Đơn vị"], 2, "Số CB-NLĐ", "1.900")
    wb.save(book)
    c = load_campaign(book)
    form = c.form("dai_bieu")
    assert (form.due.day, form.due.hour, form.grace.total_seconds()) == (25, 17, 36 * 3600)
    assert c.units[0].staff == 1900


def test_grid_layout_is_the_one_documented() -> None:
    grid = to_grid({"campaign": {"id": "x"}, "units": [], "forms": []})
    assert list(grid.tabs) == [t.name for t in TABS]
    assert grid.tabs["Đơn vị"][0][:6] == ["Mã", "Tên", "Cấp trên", "Cấp", "Nhãn", "Số CB-NLĐ"]
    assert [c.header for c in FORMS.columns][:8] == [
        "Mã",
        "Mẫu",
        "Tên biểu mẫu",
        "Tên tab",
        "Mở",
        "Hạn nộp",
        "Gia hạn",
        "Khoá",
    ]
    assert "Tắt" in [c.header for c in RULES.columns] and UNITS.required


# ----------------------------------------------------------------------------- Google
def test_a_campaign_is_read_from_a_google_sheet_by_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.campaign.convert import yaml_to_grid
    from sync.stores.google import campaign_sheet
    from tests.fake_google import FakeGoogle

    fake = FakeGoogle()
    client = fake.gspread_client()
    path = _everything(tmp_path)
    grid = yaml_to_grid(path).grid
    assert grid is not None
    book = client.create("Cấu hình đợt thi đua")
    first = book.sheet1
    for n, (name, rows) in enumerate(grid.tabs.items()):
        ws = first if n == 0 else book.add_worksheet(name, rows=200, cols=30)
        if n == 0:
            ws.update_title(name)
        values = [[_as_typed(v) for v in row] for row in rows]
        ws.update(values, "A1", value_input_option="USER_ENTERED")
    monkeypatch.setattr(campaign_sheet, "CLIENT", lambda: client)
    url = f"https://docs.google.com/spreadsheets/d/{book.id}/edit#gid=0"
    campaign = load_campaign(url)
    _same(campaign, load_campaign(path))
    assert campaign.origin == url
    result = CliRunner().invoke(cli, ["check", url])
    assert result.exit_code == 0, result.output
    assert "day-du-2025" in load_campaign(book.id).id


def test_an_unshared_google_sheet_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from sync.stores.google import campaign_sheet
    from tests.fake_google import FakeGoogle

    fake = FakeGoogle()
    monkeypatch.setattr(campaign_sheet, "CLIENT", lambda: fake.gspread_client())
    result = CliRunner().invoke(cli, ["check", "1" + "x" * 40])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "chia sẻ" in result.output


def _as_typed(value: Any) -> Any:
    """What an organiser types in Google Sheets (dates as dd/mm/yyyy text)."""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if hasattr(value, "total_seconds"):
        return str(value)
    return "" if value is None else value


def test_every_header_note_is_in_both_languages() -> None:
    from sync import i18n
    from sync.campaign.workbook import SETTING_ROWS

    ids = [c.note_id for tab in TABS for c in tab.columns]
    ids += [
        "workbook.note." + "setting." + ".".join(str(p) for p in path)
        for _l, path, _k, _e in SETTING_ROWS
    ]
    ids += ["workbook.note.setting.signer", "workbook.note.units.quota"]
    missing = [(key, lang) for key in ids for lang in ("vi", "en") if not i18n.has(key, lang)]
    assert missing == []


def test_the_demo_runs_from_the_workbook(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", str(folder), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    assert "trễ hạn" in result.output and "đã nộp đúng hạn" in result.output
    assert (folder / "campaign.xlsx").is_file() and not (folder / "campaign.yaml").exists()
    assert (folder / "workbooks" / "Tong-hop.xlsx").is_file()


def test_serve_and_worker_accept_a_google_sheet_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THIDUA_REDIS_URL", raising=False)
    url = "https://docs.google.com/spreadsheets/d/" + "A" * 44 + "/edit"
    result = CliRunner().invoke(cli, ["worker", url], env={"THIDUA_REDIS_URL": ""})
    assert result.exit_code == 2
    assert "Không tìm thấy" not in result.output and "Redis" in result.output


def test_a_pilot_units_own_deadline_is_a_column_of_its_row(tmp_path: Path) -> None:
    seed = ROOT / "tests" / "data" / "record" / "seed002.yaml"
    for item in seed.parent.glob("*.yaml"):
        shutil.copy(item, tmp_path / item.name)
    book = tmp_path / "campaign.xlsx"
    convert(tmp_path / "seed002.yaml", book)
    wb = load_workbook(book)
    units = wb["Đơn vị"]
    r = _find(units, "Mã", "X-PHUCTHAN")
    _set(units, r, "Hạn riêng: hoi_nghi_xa", "15/03/2025 17:00")
    wb.save(book)
    c = load_campaign(book)
    assert c.deadline("X-PHUCTHAN", "hoi_nghi_xa").due.strftime("%d/%m %H:%M") == "15/03 17:00"
    assert c.deadline("X-MUONGKIM", "hoi_nghi_xa").due.strftime("%d/%m") == "28/02"
    assert c.deadline("H-THANUYEN", "dai_hoi_huyen").grace.days == 1  # from «Hạn riêng»
    extra = wb["Hạn riêng"]
    at = extra.max_row + 1
    for header, value in (
        ("Biểu mẫu", "hoi_nghi_xa"),
        ("Đơn vị hoặc cấp", "X-PHUCTHAN"),
        ("Hạn nộp", "20/03/2025"),
    ):
        _set(extra, at, header, value)
    wb.save(book)
    with pytest.raises(ConfigError) as info:
        load_campaign(book)
    assert [(i.sheet, i.row, i.column) for i in info.value.issues] == [
        ("Đơn vị", r, "Hạn riêng: hoi_nghi_xa")
    ]
