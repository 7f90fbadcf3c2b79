"""Column checks: required, invalid_type, invalid_choice, out_of_range, pattern_mismatch."""

from __future__ import annotations

from datetime import date

from sync.campaign.campaign import Column
from sync.rules.engine import validate
from tests.rules_helpers import BEFORE_DUE, frame, keys, make_campaign, make_form, person, run


def test_column_checks_exact_findings() -> None:
    campaign = make_campaign(make_form())
    result = run(
        campaign,
        {
            "dai_bieu": [
                person("TAMDUONG", "Nguyễn Văn An", "Nam", 1985, dan_toc="Kinh"),  # 2 ok
                person("TAMDUONG", "", "Nữ", "1990"),  # 3 required name
                person("TAMDUONG", "Lò Thị Mai", "Năm", 1990),  # 4 invalid_choice
                person("TAMDUONG", "Vàng A Sử", "Nam", "abc"),  # 5 invalid_type
                person("TAMDUONG", "Giàng A Lử", "Nam", 1950),  # 6 out_of_range
                person("TAMDUONG", "Tòng Văn Ơn", None, None, truc_tiep="có lẽ"),  # 7
                person("TAMDUONG", "Lường Thị Xuân", "nữ", 1990, dan_toc="Kinh tế"),  # 8
            ]
        },
    )
    assert keys(result) == [
        ("TAMDUONG", 3, "ho_ten", "required", "error"),
        ("TAMDUONG", 4, "gioi_tinh", "invalid_choice", "error"),
        ("TAMDUONG", 5, "nam_sinh", "invalid_type", "error"),
        ("TAMDUONG", 6, "nam_sinh", "out_of_range", "error"),
        ("TAMDUONG", 7, "gioi_tinh", "required", "error"),
        ("TAMDUONG", 7, "nam_sinh", "required", "error"),
        ("TAMDUONG", 7, "truc_tiep", "invalid_type", "error"),
        ("TAMDUONG", 8, "dan_toc", "invalid_choice", "error"),
    ]


def test_messages_name_the_value_and_the_allowed_range() -> None:
    campaign = make_campaign(make_form())
    result = run(campaign, {"dai_bieu": [person("TAMDUONG", "A", "Năm", 1950)]})
    by_code = {f.code: f for f in result.report}
    assert "1955" in by_code["out_of_range"].message
    assert "2007" in by_code["out_of_range"].message
    assert "1950" in by_code["out_of_range"].message
    assert by_code["out_of_range"].value == 1950
    assert "«Năm»" in by_code["invalid_choice"].message
    assert "Nam, Nữ" in by_code["invalid_choice"].message
    assert by_code["invalid_choice"].value == "Năm"


def test_pattern_email_phone_date_and_typed_frame() -> None:
    columns = (
        Column(key="ma", header="Mã", type="text", pattern=r"[A-Z]{2}\d{3}", help="Ví dụ: AB123"),
        Column(key="email", header="E-mail", type="email"),
        Column(key="dien_thoai", header="Điện thoại", type="phone"),
        Column(key="ngay", header="Ngày", type="date", min=date(2025, 1, 1)),
        Column(key="so", header="Số", type="integer", min=0, max=100),
    )
    campaign = make_campaign(make_form(columns=columns))
    rows = [
        {
            "_unit": "SINHO",
            "ma": "AB123",
            "email": " Ten@DonVi.vn ",
            "dien_thoai": "0912 345 678",
            "ngay": "20/04/2025",
            "so": "1.000",
        },
        {
            "_unit": "SINHO",
            "ma": "ab12",
            "email": "ten@",
            "dien_thoai": "12345",
            "ngay": "31/12/2024",
            "so": 12.0,
        },
    ]
    result = run(campaign, {"dai_bieu": rows})
    assert keys(result) == [
        ("SINHO", 2, "so", "out_of_range", "error"),
        ("SINHO", 3, "dien_thoai", "invalid_type", "error"),
        ("SINHO", 3, "email", "invalid_type", "error"),
        ("SINHO", 3, "ma", "pattern_mismatch", "error"),
        ("SINHO", 3, "ngay", "out_of_range", "error"),
    ]
    pattern = next(f for f in result.report if f.code == "pattern_mismatch")
    assert "Ví dụ: AB123" in pattern.message
    typed = result.forms["dai_bieu"].frame
    assert typed.loc[0, "email"] == "ten@donvi.vn"
    assert typed.loc[0, "dien_thoai"] == "0912345678"
    assert typed.loc[0, "ngay"] == date(2025, 4, 20)
    assert typed.loc[1, "so"] == 12


def test_invalid_type_gets_no_further_checks() -> None:
    columns = (Column(key="so", header="Số", type="integer", min=0, max=10, pattern=r"\d"),)
    campaign = make_campaign(make_form(columns=columns))
    result = run(campaign, {"dai_bieu": [{"_unit": "TP", "so": "mười hai"}]})
    assert keys(result) == [("TP", 2, "so", "invalid_type", "error")]


def test_all_empty_missing_and_mixed_columns_do_not_raise() -> None:
    campaign = make_campaign(make_form())
    data = frame(
        [
            {"_unit": "TAMDUONG", "ho_ten": None, "nam_sinh": None},
            {"_unit": "TAMDUONG", "ho_ten": None, "nam_sinh": ""},
        ]
    )  # gioi_tinh, dan_toc, truc_tiep missing entirely
    result = validate(campaign, {"dai_bieu": data}, now=BEFORE_DUE)
    assert keys(result) == [
        ("TAMDUONG", 2, "gioi_tinh", "required", "error"),
        ("TAMDUONG", 2, "ho_ten", "required", "error"),
        ("TAMDUONG", 2, "nam_sinh", "required", "error"),
        ("TAMDUONG", 3, "gioi_tinh", "required", "error"),
        ("TAMDUONG", 3, "ho_ten", "required", "error"),
        ("TAMDUONG", 3, "nam_sinh", "required", "error"),
    ]
    mixed = frame(
        [
            person("SINHO", 12345, True, date(1985, 1, 1), dan_toc=3.5, truc_tiep=1),
            person("SINHO", "Ok", "Nam", "1985.0", dan_toc=["x"].__len__(), truc_tiep="x"),
        ]
    )
    out = validate(campaign, {"dai_bieu": mixed}, now=BEFORE_DUE)
    assert ("SINHO", 2, "gioi_tinh", "invalid_choice", "error") in keys(out)
    assert out.forms["dai_bieu"].frame["nam_sinh"].tolist() == [1985, 1985]
    assert validate(campaign, {}, now=BEFORE_DUE).report.rows() == []
