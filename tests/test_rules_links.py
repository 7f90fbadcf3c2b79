"""`required_if` and `registered_in` (rows and units must appear in another form)."""

from __future__ import annotations

from sync.campaign.campaign import Column
from sync.rules.registered_in import RegisteredInRule
from sync.rules.required_if import RequiredIfRule
from tests.rules_helpers import keys, make_campaign, make_form, person, run

REG_COLUMNS = (
    Column(key="ho_ten", header="Họ và tên", type="text", required=True),
    Column(key="danh_hieu", header="Danh hiệu", type="text"),
)


def test_required_if() -> None:
    rule = RequiredIfRule(kind="required_if", column="dan_toc", where={"truc_tiep": True})
    campaign = make_campaign(make_form(rules=[rule]))
    rows = [
        person("TP", "A", truc_tiep="x"),  # 2: ticked, no dan_toc → required
        person("TP", "B", truc_tiep="x", dan_toc="Thái"),  # 3
        person("TP", "C"),  # 4: not ticked
        person("TP", "D", truc_tiep=True),  # 5: checkbox ticked
    ]
    result = run(campaign, {"dai_bieu": rows})
    assert keys(result) == [
        ("TP", 2, "dan_toc", "required", "error"),
        ("TP", 5, "dan_toc", "required", "error"),
    ]
    assert "«Công nhân lao động trực tiếp» = TRUE" in result.report.findings[0].message


def _two_forms(rule: RegisteredInRule) -> object:
    reg = make_form("dang_ky", REG_COLUMNS, title="Đăng ký thi đua")
    award = make_form("khen_thuong", REG_COLUMNS, rules=[rule], title="Đề nghị khen thưởng")
    return make_campaign(reg, award)


def test_registered_in_rows() -> None:
    campaign = _two_forms(RegisteredInRule(kind="registered_in", form="dang_ky", match=["ho_ten"]))
    data = {
        "dang_ky": [
            {"_unit": "TP", "ho_ten": "Nguyễn Văn An"},
            {"_unit": "SINHO", "ho_ten": "Lò Văn Bình"},
        ],
        "khen_thuong": [
            {"_unit": "TP", "ho_ten": "nguyễn văn  an"},  # 2: registered (case/space)
            {"_unit": "TP", "ho_ten": "Lò Văn Bình"},  # 3: registered by another unit only
            {"_unit": "TP", "ho_ten": ""},  # 4: empty: only the required finding
        ],
    }
    result = run(campaign, data)
    assert keys(result) == [
        ("TP", 3, "ho_ten", "not_registered", "error"),
        ("TP", 4, "ho_ten", "required", "error"),
    ]
    assert "Đăng ký thi đua" in result.report.findings[0].message


def test_registered_in_units() -> None:
    campaign = _two_forms(RegisteredInRule(kind="registered_in", form="dang_ky"))
    data = {
        "dang_ky": [{"_unit": "TP", "ho_ten": "X"}],
        "khen_thuong": [{"_unit": "TP", "ho_ten": "A"}, {"_unit": "SINHO", "ho_ten": "B"}],
    }
    result = run(campaign, data)
    assert keys(result) == [("SINHO", None, None, "not_registered", "error")]
