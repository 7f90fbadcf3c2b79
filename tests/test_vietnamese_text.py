"""What units really type: legacy TCVN3/VNI text, old and new tone placement, formula text."""

from __future__ import annotations

import random
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.campaign import choice_list
from sync.campaign.campaign import Column
from sync.demo import DEM, HO, TEN
from sync.normalize import match_key, normalize_column
from sync.rules.registered_in import RegisteredInRule
from sync.rules.unique import UniqueRule
from sync.vietnamese import _words, detect_legacy, detect_many, is_plausible, to_tcvn3, to_vni
from tests.rules_helpers import DAI_BIEU_COLUMNS, keys, make_campaign, make_form, person, run

ETHNIC = choice_list("ethnic_groups_vn")
ENCODERS = {"tcvn3": to_tcvn3, "vni": to_vni}


def generated_names(count: int = 3000) -> list[str]:
    """Family + middle + given names of Kinh and northern-mountain usage, both tone styles."""
    family = [*HO, "Huỳnh", "Đỗ", "Dương", "Lường", "Quàng", "Thào", "Sùng", "Giàng", "Tạ"]
    middle = [*DEM, "Thuý", "Thúy", "Hoà", "Hòa", "Hữu", "Ngọc", "Xuân", "A", "Seo"]
    given_ = [*TEN, "Khoẻ", "Khỏe", "Ánh", "Ước", "Ứng", "Ổn", "Lự", "Chứ", "Xuyến", "Quỳnh"]
    rng = random.Random(2025)
    names: set[str] = set()
    while len(names) < count:
        names.add(f"{rng.choice(family)} {rng.choice(middle)} {rng.choice(given_)}")
    return sorted(names)


def ambiguous(legacy: str, original: str) -> bool:
    """Every word the legacy form changed is itself ordinary Vietnamese (VNI `Hoà` is `Hồ`,
    TCVN3 `Lù` is `Lự`): no text-only rule can tell it from a name typed in Unicode."""
    pairs = zip(_words(legacy), _words(original), strict=True)
    return all(is_plausible(a) for a, b in pairs if a != b)


# --------------------------------------------------------------------------- legacy: detection
def test_no_false_positive_on_unicode_originals() -> None:
    texts = [*ETHNIC, *HO, *DEM, *TEN, *generated_names()]
    texts += ["Công ty ABC®", "«Lao động giỏi»", "100°C", "Hoà Bình", "Hrê Mnông Stiêng Brâu"]
    texts += ["Nguyen Van An", "LĐLĐ huyện Tam Đường", "25/BC-LĐLĐ", "Café", "Ông Bà"]
    assert [t for t in texts if detect_legacy(t)] == []
    assert detect_many(texts) == {}
    assert detect_many(list(ETHNIC), ETHNIC) == {}


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_every_ethnic_group_typed_in_a_legacy_font_is_read_as_its_choice(encoding: str) -> None:
    legacy = [ENCODERS[encoding](e) for e in ETHNIC]
    changed = [i for i, (a, b) in enumerate(zip(legacy, ETHNIC, strict=True)) if a != b]
    assert len(changed) > 30
    found = detect_many(legacy, ETHNIC)
    assert sorted(found) == changed
    assert all(found[i] == (encoding, ETHNIC[i]) for i in changed)


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_generated_names_in_a_legacy_font_are_detected_and_converted_exactly(
    encoding: str,
) -> None:
    names = generated_names()
    missed, wrong = [], []
    for name in names:
        legacy = ENCODERS[encoding](name)
        if legacy == name:
            continue  # e.g. "Mai Thuý" is the same text in TCVN3
        hit = detect_legacy(legacy)
        if hit is None:
            missed.append((legacy, name))
        elif hit != (encoding, name):
            wrong.append((legacy, name, hit))
    assert wrong == []
    # the only misses are forms whose every changed word is itself a Vietnamese name
    assert [m for m in missed if not ambiguous(*m)] == []
    assert len(missed) < len(names) / 50


