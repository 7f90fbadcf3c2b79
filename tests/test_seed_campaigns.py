"""What the plans of seeds 001, 002 and 003 ask, written in the campaign file as organisers would.

001 — Lạng Sơn trade unions, 2019: delegates with "tỷ lệ nữ, tỷ lệ đại biểu người dân tộc
thiểu số phù hợp", "đại diện cho các ngành, lĩnh vực".
002 — Lai Châu, 2024: each body sends its congress plan "trước 15 ngày".
003 — Lai Châu trade unions, 2025: "động viên 100% cán bộ, đoàn viên, NLĐ đăng ký".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def check(campaign: Campaign, form: str, rows: list[dict[str, Any]]) -> ValidationResult:
    return validate(campaign, {form: frame(rows)}, now=BEFORE_DUE)


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
