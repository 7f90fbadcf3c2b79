"""validate(): summaries, extra findings, unit restriction, typed frame, English messages."""

from __future__ import annotations

from sync.rules.engine import validate
from sync.rules.findings import Finding
from sync.rules.max_rows import MaxRowsRule
from sync.rules.unique import UniqueRule
from tests.rules_helpers import BEFORE_DUE, frame, keys, make_campaign, make_form, person, run

RULES = [
    MaxRowsRule(kind="max_rows", quota=True),
    UniqueRule(kind="unique", columns=["ho_ten"], scope="unit", severity="warning"),
]


def test_summaries_frame_counts_and_extra_findings() -> None:
    second = make_form("khen_thuong", title="Khen thưởng")
    campaign = make_campaign(make_form(rules=RULES), second)
    rows = [
        person("TAMDUONG", "An"),
        person("TAMDUONG", "An"),
        person("TAMDUONG", "Bình", "Năm"),
        person("TAMDUONG", "Chi"),
        person("SINHO", "Dũng"),
    ]
    extra = [
        Finding("SINHO", "khen_thuong", None, None, "missing_tab", "error", "Thiếu tab"),
        Finding("SINHO", "dai_bieu", 2, "ho_ten", "header_mismatch", "warning", "Tiêu đề đổi"),
    ]
    result = run(campaign, {"dai_bieu": rows}, extra=extra)
    assert [(s.unit, s.form) for s in result.summaries] == [
        ("TAMDUONG", "dai_bieu"),
        ("TAMDUONG", "khen_thuong"),
        ("SINHO", "dai_bieu"),
        ("SINHO", "khen_thuong"),
        ("TP", "dai_bieu"),
        ("TP", "khen_thuong"),
    ]
    tam = result.summary("TAMDUONG", "dai_bieu")
    assert (tam.quota, tam.rows, tam.valid_rows, tam.errors, tam.warnings, tam.state) == (
        3,
        4,
        3,
        2,
        2,
        "in_progress",
    )
    sin = result.summary("SINHO", "dai_bieu")
    assert (sin.rows, sin.valid_rows, sin.errors, sin.warnings, sin.state) == (1, 1, 0, 1, "valid")
    missing = result.summary("SINHO", "khen_thuong")
    assert (missing.rows, missing.errors, missing.state) == (0, 1, "not_started")
    assert ("SINHO", None, None, "missing_tab", "error") in keys(result)
    typed = result.forms["dai_bieu"].frame
    assert typed["_errors"].tolist() == [0, 0, 1, 0, 0]
    assert typed["_warnings"].tolist() == [1, 1, 0, 0, 1]
    assert typed["gioi_tinh"].tolist()[:2] == ["Nam", "Nam"]
    assert len(result.forms["dai_bieu"].report) == 5


def test_units_restrict_evaluation() -> None:
    campaign = make_campaign(make_form(rules=RULES))
    rows = [person("TAMDUONG", "A", "x"), person("SINHO", "B", "y")]
    result = run(campaign, {"dai_bieu": rows}, units=["SINHO"])
    assert keys(result) == [("SINHO", 2, "gioi_tinh", "invalid_choice", "error")]
    assert [s.unit for s in result.summaries] == ["SINHO"]
    assert result.forms["dai_bieu"].frame["_unit"].tolist() == ["SINHO"]


def test_english_messages() -> None:
    campaign = make_campaign(make_form(rules=RULES), language="en")
    rows = [person("SINHO", f"P{i}") for i in range(3)] + [person("SINHO", "", year=1900)]
    result = run(campaign, {"dai_bieu": rows})
    messages = {f.code: f.message for f in result.report}
    assert messages["quota_exceeded"] == "Quota exceeded: 4/2 rows — remove 2 rows"
    assert messages["out_of_range"].startswith(
        "«Năm sinh» 1900 is out of range — enter 1955 to 2007"
    )
    assert "required" in messages["required"]


def test_frame_without_row_column_and_unknown_units() -> None:
    campaign = make_campaign(make_form())
    data = frame([person("NOBODY", "A"), person("TP", "B", "z")]).drop(columns=["_row"])
    result = validate(campaign, {"dai_bieu": data}, now=BEFORE_DUE)
    assert keys(result) == [("TP", 3, "gioi_tinh", "invalid_choice", "error")]
