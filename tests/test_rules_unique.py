"""`unique`: duplicates within a unit or across the campaign, likely duplicates by diacritics."""

from __future__ import annotations

from sync.rules.unique import UniqueRule
from tests.rules_helpers import keys, make_campaign, make_form, person, run


def _campaign(scope: str) -> object:
    rule = UniqueRule(kind="unique", columns=["ho_ten", "nam_sinh"], scope=scope)  # type: ignore[arg-type]
    return make_campaign(make_form(rules=[rule]))


ROWS = [
    person("TAMDUONG", "Nguyễn Văn An", year=1985),  # 2
    person("TAMDUONG", "Lò Thị Mai", "Nữ", 1990),  # 3
    person("TAMDUONG", "nguyễn  VĂN an", year="1985"),  # 4: same as 2 (case, spaces)
    person("SINHO", "Nguyễn Văn An", year=1985.0),  # 2: same as TAMDUONG 2 and 4
    person("SINHO", "Lo Thi Mai", "Nữ", 1990),  # 3: differs from TAMDUONG 3 only by diacritics
    person("SINHO", "Nguyễn Văn An", year=1986),  # 4: other year: not a duplicate
]


def test_unit_scope() -> None:
    result = run(_campaign("unit"), {"dai_bieu": ROWS})
    assert keys(result) == [
        ("TAMDUONG", 2, "ho_ten", "duplicate", "error"),
        ("TAMDUONG", 4, "ho_ten", "duplicate", "error"),
    ]
    messages = [f.message for f in result.report]
    assert "dòng 4" in messages[0] and "dòng 2" in messages[1]


def test_campaign_scope_names_other_units() -> None:
    result = run(_campaign("campaign"), {"dai_bieu": ROWS})
    assert keys(result) == [
        ("SINHO", 2, "ho_ten", "duplicate", "error"),
        ("SINHO", 3, "ho_ten", "likely_duplicate", "warning"),
        ("TAMDUONG", 2, "ho_ten", "duplicate", "error"),
        ("TAMDUONG", 3, "ho_ten", "likely_duplicate", "warning"),
        ("TAMDUONG", 4, "ho_ten", "duplicate", "error"),
    ]
    sinho = next(f for f in result.report if f.unit == "SINHO" and f.row == 2)
    assert "dòng 2 của LĐLĐ huyện Tam Đường" in sinho.message
    assert "dòng 4 của LĐLĐ huyện Tam Đường" in sinho.message
    tam3 = next(f for f in result.report if f.unit == "TAMDUONG" and f.row == 3)
    assert "dòng 3 của LĐLĐ huyện Sìn Hồ" in tam3.message


def test_restricted_units_still_compare_against_all_rows() -> None:
    result = run(_campaign("campaign"), {"dai_bieu": ROWS}, units=["SINHO"])
    assert keys(result) == [
        ("SINHO", 2, "ho_ten", "duplicate", "error"),
        ("SINHO", 3, "ho_ten", "likely_duplicate", "warning"),
    ]


def test_empty_keys_are_not_duplicates_and_many_others_are_capped() -> None:
    rows = [person("TP", "", year=1985), person("TP", "", year=1985)]
    rows += [person("TP", "Trần Bình", year=1970) for _ in range(6)]
    result = run(_campaign("unit"), {"dai_bieu": rows})
    dups = [f for f in result.report if f.code == "duplicate"]
    assert [f.row for f in dups] == [4, 5, 6, 7, 8, 9]
    assert "và 2 dòng khác" in dups[0].message
