"""Conditions (`where:`): values, lists, not, in, not_in, empty, all/any — and their check."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.campaign import load_campaign
from sync.campaign.campaign import Column
from sync.errors import ConfigError
from sync.rules.engine import build_context
from sync.rules.required_if import RequiredIfRule
from sync.rules.shares import MinShareRule
from tests.rules_helpers import DAI_BIEU_COLUMNS, frame, keys, make_campaign, make_form, person, run
from tests.test_campaign_config import CAMPAIGN, write

# Seed 001 (Lạng Sơn, 2019): delegates must keep "tỷ lệ đại biểu người dân tộc thiểu số phù
# hợp" — minorities are everyone who is not Kinh, so the rule needs a negation, not 53 names.
MINORITY = MinShareRule(kind="min_share", where={"dan_toc": {"not": "Kinh"}}, share=0.5, min_rows=1)


def _delegates(unit: str, *ethnic: str | None) -> list[dict[str, object]]:
    return [person(unit, f"Người {i}", dan_toc=e) for i, e in enumerate(ethnic)]


def test_minority_share_is_not_kinh_and_empty_cells_are_not_counted() -> None:
    campaign = make_campaign(make_form(rules=[MINORITY]))
    result = run(
        campaign,
        {
            "dai_bieu": [
                *_delegates("TAMDUONG", "Thái", "Mông", "Kinh", "Kinh"),  # 2/4 = 50 %
                *_delegates("SINHO", "Thái", "Kinh", None, "Kinh"),  # 1/4: empty is not counted
            ]
        },
    )
    assert keys(result, "share_below_min") == [("SINHO", None, None, "share_below_min", "error")]
    assert result.summary("TAMDUONG", "dai_bieu").shares == {"Tỷ lệ dân tộc khác Kinh": 0.5}
    message = result.report.select(unit="SINHO").findings[-1].message
    assert message.startswith("Tỷ lệ dân tộc khác Kinh 25 % (1/4), yêu cầu tối thiểu 50 %")


@pytest.mark.parametrize(
    ("where", "expected_rows"),
    [
        ({"dan_toc": ["Thái", "Mông"]}, [2, 3]),
        ({"dan_toc": {"in": ["Thái", "Mông"]}}, [2, 3]),
        ({"dan_toc": {"not_in": ["Thái", "Mông"]}}, [4]),
        ({"dan_toc": {"not": ["Thái", "Kinh"]}}, [3]),
        ({"dan_toc": {"empty": True}}, [5]),
        ({"dan_toc": {"empty": False}}, [2, 3, 4]),
        ({"all": [{"gioi_tinh": "Nữ"}, {"dan_toc": {"not": "Kinh"}}]}, [3]),
        ({"any": [{"gioi_tinh": "Nữ"}, {"dan_toc": "Thái"}]}, [2, 3, 5]),
        ({"gioi_tinh": "Nữ", "any": [{"dan_toc": "Kinh"}, {"dan_toc": {"empty": True}}]}, [5]),
    ],
)
def test_condition_forms_select_rows(where: dict[str, object], expected_rows: list[int]) -> None:
    campaign = make_campaign(make_form())
    rows = [
        person("TAMDUONG", "A", "Nam", dan_toc="Thái"),
        person("TAMDUONG", "B", "Nữ", dan_toc="mông"),
        person("TAMDUONG", "C", "Nam", dan_toc="Kinh"),
        person("TAMDUONG", "D", "Nữ"),
    ]
    ctx = build_context(campaign, campaign.forms[0], frame(rows), ["TAMDUONG"])
    assert [int(r) for r in ctx.rows[ctx.condition_mask(where)]] == expected_rows


def test_required_if_with_negation_names_the_condition() -> None:
    rule = RequiredIfRule(kind="required_if", column="ghi_chu", where={"dan_toc": {"not": "Kinh"}})
    note = Column(key="ghi_chu", header="Ghi chú", type="text")
    form = make_form(columns=(*DAI_BIEU_COLUMNS, note), rules=[rule])
    result = run(
        make_campaign(form),
        {
            "dai_bieu": [
                person("TAMDUONG", "A", dan_toc="Thái"),
                person("TAMDUONG", "B", dan_toc="Kinh"),
            ]
        },
    )
    assert keys(result) == [("TAMDUONG", 2, "ghi_chu", "required", "error")]
    assert (
        result.report.findings[0].message
        == "Chưa nhập «Ghi chú» — bắt buộc khi «Dân tộc» khác Kinh"
    )


def _with_rule(rule: str) -> str:
    return CAMPAIGN.replace(
        "      - {kind: max_rows, quota: true}\n",
        f"      - {{kind: max_rows, quota: true}}\n{rule}",
    )


@pytest.mark.parametrize(
    ("rule", "path", "needle"),
    [
        (
            '      - {kind: min_share, where: {gioi_tinh: "!=Nam"}, share: 0.3}\n',
            "forms[0].rules[1].where.gioi_tinh",
            "«!=Nam» trông như một phép so sánh nhưng điều kiện chỉ so khớp giá trị; để chọn"
            " các giá trị khác «Nam» viết {not: Nam} — giá trị của cột: Nam, Nữ",
        ),
        (
            "      - {kind: min_share, where: {gioi_tinh: {not: Nu}}, share: 0.3}\n",
            "forms[0].rules[1].where.gioi_tinh",
            "«Nu» không có trong danh sách của cột 'gioi_tinh' (Giới tính) (có phải «Nữ»?)"
            " — chọn một trong: Nam, Nữ",
        ),
        (
            "      - {kind: min_share, where: {any: [{nam_sinh: 1990}, {nam_sinh: abc}]}, share: 0.3}\n",
            "forms[0].rules[1].where.any[1].nam_sinh",
            "«abc» không phải giá trị kiểu year của cột 'nam_sinh' (Năm sinh)",
        ),
        (
            "      - {kind: min_share, where: {gioi_tinh: {nott: Nam}}, share: 0.3}\n",
            "forms[0].rules[1].where",
            "cột 'gioi_tinh': 'nott' không phải phép so khớp; dùng một trong not, in, not_in, empty",
        ),
    ],
)
def test_condition_values_are_checked_against_the_column(
    tmp_path: Path, rule: str, path: str, needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_campaign(write(tmp_path, _with_rule(rule)))
    [issue] = info.value.issues
    assert issue.path == path
    assert needle in issue.message
    assert issue.line == _with_rule(rule).splitlines().index(rule.rstrip("\n")) + 1
    assert Path(issue.file).name == "campaign.yaml"
