"""Broken campaign files: `thidua check` exits 2 with the file, the line, and a Vietnamese
message naming the unit or form — never a traceback. Each case is one mistake an organiser
makes in the sample campaign (sheet_templates/samples/laichau-2025/campaign.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.campaign import builtin_dir
from sync.cli import cli

SAMPLE = (builtin_dir("samples") / "laichau-2025" / "campaign.yaml").read_text(encoding="utf-8")

CASES = [
    pytest.param(
        "    due: 2025-02-10\n",
        "    due: 2025-02-30\n",
        "biểu mẫu dang_ky_thi_dua (forms[0]) — due: ngày 30/02/2025 không tồn tại",
        id="impossible-iso-date",
    ),
    pytest.param(
        "    due: 2025-02-10\n",
        "    due: 31/04/2025\n",
        "biểu mẫu dang_ky_thi_dua (forms[0]) — due: ngày 31/04/2025 không tồn tại",
        id="impossible-dmy-date",
    ),
    pytest.param(
        "    due: 2025-02-10\n",
        "    due: 10/02/2025 25:00\n",
        "biểu mẫu dang_ky_thi_dua (forms[0]) — due: giờ 25:00 không tồn tại",
        id="impossible-time",
    ),
    pytest.param(
        "    due: 2025-02-10\n",
        "    due: 10-02-25\n",
        "biểu mẫu dang_ky_thi_dua (forms[0]) — due: '10-02-25' không phải ngày — viết dd/mm/yyyy",
        id="not-a-date",
    ),
    pytest.param(
        '      - {kind: max_rows, quota: true, message: "Vượt chỉ tiêu: {count}/{limit} đại biểu'
        ' — bớt {excess} dòng"}\n',
        "      - kind: max_rows\n        quota: true\n        message: Vượt chỉ tiêu: {count}\n",
        "lỗi cú pháp YAML: dấu ':' không đúng chỗ — một giá trị có dấu ':' (ví dụ một thông báo)"
        ' phải đặt trong ngoặc kép "…"',
        id="yaml-colon-in-message",
    ),
    pytest.param(
        "    lock: true\n",
        "\tlock: true\n",
        "lỗi cú pháp YAML: có ký tự Tab — YAML chỉ thụt lề bằng dấu cách",
        id="yaml-tab",
    ),
    pytest.param(
        "        where: {gioi_tinh: Nữ}\n",
        "        where: {gioi_tinh: Nữ\n",
        "lỗi cú pháp YAML: bảng { … } chưa đóng, hoặc thiếu dấu phẩy giữa các khoá",
        id="yaml-unclosed-brace",
    ),
    pytest.param(
        "      - {kind: max_sum, column: so_dai_bieu, quota: true}\n",
        '      - {kind: max_sum, column: so_dai_bieu, quota: true, message: "Quá {total}"}\n',
        "biểu mẫu hoi_nghi_co_so (forms[1]) — rules[0].message: thông báo dùng {total} nhưng"
        " quy tắc 'max_sum' không có — dùng được: {count}, {excess}, {header}, {limit}",
        id="unknown-placeholder",
    ),
    pytest.param(
        "        where: {dan_toc: Kinh}\n",
        '        where: {dan_toc: "!=Kinh"}\n',
        "biểu mẫu dai_bieu (forms[2]) — rules[2].where.dan_toc: «!=Kinh» trông như một phép so"
        " sánh nhưng điều kiện chỉ so khớp giá trị; để chọn các giá trị khác «Kinh» viết"
        " {not: Kinh} — giá trị của cột: Kinh, Tày, Thái",
        id="operator-looking-value",
    ),
    pytest.param(
        "        where: {gioi_tinh: Nữ}\n",
        "        where: {gioi_tinh: Nu}\n",
        "biểu mẫu dai_bieu (forms[2]) — rules[1].where.gioi_tinh: «Nu» không có trong danh"
        " sách của cột 'gioi_tinh' (Giới tính) (có phải «Nữ»?) — chọn một trong: Nam, Nữ",
        id="not-a-choice",
    ),
    pytest.param(
        "    lock: true\n",
        "    lock: true\n    disable: [trung_nguoi]\n",
        "biểu mẫu dai_bieu (forms[2]) — disable[0]: không có quy tắc 'trung_nguoi' trong mẫu"
        " biểu 'dai_bieu' (có: trung_dai_bieu)",
        id="unknown-rule-id",
    ),
    pytest.param(
        "      - {kind: max_sum, column: so_dai_bieu, quota: true}\n",
        "      - {kind: max_sum, column: so_dai_bieu, quota: true}\n"
        "      - {id: mot_dong, value: hai}\n",
        "biểu mẫu hoi_nghi_co_so (forms[1]) — rules[1].value: cần một số nguyên",
        id="bad-override",
    ),
    pytest.param(
        "      - {kind: max_rows, value: 1}\n  - id: bao_cao_nam",
        "      - {kind: max_rows, value: 1}\n      - {kind: max_rows, value: 1}\n"
        "  - id: bao_cao_nam",
        "biểu mẫu bao_cao_6_thang (forms[4]) — rules[1]: quy tắc này trùng với quy tắc"
        " 'max_rows' ở trên",
        id="rule-twice",
    ),
    pytest.param(
        "    staff: 1850\n",
        "    staff: -1850\n",
        "đơn vị TP-LAICHAU (units[0]) — staff: phải ≥ 0 (đang là -1850)",
        id="negative-staff",
    ),
    pytest.param(
        "    lock: true\n",
        "    lok: true\n",
        "biểu mẫu dai_bieu (forms[2]) — lok: khoá không được hỗ trợ (sai chính tả?)",
        id="misspelt-key",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), CASES)
def test_broken_campaign_file_exits_2_naming_file_line_and_what(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in SAMPLE
    text = SAMPLE.replace(old, new, 1)
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    changed = next(
        n
        for n, (a, b) in enumerate(zip(SAMPLE.splitlines(), text.splitlines(), strict=False), 1)
        if a != b
    )
    lines = [line for line in result.output.splitlines() if message in line]
    assert lines, result.output
    where = lines[0].strip().split(": ", 1)[0]
    assert where.startswith(str(path) + ":")
    line = int(where.rsplit(":", 1)[1])
    assert changed <= line <= changed + 3, (line, changed)


def test_dates_as_offices_write_them_are_accepted(tmp_path: Path) -> None:
    text = SAMPLE.replace("    due: 2025-02-10\n", "    due: 10/02/2025\n", 1)
    text = text.replace("    due: 2025-04-20T17:00\n", "    due: 20/04/2025 17:00\n", 1)
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "10/02/2025 23:59" in result.output
    assert "20/04/2025 17:00" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--now", "2025-04-20T16:00", "check", "{path}"],
        ["check", "{path}", "--now", "2025-04-20T16:00"],
        ["check", "{path}", "--now=20/04/2025 16:00"],
    ],
)
def test_now_is_campaign_time_and_accepted_after_the_subcommand(
    tmp_path: Path, args: list[str]
) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    result = CliRunner().invoke(cli, [a.replace("{path}", str(path)) for a in args])
    assert result.exit_code == 0, result.output
    assert "Bây giờ: 20/04/2025 16:00" in result.output


def test_now_with_an_offset_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path), "--now", "2025-04-20T16:00+00:00"])
    assert "Bây giờ: 20/04/2025 23:00" in result.output
