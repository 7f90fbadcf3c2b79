"""Built-in templates, choice lists and the sample campaign laichau-2025."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sync.campaign import builtin_dir, builtin_names, choice_list, load_campaign, load_template
from sync.campaign.campaign import Campaign
from sync.quotas import allocate, tiered
from sync.rules.engine import validate
from sync.rules.findings import Finding

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLE = builtin_dir("samples") / "laichau-2025" / "campaign.yaml"
TEMPLATES = ("bao_cao", "dai_bieu", "dang_ky_thi_dua", "de_nghi_khen_thuong", "hoi_nghi_co_so")
LISTS = ("danh_hieu_thi_dua", "ethnic_groups_vn", "hinh_thuc_khen_thuong", "trinh_do_chuyen_mon")


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign(SAMPLE)


# --------------------------------------------------------------------------- templates
def test_the_five_templates_and_four_lists_are_built_in() -> None:
    assert set(TEMPLATES) <= set(builtin_names("forms"))
    assert set(LISTS) <= set(builtin_names("lists"))
    assert "laichau-2025" in builtin_names("samples")


@pytest.mark.parametrize("name", TEMPLATES)
def test_builtin_template_loads_and_guides_the_unit(name: str) -> None:
    spec, _doc = load_template(name)
    assert spec.id == name
    assert spec.instructions, "the unit's Hướng dẫn tab would be empty"
    assert len(spec.title_block) < spec.header_row
    for col in spec.columns:
        if col.key != "ghi_chu":
            assert col.help, f"{name}.{col.key}: no header note telling the unit how to fill it"
        if isinstance(col.choices, str):
            assert choice_list(col.choices)
    texts = [spec.title, spec.tab, *spec.title_block, *spec.instructions]
    texts += [t for c in spec.columns for t in (c.header, c.help or "")]
    for text in texts:
        assert unicodedata.normalize("NFC", text) == text


def test_dai_bieu_keeps_the_design_columns_in_order() -> None:
    spec, _ = load_template("dai_bieu")
    keys = [c.key for c in spec.columns]
    assert keys[:4] == ["ho_ten", "gioi_tinh", "nam_sinh", "dan_toc"]
    by_key = {c.key: c for c in spec.columns}
    assert by_key["nam_sinh"].type == "year"
    assert (by_key["nam_sinh"].min, by_key["nam_sinh"].max) == (1955, 2007)
    assert by_key["dan_toc"].choices == "ethnic_groups_vn"
    assert by_key["truc_tiep"].header == "Công nhân lao động trực tiếp"
    assert by_key["lanh_dao"].header == "Giữ chức vụ lãnh đạo, quản lý"
    assert {"dang_vien", "chuc_vu", "don_vi", "trinh_do", "thanh_tich", "khen_thuong"} <= set(keys)
    unique = [r for r in spec.rules if r.kind == "unique"]
    assert unique and unique[0].columns == ["ho_ten", "nam_sinh"]
    assert unique[0].scope == "campaign"


def test_award_proposals_match_registrations_on_columns_both_templates_have() -> None:
    proposals, _ = load_template("de_nghi_khen_thuong")
    registrations, _ = load_template("dang_ky_thi_dua")
    rule = next(r for r in proposals.rules if r.kind == "registered_in")
    assert rule.form == "dang_ky_thi_dua" and rule.match
    for key in rule.match:
        mine = next(c for c in proposals.columns if c.key == key)
        theirs = next(c for c in registrations.columns if c.key == key)
        assert (mine.type, mine.choices) == (theirs.type, theirs.choices)


# --------------------------------------------------------------------------- choice lists
@pytest.mark.parametrize("name", LISTS)
def test_choice_list_is_clean(name: str) -> None:
    items = choice_list(name)
    assert items
    for item in items:
        assert unicodedata.normalize("NFC", item) == item
        assert item == " ".join(item.split()), f"extra spaces in {item!r}"
    folded = [i.casefold() for i in items]
    assert len(set(folded)) == len(folded), "duplicates (choices match case-insensitively)"


def test_the_54_ethnic_groups_of_vietnam() -> None:
    groups = choice_list("ethnic_groups_vn")
    assert len(groups) == 54
    assert len(set(groups)) == 54
    assert groups[:8] == ("Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "Mông")
    # groups living in Lai Châu, and the smallest groups, spelled as the official list does
    for name in ("Giáy", "Hà Nhì", "La Hủ", "Lự", "Cống", "Si La", "Mảng", "Khơ Mú", "Dao"):
        assert name in groups
    assert groups[-3:] == ("Rơ Măm", "Brâu", "Ơ Đu")
    assert not any("H'" in g or "Mèo" in g for g in groups)


# --------------------------------------------------------------------------- sample campaign
def test_sample_campaign_loads_with_its_forms_and_units(campaign: Campaign) -> None:
    assert campaign.id == "laichau-2025"
    assert campaign.info.organizer == "Liên đoàn Lao động tỉnh Lai Châu"
    assert campaign.backend.kind == "local"
    assert {f.id for f in campaign.forms} == {
        "dang_ky_thi_dua",
        "hoi_nghi_co_so",
        "dai_bieu",
        "de_nghi_khen_thuong",
        "bao_cao_6_thang",
        "bao_cao_nam",
    }
    names = {u.name for u in campaign.units}
    districts = (
        "Tam Đường",
        "Phong Thổ",
        "Sìn Hồ",
        "Mường Tè",
        "Than Uyên",
        "Tân Uyên",
        "Nậm Nhùn",
    )
    assert "LĐLĐ thành phố Lai Châu" in names
    assert {f"LĐLĐ huyện {d}" for d in districts} <= names
    assert "Công đoàn Viên chức tỉnh" in names
    assert all(u.staff and u.editors for u in campaign.units)
    assert all(e.endswith("@example.vn") for u in campaign.units for e in u.editors)


def test_sample_deadlines_follow_the_plans(campaign: Campaign) -> None:
    dai_bieu = campaign.form("dai_bieu")
    assert dai_bieu.opens == datetime(2025, 3, 1, 0, 0, tzinfo=TZ)
    assert dai_bieu.due == datetime(2025, 4, 20, 17, 0, tzinfo=TZ)
    assert dai_bieu.closes == datetime(2025, 4, 22, 17, 0, tzinfo=TZ)
    assert dai_bieu.lock
    # a date-only due is the end of that day in the campaign timezone
    assert campaign.form("dang_ky_thi_dua").due == datetime(2025, 2, 10, 23, 59, 59, tzinfo=TZ)
    assert campaign.form("bao_cao_6_thang").due.date().isoformat() == "2025-06-10"
    assert campaign.form("bao_cao_nam").due.date().isoformat() == "2025-12-10"


def test_sample_delegate_quotas_are_160_allocated_by_staff(campaign: Campaign) -> None:
    quotas = campaign.quotas("dai_bieu")
    assert sum(q or 0 for q in quotas.values()) == 160
    assert min(q or 0 for q in quotas.values()) >= 1
    order = [u.id for u in campaign.units]
    weights = {u.id: float(u.staff or 0) for u in campaign.units}
    assert quotas == allocate(weights, 160, minimum=1, order=order)


@pytest.mark.parametrize(
    ("staff", "delegates"),
    [(99, 99), (100, 70), (155, 108), (250, 175), (299, 200), (300, 210), (500, 300)],
)
def test_congress_size_policy_gives_the_numbers_of_plan_002(
    campaign: Campaign, staff: int, delegates: int
) -> None:
    assert tiered(campaign.policies["dai_hoi_co_so"], staff) == delegates
    unit = dataclasses.replace(campaign.units[0], staff=staff)
    resized = dataclasses.replace(campaign, units=(unit, *campaign.units[1:]))
    assert resized.quota(unit.id, "hoi_nghi_co_so") == delegates


# --------------------------------------------------------------------------- rules at work
def _frame(unit: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = [{"_unit": unit, "_row": 5 + i, **r} for i, r in enumerate(rows)]
    return pd.DataFrame(out, dtype=object)


def _found(findings: list[Finding], form: str, code: str) -> list[Finding]:
    return [f for f in findings if f.form == form and f.code == code]


def _delegate(name: str, sex: str, ethnic: str, **kw: Any) -> dict[str, Any]:
    row = {
        "ho_ten": name,
        "gioi_tinh": sex,
        "nam_sinh": 1986,
        "dan_toc": ethnic,
        "chuc_vu": "Giáo viên",
        "don_vi": "Trường Tiểu học Nậm Hàng",
        "thanh_phan": "Cá nhân điển hình tiên tiến",
        "thanh_tich": "Giáo viên dạy giỏi cấp tỉnh năm 2024",
        "truc_tiep": "x",
    }
    return {**row, **kw}


def test_delegate_list_composition_warnings(campaign: Campaign) -> None:
    rows = [_delegate(f"Nguyễn Văn {n}", "Nam", "Kinh") for n in ("An", "Bình", "Cường", "Dũng")]
    rows.append(_delegate("Lò Thị Mai", "Nữ", "Thái", lanh_dao="x"))
    now = datetime(2025, 4, 1, 9, 0, tzinfo=TZ)
    result = validate(campaign, {"dai_bieu": _frame("H-NAMNHUN", rows)}, now=now)
    findings = result.report.findings
    assert not [f for f in findings if f.severity == "error"], findings
    kinh = _found(findings, "dai_bieu", "share_above_max")
    assert len(kinh) == 1 and kinh[0].severity == "warning"
    assert "4/5" in kinh[0].message and "dân tộc thiểu số" in kinh[0].message
    women = _found(findings, "dai_bieu", "share_below_min")
    assert len(women) == 1 and "1/5" in women[0].message

    rows[0] = _delegate("Vàng A Sử", "Nữ", "Mông")
    result = validate(campaign, {"dai_bieu": _frame("H-NAMNHUN", rows)}, now=now)
    assert not [f for f in result.report.findings if f.code.startswith("share_")]


def test_award_proposals_need_registration_and_the_15_percent_ratio(campaign: Campaign) -> None:
    def entry(name: str, title: str) -> dict[str, Any]:
        return {
            "doi_tuong": "Cá nhân",
            "ten": name,
            "chuc_vu": "Chuyên viên",
            "don_vi": "LĐLĐ huyện Tam Đường",
            "danh_hieu": title,
            "thanh_tich": "Hoàn thành xuất sắc nhiệm vụ năm 2025",
        }

    registered = [entry("Lò Văn Hùng", "Chiến sĩ thi đua cơ sở")]
    registered += [entry(f"Tao Thị {n}", "Lao động tiên tiến") for n in ("Hoa", "Lan", "Mai")]
    proposed = [*registered, entry("Giàng A Páo", "Lao động tiên tiến")]
    data = {
        "dang_ky_thi_dua": _frame("H-TAMDUONG", registered),
        "de_nghi_khen_thuong": _frame("H-TAMDUONG", proposed),
    }
    result = validate(campaign, data, now=datetime(2025, 12, 1, 9, 0, tzinfo=TZ))
    findings = result.report.findings
    missing = _found(findings, "de_nghi_khen_thuong", "not_registered")
    assert [(f.row, f.column, f.value) for f in missing] == [(9, "ten", "Giàng A Páo")]
    ratio = _found(findings, "de_nghi_khen_thuong", "ratio_exceeded")
    # 1 CSTĐCS among 5 people with Lao động tiên tiến: 15 % of 5 allows 0
    assert len(ratio) == 1 and "tối đa 0" in ratio[0].message and "(1)" in ratio[0].message


def test_unit_conference_date_and_size_are_checked(campaign: Campaign) -> None:
    row = {
        "ten_hoi_nghi": "Hội nghị điển hình tiên tiến LĐLĐ huyện Sìn Hồ lần thứ V",
        "hinh_thuc": "Hội nghị đại biểu",
        "ngay_to_chuc": "02/04/2025",
        "so_dai_bieu": 301,
    }
    now = datetime(2025, 3, 20, 9, 0, tzinfo=TZ)
    result = validate(campaign, {"hoi_nghi_co_so": _frame("H-SINHO", [row])}, now=now)
    findings = result.report.findings
    assert [f.column for f in _found(findings, "hoi_nghi_co_so", "out_of_range")] == [
        "ngay_to_chuc"
    ]
    size = _found(findings, "hoi_nghi_co_so", "quota_exceeded")
    assert len(size) == 1 and "301/300" in size[0].message

    fixed = {**row, "ngay_to_chuc": "28/03/2025", "so_dai_bieu": 300}
    result = validate(campaign, {"hoi_nghi_co_so": _frame("H-SINHO", [fixed, fixed])}, now=now)
    extra = _found(result.report.findings, "hoi_nghi_co_so", "quota_exceeded")
    assert [f.message for f in extra] == [
        "Chỉ ghi 1 dòng cho hội nghị của đơn vị (đang có 2) — xoá 1 dòng thừa",
        "Vượt chỉ tiêu: tổng «Số đại biểu» là 600/300 — giảm 300",
    ]


def test_sample_readme_explains_the_sample_in_vietnamese() -> None:
    text = Path(SAMPLE).with_name("README.md").read_text(encoding="utf-8")
    for needle in ("160", "10/02/2025", "20/04/2025", "minh hoạ", "thidua allocate"):
        assert needle in text
