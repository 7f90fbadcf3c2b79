"""The vectorised paths of the engine give exactly what the one-value-at-a-time code gives.

The engine folds many keys joined into one text (tone placement, diacritics) and hashes the
campaign-wide duplicate keys with array operations; claims stored in the audit database by
earlier versions must keep matching, and findings must not change.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sync.campaign.campaign import Campaign
from sync.normalize import loose_key, loose_keys
from sync.rules.base import FormContext
from sync.rules.engine import build_context
from sync.rules.unique import UniqueRule, _codes, combined_key, row_keys
from sync.vietnamese import tone_key
from tests.rules_helpers import make_campaign, make_form, person, run

_OLD_STYLE = {
    unicodedata.normalize("NFC", a + t) + b: a + unicodedata.normalize("NFC", b + t)
    for a, b in (("o", "a"), ("o", "e"), ("u", "y"))
    for t in "\u0300\u0301\u0303\u0309\u0323"
}
_OLD_STYLE_RE = re.compile("[òóỏõọ][ae]|[ùúủũụ]y")


def _tone_key_by_regex(text: str) -> str:
    """The regular-expression form tone_key had before it became str.replace calls."""
    return _OLD_STYLE_RE.sub(lambda m: _OLD_STYLE[m.group()], text)


VIETNAMESE = st.text(
    alphabet=st.sampled_from(list("aoeuyiđĐ ÒÓòóỏõọùúủũụÙaeyAEY\u0301\u0323\u1ab0xHhkq-")),
    max_size=12,
)


@given(st.lists(VIETNAMESE, max_size=8))
def test_tone_key_of_joined_texts_is_the_regex_result(texts: list[str]) -> None:
    lowered = [unicodedata.normalize("NFC", t).casefold() for t in texts]
    assert [tone_key(t) for t in lowered] == [_tone_key_by_regex(t) for t in lowered]
    joined = "\x00".join(lowered)
    assert tone_key(joined) == _tone_key_by_regex(joined)


@given(st.lists(st.one_of(VIETNAMESE, st.text(max_size=6)), max_size=8))
def test_loose_keys_of_many_texts_equal_loose_key_of_each(texts: list[str]) -> None:
    texts = [t.replace("\x00", "") for t in texts]
    assert loose_keys(texts) == [loose_key(t) for t in texts]


ROWS = [
    person("TAMDUONG", "Nguyễn Văn An", year=1985),
    person("TAMDUONG", "Lò Thị Mai", "Nữ", 1990),
    person("TAMDUONG", "nguyễn  VĂN an", year="1985"),
    person("TAMDUONG", "", year=1985),
    person("SINHO", "Nguyễn Văn An", year=1985.0),
    person("SINHO", "Lo Thi Mai", "Nữ", 1990),
    person("SINHO", "Hoà Thuý", "Nữ", 1991),
    person("SINHO", "Hòa Thúy", "Nữ", 1991),
    person("SINHO", "Nguyễn Văn An", year="năm"),
]
RULE = UniqueRule(kind="unique", columns=["ho_ten", "nam_sinh"], scope="campaign")


def _context() -> tuple[Campaign, FormContext]:
    campaign = make_campaign(make_form(rules=[RULE]))
    frame = pd.DataFrame([{"_unit": r["_unit"], "_row": i + 2, **r} for i, r in enumerate(ROWS)])
    return campaign, build_context(campaign, campaign.forms[0], frame, ["TAMDUONG", "SINHO"])


def test_row_keys_are_the_hashes_stored_by_earlier_versions() -> None:
    """Claims in the audit database are keyed by pandas' hash of the matched values joined
    by U+001F, formatted as 16 hex digits; the array version must give the same keys."""
    _campaign, ctx = _context()
    ok = combined_key(ctx, RULE.columns, by_unit=False, loose=False) >= 0
    texts = [
        pd.Series(ctx.columns[k].match_values()[ctx.columns[k].codes], dtype=object).astype(str)
        for k in RULE.columns
    ]
    joined = texts[0] + "\x1f" + texts[1]
    hashed = pd.util.hash_pandas_object(joined, index=False).to_numpy(dtype=np.uint64)
    expected = np.where(ok, np.array([format(int(h), "016x") for h in hashed], dtype=object), "")
    assert row_keys(ctx, RULE.columns, ok).tolist() == expected.tolist()
    assert ok.tolist() == [True, True, True, False, True, True, True, True, False]


def _combined_key_by_steps(ctx: FormContext, by_unit: bool, loose: bool) -> list[int]:
    """combined_key as it was: renumbered after every part."""
    parts = [_codes(ctx, k, loose) for k in RULE.columns]
    if by_unit:
        parts.insert(0, pd.factorize(ctx.unit_ids)[0])
    valid = np.logical_and.reduce([p >= 0 for p in parts])
    combined = np.zeros(ctx.size, dtype=np.int64)
    for part in parts:
        combined = combined * (int(part.max()) + 2) + (part + 1)
        combined = pd.factorize(combined)[0].astype(np.int64)
    return np.where(valid, combined, -1).tolist()


def test_combined_key_numbers_groups_as_before() -> None:
    _campaign, ctx = _context()
    exact = combined_key(ctx, RULE.columns, by_unit=False, loose=False)
    assert exact.tolist() == [0, 1, 0, -1, 0, 3, 4, 4, -1]  # Hoà Thuý = Hòa Thúy
    loose = combined_key(ctx, RULE.columns, by_unit=False, loose=True)
    assert loose.tolist() == [0, 1, 0, -1, 0, 1, 3, 3, -1]  # Lo Thi Mai ~ Lò Thị Mai
    for by_unit in (False, True):
        for fold in (False, True):
            got = combined_key(ctx, RULE.columns, by_unit=by_unit, loose=fold).tolist()
            assert got == _combined_key_by_steps(ctx, by_unit, fold)


def test_campaign_findings_and_claims_of_the_fast_path() -> None:
    campaign, _ctx = _context()
    result = run(campaign, {"dai_bieu": ROWS})
    dup = [
        (f.unit, f.row, f.code, f.severity)
        for f in result.report
        if f.code in ("duplicate", "likely_duplicate")
    ]
    assert dup == [
        ("SINHO", 2, "duplicate", "error"),
        ("SINHO", 3, "likely_duplicate", "warning"),
        ("SINHO", 4, "duplicate", "error"),
        ("SINHO", 5, "duplicate", "error"),
        ("TAMDUONG", 2, "duplicate", "error"),
        ("TAMDUONG", 3, "likely_duplicate", "warning"),
        ("TAMDUONG", 4, "duplicate", "error"),
    ]
    claims = result.keys["dai_bieu"]
    assert sorted(claims) == ["SINHO", "TAMDUONG"]
    assert len(claims["TAMDUONG"]) == 2 and len(claims["SINHO"]) == 3
    assert claims["TAMDUONG"] & claims["SINHO"]  # the shared Nguyễn Văn An 1985