def test_the_texts_of_the_issue() -> None:
    assert detect_legacy("NguyÔn V¨n An") == ("tcvn3", "Nguyễn Văn An")
    assert detect_legacy("C«ng nh©n") == ("tcvn3", "Công nhân")
    assert detect_legacy("Nguyeãn Vaên Bình") == ("vni", "Nguyễn Văn Bình")
    assert detect_legacy("NGUYÔN V¡N AN") == ("tcvn3", "NGUYỄN VĂN AN")
    assert detect_many(["N÷", "Nam", "Th¸i"], ["Nam", "Nữ", "Thái"]) == {
        0: ("tcvn3", "Nữ"),
        2: ("tcvn3", "Thái"),
    }


def test_legacy_detection_stays_vectorised() -> None:
    """One regular-expression pass decides for a column of Unicode names."""
    col = normalize_column(list(generated_names(500)), "ho_ten", "text")
    assert col.unique_legacy is None


# --------------------------------------------------------------------------- legacy: findings
COLUMNS = (*DAI_BIEU_COLUMNS, Column(key="ghi_chu", header="Ghi chú", type="text"))


def test_legacy_text_is_a_warning_on_the_cell_and_checks_use_unicode() -> None:
    campaign = make_campaign(
        make_form(
            columns=COLUMNS,
            rules=[UniqueRule(kind="unique", columns=["ho_ten", "nam_sinh"], scope="campaign")],
        )
    )
    rows = [
        person("TAMDUONG", "NguyÔn V¨n An", "Nam", 1985, dan_toc="Th¸i"),
        person("TAMDUONG", "Lò Thị Mai", "N÷", 1990, dan_toc="Thái", ghi_chu="C«ng nh©n"),
        person("SINHO", "Nguyễn Văn An", "Nam", 1985),  # the same person, typed in Unicode
    ]
    result = run(campaign, {"dai_bieu": rows})
    # the legacy and the Unicode spelling are one person: a duplicate across units, owned by
    # TAMDUONG (first in the campaign file, no earlier claim), so SINHO carries the error
    assert keys(result) == [
        ("SINHO", 2, "ho_ten", "duplicate", "error"),
        ("TAMDUONG", 2, "dan_toc", "legacy_encoding", "warning"),
        ("TAMDUONG", 2, "ho_ten", "duplicate", "warning"),
        ("TAMDUONG", 2, "ho_ten", "legacy_encoding", "warning"),
        ("TAMDUONG", 3, "ghi_chu", "legacy_encoding", "warning"),
        ("TAMDUONG", 3, "gioi_tinh", "legacy_encoding", "warning"),
    ]
    by_cell = {(f.row, f.column): f for f in result.report.findings if f.unit == "TAMDUONG"}
    assert by_cell[(2, "ho_ten")].message == (
        "Văn bản gõ bằng bảng mã TCVN3 (.VnTime): «NguyÔn V¨n An» — sửa thành «Nguyễn Văn An»"
    )
    assert by_cell[(3, "gioi_tinh")].value == "N÷"  # what the unit typed, kept as typed
    frame = result.forms["dai_bieu"].frame
    assert frame["ho_ten"].tolist()[:2] == ["Nguyễn Văn An", "Lò Thị Mai"]
    assert frame["gioi_tinh"].tolist()[:2] == ["Nam", "Nữ"]
    assert frame["dan_toc"].tolist()[:2] == ["Thái", "Thái"]


# --------------------------------------------------------------------------- tone placement
_OLD_NEW = [("oa", 1), ("oe", 1), ("uy", 1)]  # the tone goes on the 1st (old) or 2nd (new) vowel
TONE_MARKS = ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]


@st.composite
def syllable_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """The same open syllable written with the old and the new tone placement."""
    initial = draw(st.sampled_from(["", "h", "th", "kh", "ng", "t", "x", "l", "h", "q"]))
    rhyme = draw(st.sampled_from(["oa", "oe", "uy"]))
    if initial == "q":
        initial, rhyme = "q", "uy"
    tone = draw(st.sampled_from(TONE_MARKS))
    upper = draw(st.booleans())
    old = unicodedata.normalize("NFC", initial + rhyme[0] + tone + rhyme[1])
    new = unicodedata.normalize("NFC", initial + rhyme + tone)
    if upper:
        old, new = old.capitalize(), new.capitalize()
    return old, new


