"""What the plans of seeds 001, 002 and 003 ask, written in the campaign file as organisers would.

001 — Lạng Sơn trade unions, 2019: delegates with "tỷ lệ nữ, tỷ lệ đại biểu người dân tộc
thiểu số phù hợp", "đại diện cho các ngành, lĩnh vực".
002 — Lai Châu, 2024: each body sends its congress plan "trước 15 ngày".
003 — Lai Châu trade unions, 2025: "động viên 100% cán bộ, đoàn viên, NLĐ đăng ký".
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sync.campaign import Campaign, builtin_names, load_campaign, load_template
from sync.errors import ConfigError
from sync.rules.engine import ValidationResult, validate
from tests.rules_helpers import BEFORE_DUE, frame

HEAD = """\
campaign:
  id: seed-test
  title: Đợt thử theo kế hoạch
  organizer: LĐLĐ tỉnh
units:
  - {id: TP-LAICHAU, name: LĐLĐ thành phố Lai Châu, staff: 1850}
  - {id: H-TAMDUONG, name: LĐLĐ huyện Tam Đường, staff: 1650}
forms:
"""


def load(tmp_path: Path, forms: str) -> Campaign:
    path = tmp_path / "campaign.yaml"
    path.write_text(HEAD + forms, encoding="utf-8")
    return load_campaign(path)


def config_error(tmp_path: Path, forms: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, forms)
    return [(i.path, i.line, i.message) for i in info.value.issues]


EARLY = datetime(2019, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
"""Before every due date of these tests: no `late` findings."""


def check(campaign: Campaign, form: str, rows: list[dict[str, Any]]) -> ValidationResult:
    return validate(campaign, {form: frame(rows)}, now=EARLY)


def found(result: ValidationResult, *codes: str) -> list[tuple[Any, ...]]:
    return [r for r in result.report.rows() if not codes or r[3] in codes]


# --------------------------------------------------------------------------- rule ids
DE_NGHI = """\
  - id: dang_ky_thi_dua
    template: dang_ky_thi_dua
    due: 2025-04-20
  - id: de_nghi
    template: de_nghi_khen_thuong
    due: 2025-04-20
"""


def _proposal(unit: str, name: str, title: str = "Lao động tiên tiến") -> dict[str, Any]:
    return {
        "_unit": unit,
        "doi_tuong": "Cá nhân",
        "ten": name,
        "chuc_vu": "Giáo viên",
        "don_vi": "Trường THCS",
        "danh_hieu": title,
        "thanh_tich": "Hoàn thành xuất sắc nhiệm vụ",
    }


def test_builtin_template_rules_have_stable_ids(tmp_path: Path) -> None:
    campaign = load(tmp_path, DE_NGHI)
    assert [r.id for r in campaign.form("de_nghi").rules] == [
        "trung_de_nghi",
        "chuc_vu_ca_nhan",
        "da_dang_ky",
        "ty_le_cstdcs",
    ]


def test_a_disabled_template_rule_is_not_checked(tmp_path: Path) -> None:
    # a unit proposing without the registration form in this campaign (003 collects them later)
    rows = [_proposal("H-TAMDUONG", "Lò Thị Mai")]
    enabled = load(tmp_path, DE_NGHI)
    assert found(check(enabled, "de_nghi", rows), "not_registered") == [
        ("H-TAMDUONG", 2, "ten", "not_registered", "error")
    ]
    disabled = load(tmp_path, DE_NGHI + "    disable: [da_dang_ky]\n")
    assert [r.id for r in disabled.form("de_nghi").rules] == [
        "trung_de_nghi",
        "chuc_vu_ca_nhan",
        "ty_le_cstdcs",
    ]
    assert found(check(disabled, "de_nghi", rows)) == []


def test_an_overridden_template_rule_checks_the_new_number(tmp_path: Path) -> None:
    # 2 Chiến sĩ thi đua cơ sở among 10 Lao động tiên tiến: over 15 %, within 20 %
    rows = [_proposal("H-TAMDUONG", f"Người {i}") for i in range(8)]
    rows += [_proposal("H-TAMDUONG", f"CSTĐ {i}", "Chiến sĩ thi đua cơ sở") for i in range(2)]
    registered = [{**r, "danh_hieu": "Lao động tiên tiến"} for r in rows]
    data = {"dang_ky_thi_dua": frame(registered), "de_nghi": frame(rows)}
    template = load(tmp_path, DE_NGHI)
    result = validate(template, data, now=BEFORE_DUE, units=["H-TAMDUONG"])
    assert found(result) == [("H-TAMDUONG", None, None, "ratio_exceeded", "error")]
    overridden = load(tmp_path, DE_NGHI + "    rules: [{id: ty_le_cstdcs, ratio: 0.2}]\n")
    rule = overridden.form("de_nghi").rules[3]
    assert (rule.id, rule.kind, rule.ratio) == ("ty_le_cstdcs", "max_ratio", 0.2)
    result = validate(overridden, data, now=BEFORE_DUE, units=["H-TAMDUONG"])
    assert found(result) == []


def test_rule_id_mistakes_are_config_errors(tmp_path: Path) -> None:
    forms = DE_NGHI + "    disable: [da_dang_ki]\n    rules: [{id: ty_le_csdt, ratio: 0.2}]\n"
    known = "trung_de_nghi, chuc_vu_ca_nhan, da_dang_ky, ty_le_cstdcs"
    assert config_error(tmp_path, forms) == [
        (
            "forms[1].disable[0]",
            15,
            f"không có quy tắc 'da_dang_ki' trong mẫu biểu 'de_nghi_khen_thuong' (có: {known})",
        ),
        (
            "forms[1].rules[0].id",
            16,
            f"không có quy tắc 'ty_le_csdt' trong mẫu biểu 'de_nghi_khen_thuong' (có: {known})"
            " — quy tắc mới cần khoá 'kind'",
        ),
    ]


def test_an_override_with_a_wrong_value_names_the_key(tmp_path: Path) -> None:
    forms = DE_NGHI + "    rules:\n      - {id: ty_le_cstdcs, ratio: -1}\n"
    assert config_error(tmp_path, forms) == [
        ("forms[1].rules[0].ratio", 16, "phải ≥ 0 (đang là -1)")
    ]


def test_re_adding_a_template_rule_is_an_error_not_a_double_finding(tmp_path: Path) -> None:
    forms = """\
  - id: hoi_nghi
    template: hoi_nghi_co_so
    due: 2025-03-31
    rules:
      - {kind: max_rows, value: 1, message: "Chỉ một dòng"}
