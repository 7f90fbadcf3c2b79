"""Property: any campaign the YAML file can say, the workbook says too (yaml → xlsx → model)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sync.campaign import load_campaign
from sync.campaign.convert import dump_yaml
from sync.campaign_xlsx import convert
from sync.errors import ConfigError

TEMPLATES = ["dai_bieu", "dang_ky_thi_dua", "de_nghi_khen_thuong", "hoi_nghi_co_so", "bao_cao"]
WORDS = st.sampled_from(
    ["Lai Châu", "Than Uyên", "Mường Tè", "Sìn Hồ", "Nậm Nhùn", "Phong Thổ", "Tam Đường"]
)
TEXT = (
    st.text(
        alphabet=st.characters(
            whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters=" -.,:#'\"()"
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
LEVELS = st.sampled_from(["tinh", "huyen", "xa", "doanh_nghiep"])
TAG = st.sampled_from(["diem", "vung_cao", "bien_gioi"])
WHEN = st.one_of(
    st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
)
GRACE = st.sampled_from(
    [timedelta(0), timedelta(days=2), timedelta(hours=12), timedelta(days=1, hours=6)]
)


@st.composite
def campaigns(draw: Any) -> dict[str, Any]:
    n = draw(st.integers(1, 6))
    units: list[dict[str, Any]] = []
    for i in range(n):
        unit: dict[str, Any] = {"id": f"DV-{i}", "name": draw(st.one_of(TEXT, WORDS))}
        if i and draw(st.booleans()):
            unit["parent"] = f"DV-{draw(st.integers(0, i - 1))}"
        if draw(st.booleans()):
            unit["level"] = draw(LEVELS)
        tags = draw(st.lists(TAG, max_size=2, unique=True))
        if tags:
            unit["tags"] = tags
        if draw(st.booleans()):
            unit["staff"] = draw(st.integers(0, 50000))
        editors = draw(
            st.lists(st.sampled_from(["a@x.vn", "b@y.vn", "c@z.vn"]), unique=True, max_size=2)
        )
        if editors:
            unit["editors"] = editors
        units.append(unit)
    forms = []
    tabs = set()
    for j in range(draw(st.integers(1, 4))):
        template = draw(st.sampled_from(TEMPLATES))
        due = draw(WHEN)
        form: dict[str, Any] = {"id": f"bm_{j}", "template": template, "due": due}
        if template == "de_nghi_khen_thuong":
            form["disable"] = ["da_dang_ky"]  # its registration form is not in the campaign
            if draw(st.booleans()):
                form["rules"] = [
                    {"id": "ty_le_cstdcs", "ratio": draw(st.sampled_from([0.1, 0.2, 0.25]))}
                ]
        form["tab"] = f"Tab {j}"
        tabs.add(form["tab"])
        if draw(st.booleans()):
            form["title"] = draw(TEXT)
        if draw(st.booleans()):
            start = due if isinstance(due, date) and not isinstance(due, datetime) else due.date()
            form["opens"] = start - timedelta(days=draw(st.integers(1, 60)))
        grace = draw(GRACE)
        if grace:
            form["grace"] = grace
        form["lock"] = draw(st.booleans())
        if draw(st.booleans()):
            form["applies_to"] = sorted(
                {u["id"] for u in draw(st.lists(st.sampled_from(units), min_size=1, max_size=3))}
            )
        if draw(st.booleans()):
            who = draw(st.sampled_from(units))["id"]
            if draw(st.booleans()):
                form["deadlines"] = {who: due}
            else:
                form["deadlines"] = {who: {"due": due, "grace": timedelta(days=1)}}
        forms.append(form)
    for unit in units:
        quotas = {f["id"]: draw(st.integers(0, 300)) for f in forms if draw(st.booleans())}
        if quotas:
            unit["quotas"] = quotas
    data: dict[str, Any] = {
        "campaign": {
            "id": "dot-thu",
            "title": draw(TEXT),
            "organizer": draw(st.one_of(TEXT, WORDS)),
        },
        "units": units,
        "forms": forms,
    }
    if draw(st.booleans()):
        data["campaign"]["place"] = draw(WORDS)
        data["campaign"]["signers"] = [
            {"title": "TM. BAN THƯỜNG VỤ", "role": "CHỦ TỊCH", "name": draw(TEXT)}
        ]
    if draw(st.booleans()):
        data["reminders"] = {"before": [timedelta(days=3)], "after": [timedelta(hours=12)]}
    return data


def _valid(path: Path) -> bool:
    try:
        load_campaign(path)
    except ConfigError:
        return False
    return True


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(campaigns())
def test_generated_campaigns_survive_yaml_to_workbook_and_back(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    folder = tmp_path / "h"
    folder.mkdir(exist_ok=True)
    source = folder / "campaign.yaml"
    source.write_text(dump_yaml(data), encoding="utf-8")
    assume(_valid(source))
    original = load_campaign(source)
    book = folder / "campaign.xlsx"
    convert(source, book)
    from_book = load_campaign(book)
    assert dataclasses.replace(from_book, source=original.source) == original
    back = folder / "back.yaml"
    convert(book, back)
    assert dataclasses.replace(load_campaign(back), source=original.source) == original