@given(syllable_pairs(), syllable_pairs())
def test_old_and_new_tone_placement_match(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert match_key(a[0]) == match_key(a[1])
    assert match_key(f"{a[0]} {b[1]}") == match_key(f"{a[1]} {b[0]}")
    bare = unicodedata.normalize("NFD", a[0])
    other_tone = next(t for t in TONE_MARKS if t not in bare)
    changed = unicodedata.normalize("NFC", "".join(c for c in bare if c not in TONE_MARKS))
    assert match_key(changed + other_tone) != match_key(a[0])  # another tone: another word


def test_tone_placement_in_duplicates_registration_and_choices() -> None:
    campaign = make_campaign(
        make_form(rules=[UniqueRule(kind="unique", columns=["ho_ten"], scope="unit")]),
    )
    result = run(
        campaign,
        {"dai_bieu": [person("TAMDUONG", "Lò Thị Hoà"), person("TAMDUONG", "Lò Thị Hòa")]},
    )
    assert keys(result) == [
        ("TAMDUONG", 2, "ho_ten", "duplicate", "error"),
        ("TAMDUONG", 3, "ho_ten", "duplicate", "error"),
    ]

    registration = make_form("dang_ky", columns=DAI_BIEU_COLUMNS[:1], title="Đăng ký")
    proposal = make_form(
        "de_nghi",
        columns=DAI_BIEU_COLUMNS[:1],
        rules=[RegisteredInRule(kind="registered_in", form="dang_ky", match=["ho_ten"])],
        title="Đề nghị",
    )
    result = run(
        make_campaign(registration, proposal),
        {
            "dang_ky": [{"_unit": "TAMDUONG", "ho_ten": "Vàng Thị Thuý"}],
            "de_nghi": [{"_unit": "TAMDUONG", "ho_ten": "Vàng Thị Thúy"}],
        },
    )
    assert keys(result) == []

    health = ("Khỏe", "Yếu", "Thủy sản")
    col = normalize_column(["Khoẻ", "khỏe", "thuỷ sản"], "suc_khoe", "choice", choices=health)
    assert col.unique_values[:3].tolist() == ["Khỏe", "Khỏe", "Thủy sản"]


# --------------------------------------------------------------------------- formula text
def test_formula_looking_text_is_an_error_in_names_and_a_warning_elsewhere() -> None:
    campaign = make_campaign(make_form(columns=COLUMNS))
    rows = [
        person("TAMDUONG", '=HYPERLINK("http://example.invalid","Bấm vào đây")'),
        person("TAMDUONG", "Lò Văn Páo", ghi_chu="@SUM(A1:A3)"),
        person("TAMDUONG", "Lò Thị Mai", ghi_chu="- Lao động giỏi 2024"),  # a list, not a formula
        person("TAMDUONG", "+Phạm Văn Đức", ghi_chu="=1+2"),
    ]
    result = run(campaign, {"dai_bieu": rows})
    assert keys(result, "formula_text") == [
        ("TAMDUONG", 2, "ho_ten", "formula_text", "error"),
        ("TAMDUONG", 3, "ghi_chu", "formula_text", "warning"),
        ("TAMDUONG", 5, "ho_ten", "formula_text", "error"),
    ]
    assert result.report.findings[0].message == (
        '«=HYPERLINK("http://example.invalid","Bấm vào đây")» trông như một công thức bảng'
        " tính, không phải nội dung «Họ và tên» — nhập lại dạng chữ, bỏ dấu «=» ở đầu"
    )
    assert result.summary("TAMDUONG", "dai_bieu").valid_rows == 2


def test_formula_check_is_configurable_per_column() -> None:
    columns = (
        Column(key="ho_ten", header="Họ và tên", type="text", formula="warning"),
        Column(key="cong_thuc", header="Công thức", type="text", formula="allow"),
    )
    campaign = make_campaign(make_form(columns=columns))
    rows = [{"_unit": "TAMDUONG", "ho_ten": "=A1", "cong_thuc": "=B2"}]
    assert keys(run(campaign, {"dai_bieu": rows})) == [
        ("TAMDUONG", 2, "ho_ten", "formula_text", "warning")
    ]