"""
    assert config_error(tmp_path, forms) == [
        (
            "forms[0].rules[0]",
            13,
            "quy tắc này trùng với quy tắc 'mot_dong' (cùng loại 'max_rows', cùng tham số): mỗi"
            " đơn vị sẽ nhận hai thông báo giống nhau — bỏ quy tắc này, hoặc sửa quy tắc của"
            " mẫu bằng {id: mot_dong, …}",
        )
    ]


@pytest.mark.parametrize("name", builtin_names("forms"))
def test_every_builtin_template_rule_names_its_id(name: str) -> None:
    spec, _doc = load_template(name)
    assert all(rule.id for rule in spec.rules), name


# --------------------------------------------------------------------------- 001: delegates
DAI_BIEU = """\
  - id: dai_bieu
    template: dai_bieu
    due: 2020-04-20
    rules:
      - kind: min_share
        where: {dan_toc: {not: Kinh}}
        share: 0.30
        label: Tỷ lệ người dân tộc thiểu số
"""


def _delegate(unit: str, name: str, ethnic: str, sex: str = "Nam") -> dict[str, Any]:
    return {
        "_unit": unit,
        "ho_ten": name,
        "gioi_tinh": sex,
        "nam_sinh": 1980,
        "dan_toc": ethnic,
        "chuc_vu": "Công nhân",
        "don_vi": "Công ty Than",
        "thanh_phan": "Cá nhân điển hình tiên tiến",
        "thanh_tich": "Lao động giỏi 2019",
    }


def test_001_ethnic_minority_share_is_every_group_but_kinh(tmp_path: Path) -> None:
    campaign = load(tmp_path, DAI_BIEU)
    rows = [
        _delegate("TP-LAICHAU", "Hoàng Văn Páo", "Tày"),
        _delegate("TP-LAICHAU", "Lò Thị Mai", "Thái", "Nữ"),
        _delegate("TP-LAICHAU", "Nguyễn Văn An", "Kinh"),
        _delegate("H-TAMDUONG", "Trần Văn Bình", "Kinh"),
        _delegate("H-TAMDUONG", "Lê Thị Hoa", "Kinh", "Nữ"),
        _delegate("H-TAMDUONG", "Vàng A Sình", "Mông"),
        _delegate("H-TAMDUONG", "Phạm Văn Đức", "Kinh"),
    ]
    result = check(campaign, "dai_bieu", rows)
    assert found(result) == [("H-TAMDUONG", None, None, "share_below_min", "error")]
    assert result.report.findings[0].message == (
        "Tỷ lệ người dân tộc thiểu số 25 % (1/4), yêu cầu tối thiểu 30 % — cần ít nhất 2/4"
    )
    assert result.summary("TP-LAICHAU", "dai_bieu").shares == {
        "Tỷ lệ người dân tộc thiểu số": pytest.approx(2 / 3)
    }


SECTORS = """\
id: dai_bieu_nganh
title: Đại biểu theo ngành
tab: Đại biểu
columns:
  - {key: ho_ten, header: Họ và tên, type: text, required: true}
  - {key: nganh, header: "Ngành, lĩnh vực", type: choice, required: true,
     choices: [Công nghiệp, Giáo dục, Y tế, Nông nghiệp]}
