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


# --- who owns a duplicate across units (the earliest claim) --------------------------------

PAIR = [
    person("TAMDUONG", "Lò Văn Pành", year=1979),  # 2
    person("SINHO", "Lò Văn Pành", year=1979),  # 2
    person("SINHO", "Tòng Thị Én", "Nữ", 1990),  # 3
]


def _claims(result_keys: dict[str, dict[str, set[str]]], **units: tuple[float, bool]) -> dict:
    """Claims of the shared key: unit → (first seen, submitted)."""
    shared = result_keys["dai_bieu"]["TAMDUONG"] & result_keys["dai_bieu"]["SINHO"]
    (key,) = shared
    return {"dai_bieu": {key: dict(units)}}


def test_without_claims_campaign_order_owns_and_gets_a_warning() -> None:
    result = run(_campaign("campaign"), {"dai_bieu": PAIR})
    assert keys(result) == [
        ("SINHO", 2, "ho_ten", "duplicate", "error"),
        ("TAMDUONG", 2, "ho_ten", "duplicate", "warning"),
    ]
    owner = next(f for f in result.report if f.unit == "TAMDUONG")
    assert "cũng có trong danh sách của đơn vị khác (dòng 2 của LĐLĐ huyện Sìn Hồ)" in owner.message
    assert (
        "dòng 2 của LĐLĐ huyện Tam Đường"
        in next(f for f in result.report if f.unit == "SINHO").message
    )
    assert result.keys["dai_bieu"]["SINHO"] and len(result.keys["dai_bieu"]["SINHO"]) == 2


def test_first_seen_earlier_owns() -> None:
    first = run(_campaign("campaign"), {"dai_bieu": PAIR})
    claims = _claims(first.keys, SINHO=(100.0, False), TAMDUONG=(200.0, False))
    result = run(_campaign("campaign"), {"dai_bieu": PAIR}, claims=claims)
    assert keys(result) == [
        ("SINHO", 2, "ho_ten", "duplicate", "warning"),
        ("TAMDUONG", 2, "ho_ten", "duplicate", "error"),
    ]


def test_a_submitted_snapshot_owns_over_an_earlier_live_row() -> None:
    first = run(_campaign("campaign"), {"dai_bieu": PAIR})
    claims = _claims(first.keys, SINHO=(100.0, False), TAMDUONG=(200.0, True))
    result = run(_campaign("campaign"), {"dai_bieu": PAIR}, claims=claims)
    assert keys(result) == [
        ("SINHO", 2, "ho_ten", "duplicate", "error"),
        ("TAMDUONG", 2, "ho_ten", "duplicate", "warning"),
    ]
