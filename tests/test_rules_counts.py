"""Unit-level counting rules: max_rows, min_rows, min/max_share, max_ratio, max_sum."""

from __future__ import annotations

from sync.campaign.campaign import Column
from sync.rules.max_ratio import MaxRatioRule
from sync.rules.max_rows import MaxRowsRule
from sync.rules.max_sum import MaxSumRule
from sync.rules.min_rows import MinRowsRule
from sync.rules.shares import MaxShareRule, MinShareRule
from tests.rules_helpers import keys, make_campaign, make_form, person, run


def _people(unit: str, men: int, women: int) -> list[dict[str, object]]:
    return [person(unit, f"Nam {i}", "Nam", 1980 + i) for i in range(men)] + [
        person(unit, f"Nữ {i}", "Nữ", 1980 + i) for i in range(women)
    ]


def test_max_rows_quota_and_value() -> None:
    campaign = make_campaign(
        make_form(
            rules=[
                MaxRowsRule(kind="max_rows", quota=True),
                MaxRowsRule(kind="max_rows", value=4, severity="warning"),
            ]
        )
    )
    result = run(
        campaign,
        {"dai_bieu": _people("TAMDUONG", 5, 0) + _people("SINHO", 2, 0) + _people("TP", 3, 0)},
    )
    assert keys(result) == [
        ("TAMDUONG", None, None, "quota_exceeded", "error"),
        ("TAMDUONG", None, None, "quota_exceeded", "warning"),
    ]
    quota = result.report.findings[0]
    assert quota.message == "Vượt chỉ tiêu: 5/3 dòng — bớt 2 dòng"
    assert quota.value == 5


def test_min_rows_reports_units_without_rows() -> None:
    campaign = make_campaign(make_form(rules=[MinRowsRule(kind="min_rows", value=2)]))
    result = run(campaign, {"dai_bieu": _people("TAMDUONG", 1, 1) + _people("SINHO", 1, 0)})
    assert keys(result) == [
        ("SINHO", None, None, "below_minimum", "error"),
        ("TP", None, None, "below_minimum", "error"),
    ]
    assert "0/2" in result.report.findings[1].message
    assert "thêm 2" in result.report.findings[1].message


def test_min_share_message_has_numbers() -> None:
    rule = MinShareRule(kind="min_share", where={"gioi_tinh": "Nữ"}, share=0.3, label="Tỷ lệ nữ")
    campaign = make_campaign(make_form(rules=[rule]))
    result = run(campaign, {"dai_bieu": _people("TAMDUONG", 9, 3) + _people("SINHO", 2, 1)})
    assert keys(result) == [("TAMDUONG", None, None, "share_below_min", "error")]
    assert result.report.findings[0].message.startswith(
        "Tỷ lệ nữ 25 % (3/12), yêu cầu tối thiểu 30 %"
    )
    assert "4/12" in result.report.findings[0].message
    summary = result.summary("TAMDUONG", "dai_bieu")
    assert summary.shares == {"Tỷ lệ nữ": 0.25}
    assert result.summary("TP", "dai_bieu").shares == {"Tỷ lệ nữ": None}


def test_max_share_and_min_rows_threshold_and_custom_message() -> None:
    rules = [
        MaxShareRule(
            kind="max_share",
            where={"gioi_tinh": ["Nam"]},
            share=0.5,
            severity="warning",
            message="Quá nhiều nam: {count}/{total}",
        ),
        MinShareRule(kind="min_share", where={"gioi_tinh": "nữ"}, share=0.5, min_rows=5),
    ]
    campaign = make_campaign(make_form(rules=rules))
    result = run(campaign, {"dai_bieu": _people("TAMDUONG", 3, 1) + _people("SINHO", 4, 2)})
    assert keys(result) == [
        ("SINHO", None, None, "share_above_max", "warning"),
        ("SINHO", None, None, "share_below_min", "error"),
        ("TAMDUONG", None, None, "share_above_max", "warning"),
    ]
    assert result.report.findings[0].message == "Quá nhiều nam: 4/6"


def test_max_ratio() -> None:
    columns = (
        Column(key="ho_ten", header="Họ và tên", type="text", required=True),
        Column(
            key="danh_hieu",
            header="Danh hiệu",
            type="choice",
            choices=("Lao động tiên tiến", "Chiến sĩ thi đua cơ sở"),
        ),
        Column(key="so_nguoi", header="Số người", type="integer"),
    )
    rule = MaxRatioRule(
        kind="max_ratio",
        where={"danh_hieu": "Chiến sĩ thi đua cơ sở"},
        of={"danh_hieu": "Lao động tiên tiến"},
        ratio=0.15,
    )
    campaign = make_campaign(make_form(columns=columns, rules=[rule]))
    cstd = {"danh_hieu": "Chiến sĩ thi đua cơ sở"}
    ldtt = {"danh_hieu": "lao động tiên tiến"}
    rows = [{"_unit": "TAMDUONG", "ho_ten": f"A{i}", **ldtt} for i in range(10)]
    rows += [{"_unit": "TAMDUONG", "ho_ten": f"B{i}", **cstd} for i in range(2)]
    rows += [{"_unit": "SINHO", "ho_ten": f"C{i}", **ldtt} for i in range(20)]
    rows += [{"_unit": "SINHO", "ho_ten": f"D{i}", **cstd} for i in range(3)]
    result = run(campaign, {"dai_bieu": rows})
    assert keys(result) == [("TAMDUONG", None, None, "ratio_exceeded", "error")]
    message = result.report.findings[0].message
    assert "2" in message and "15 %" in message and "(10)" in message and "tối đa 1" in message
    assert result.summary("SINHO", "dai_bieu").shares == {"Số Chiến sĩ thi đua cơ sở": 0.15}


def test_max_sum_against_quota() -> None:
    columns = (
        Column(key="to_chuc", header="Tổ chức", type="text", required=True),
        Column(key="dai_bieu", header="Số đại biểu", type="integer"),
    )
    campaign = make_campaign(
        make_form(
            columns=columns, rules=[MaxSumRule(kind="max_sum", column="dai_bieu", quota=True)]
        )
    )
    rows = [
        {"_unit": "TAMDUONG", "to_chuc": "CĐ A", "dai_bieu": "2"},
        {"_unit": "TAMDUONG", "to_chuc": "CĐ B", "dai_bieu": 2},
        {"_unit": "TAMDUONG", "to_chuc": "CĐ C", "dai_bieu": "x"},
        {"_unit": "SINHO", "to_chuc": "CĐ D", "dai_bieu": 2.0},
    ]
    result = run(campaign, {"dai_bieu": rows})
    assert keys(result) == [
        ("TAMDUONG", None, None, "quota_exceeded", "error"),
        ("TAMDUONG", 4, "dai_bieu", "invalid_type", "error"),
    ]
    assert "4/3" in result.report.findings[0].message