"""


def test_001_delegates_represent_every_sector(tmp_path: Path) -> None:
    (tmp_path / "nganh.yaml").write_text(SECTORS, encoding="utf-8")
    forms = """\
  - id: dai_bieu
    template: nganh.yaml
    due: 2020-04-20
    rules:
      - {kind: covers, column: nganh, scope: campaign, severity: warning}
      - {kind: covers, column: nganh, at_least: 2}
"""
    campaign = load(tmp_path, forms)
    rows = [
        {"_unit": "TP-LAICHAU", "ho_ten": "A", "nganh": "Công nghiệp"},
        {"_unit": "TP-LAICHAU", "ho_ten": "B", "nganh": "giáo dục"},
        {"_unit": "H-TAMDUONG", "ho_ten": "C", "nganh": "Giáo dục"},
        {"_unit": "H-TAMDUONG", "ho_ten": "D", "nganh": "Giáo dục"},
    ]
    result = check(campaign, "dai_bieu", rows)
    assert found(result) == [
        ("H-TAMDUONG", None, None, "not_covered", "warning"),
        ("H-TAMDUONG", None, None, "not_covered", "error"),
        ("TP-LAICHAU", None, None, "not_covered", "warning"),
    ]
    messages = sorted({f.message for f in result.report.findings})
    assert messages == [
        "Mới có 1 giá trị «Ngành, lĩnh vực» khác nhau (Giáo dục), cần ít nhất 2 — bổ sung để đủ"
        " cơ cấu",
        "Toàn đợt chưa có dòng nào có «Ngành, lĩnh vực» là: Y tế, Nông nghiệp (mới có 2/4)"
        " — đơn vị có thể bổ sung",
    ]


# --------------------------------------------------------------------------- 002: plan dates
HOI_NGHI = """\
  - id: hoi_nghi_co_so
    template: hoi_nghi_co_so
    due: 2025-03-31
    rules:
      - kind: compare
        left: ngay_gui_ke_hoach
        op: "<="
        right: ngay_to_chuc
        offset: -15d
      - {kind: compare, left: so_dai_bieu_nu, op: "<=", right: so_dai_bieu}
      - {kind: compare, left: {sum: so_dai_bieu_dtts}, op: "<=", right: {sum: so_dai_bieu}}
"""


def _conference(unit: str, held: str, plan: Any, total: int, women: int, dtts: int = 0) -> dict:
    return {
        "_unit": unit,
        "_row": 5,
        "ten_hoi_nghi": f"Hội nghị điển hình tiên tiến {unit}",
        "hinh_thuc": "Hội nghị đại biểu",
        "ngay_to_chuc": held,
        "so_dai_bieu": total,
        "so_dai_bieu_nu": women,
        "so_dai_bieu_dtts": dtts,
        "ngay_gui_ke_hoach": plan,
    }


def test_002_plan_sent_15_days_before_and_women_within_delegates(tmp_path: Path) -> None:
    campaign = load(tmp_path, HOI_NGHI)
    rows = [
        _conference("TP-LAICHAU", "15/03/2025", "28/02/2025", 180, 60),  # exactly 15 days
        _conference("H-TAMDUONG", "15/03/2025", "05/03/2025", 180, 200, 190),
    ]
    result = check(campaign, "hoi_nghi_co_so", rows)
    assert found(result) == [
        ("H-TAMDUONG", None, None, "comparison_failed", "error"),
        ("H-TAMDUONG", 5, "ngay_gui_ke_hoach", "comparison_failed", "error"),
        ("H-TAMDUONG", 5, "so_dai_bieu_nu", "comparison_failed", "error"),
    ]
    assert [f.message for f in result.report.findings] == [
        "Tổng «Số đại biểu người dân tộc thiểu số» là 190 — tối đa là 180 (theo tổng «Số đại"
        " biểu» 180); sửa lại cho đúng",
        "«Ngày gửi kế hoạch về cấp trên» là 05/03/2025 — chậm nhất là ngày 28/02/2025 (theo"
        " «Ngày tổ chức» 15/03/2025 − 15 ngày); sửa lại cho đúng",
        "«Số đại biểu nữ» là 200 — tối đa là 180 (theo «Số đại biểu» 180); sửa lại cho đúng",
    ]


def test_compare_in_english(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(
        HEAD.replace("organizer: LĐLĐ tỉnh", "organizer: LĐLĐ tỉnh\n  language: en") + HOI_NGHI,
        encoding="utf-8",
    )
    campaign = load_campaign(path)
    rows = [_conference("H-TAMDUONG", "15/03/2025", "05/03/2025", 180, 60)]
    result = check(campaign, "hoi_nghi_co_so", rows)
    assert [f.message for f in result.report.findings] == [
        "«Ngày gửi kế hoạch về cấp trên» is 05/03/2025 — it must be on or before 28/02/2025"
        " (from «Ngày tổ chức» 15/03/2025 − 15 days); correct it"
    ]


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        (
            "{kind: compare, left: ten_hoi_nghi, op: '<=', right: so_dai_bieu}",
            "forms[0].rules[0].left",
            "cột 'ten_hoi_nghi' kiểu text: compare cần cột số hoặc ngày",
        ),
        (
            "{kind: compare, left: ngay_to_chuc, op: '<=', right: so_dai_bieu}",
            "forms[0].rules[0].right",
            "không so được cột 'ngay_to_chuc' (date) với 'so_dai_bieu' (integer)",
        ),
        (
            "{kind: compare, left: ngay_to_chuc, op: '<=', right: 31/02/2025}",
            "forms[0].rules[0].right",
            "«31/02/2025» không phải cột của biểu mẫu, cũng không phải giá trị kiểu date",
        ),
        (
            "{kind: compare, left: {sum: so_dai_bieu}, op: '<=', right: so_dai_bieu_nu}",
            "forms[0].rules[0]",
            "so sánh tổng ({sum: cột}) với một tổng khác hoặc với một số",
        ),
        (
            "{kind: compare, left: ngay_to_chuc, op: '=<', right: ngay_gui_ke_hoach}",
            "forms[0].rules[0].op",
            "giá trị '=<' không hợp lệ, cần một trong: '<', '<=', '==', '!=', '>=' or '>'",
        ),
    ],
)
def test_compare_mistakes_are_config_errors(
    tmp_path: Path, rule: str, path: str, message: str
) -> None:
    forms = f"  - id: hoi_nghi_co_so\n    template: hoi_nghi_co_so\n    due: 2025-03-31\n    rules:\n      - {rule}\n"
    assert config_error(tmp_path, forms) == [(path, 13, message)]


# --------------------------------------------------------------------------- 003: 100 %
BAO_CAO = """\
  - id: bao_cao
    template: bao_cao
    due: 2025-06-10
    rules:
      - {kind: compare, left: so_dang_ky, op: "==", right: tong_so,
         message: "Yêu cầu 100% CB, ĐV, NLĐ đăng ký thi đua: mới có {left_value}/{limit}"}
      - {kind: compare, left: ty_le_dang_ky, op: ">=", right: 100}
"""


def _report(unit: str, total: int, registered: int, rate: Any) -> dict[str, Any]:
    return {
        "_unit": unit,
        "ky_bao_cao": "6 tháng",
        "so_van_ban": "25/BC-LĐLĐ",
        "ngay_ban_hanh": "05/06/2025",
        "tong_so": total,
        "so_dang_ky": registered,
        "ty_le_dang_ky": rate,
    }


@pytest.mark.parametrize("typed", ["100%", "100 %", "100", 1.0, "1"])
def test_003_every_staff_registered_with_100_percent_typed_any_way(
    tmp_path: Path, typed: Any
) -> None:
    campaign = load(tmp_path, BAO_CAO)
    result = check(campaign, "bao_cao", [_report("TP-LAICHAU", 1850, 1850, typed)])
    assert found(result) == []


def test_003_short_of_100_percent_is_reported_with_the_numbers(tmp_path: Path) -> None:
    campaign = load(tmp_path, BAO_CAO)
    rows = [
        _report("TP-LAICHAU", 1850, 1822, "98,5 %"),
        _report("H-TAMDUONG", 1650, 1650, 0.985),  # an Excel percent cell showing 98,5 %
    ]
    result = check(campaign, "bao_cao", rows)
    assert found(result) == [
        ("H-TAMDUONG", 2, "ty_le_dang_ky", "comparison_failed", "error"),
        ("TP-LAICHAU", 2, "so_dang_ky", "comparison_failed", "error"),
        ("TP-LAICHAU", 2, "ty_le_dang_ky", "comparison_failed", "error"),
    ]
    assert [f.message for f in result.report.findings] == [
        "«Tỷ lệ đăng ký thi đua (%)» là 98,5 % — tối thiểu là 100 %; sửa lại cho đúng",
        "Yêu cầu 100% CB, ĐV, NLĐ đăng ký thi đua: mới có 1822/1850",
        "«Tỷ lệ đăng ký thi đua (%)» là 98,5 % — tối thiểu là 100 %; sửa lại cho đúng",
    ]
