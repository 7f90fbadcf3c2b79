"""Helpers for rule tests: campaigns built directly from the dataclasses, frames from rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from sync.campaign.campaign import Campaign, Column, Form, Unit
from sync.campaign.model import CampaignInfo, LocalBackend
from sync.campaign.rulespec import RuleSpec
from sync.rules.engine import ValidationResult, validate

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DUE = datetime(2025, 4, 20, 17, 0, tzinfo=TZ)
BEFORE_DUE = datetime(2025, 4, 1, 9, 0, tzinfo=TZ)

DAI_BIEU_COLUMNS = (
    Column(key="ho_ten", header="Họ và tên", type="text", required=True),
    Column(
        key="gioi_tinh", header="Giới tính", type="choice", choices=("Nam", "Nữ"), required=True
    ),
    Column(key="nam_sinh", header="Năm sinh", type="year", min=1955, max=2007, required=True),
    Column(key="dan_toc", header="Dân tộc", type="choice", choices=("Kinh", "Thái", "Mông")),
    Column(key="truc_tiep", header="Công nhân lao động trực tiếp", type="bool"),
)

UNITS = (
    Unit(id="TAMDUONG", name="LĐLĐ huyện Tam Đường", quotas={"dai_bieu": 3}),
    Unit(id="SINHO", name="LĐLĐ huyện Sìn Hồ", quotas={"dai_bieu": 2}),
    Unit(id="TP", name="LĐLĐ thành phố Lai Châu"),
)


def make_form(
    form_id: str = "dai_bieu",
    columns: Sequence[Column] = DAI_BIEU_COLUMNS,
    rules: Iterable[RuleSpec] = (),
    *,
    due: datetime = DUE,
    grace: timedelta = timedelta(0),
    lock: bool = False,
    title: str = "Danh sách trích ngang đại biểu",
) -> Form:
    return Form(
        id=form_id,
        template_id=form_id,
        title=title,
        tab=title[:30],
        header_row=1,
        columns=tuple(columns),
        rules=tuple(rules),
        due=due,
        grace=grace,
        lock=lock,
    )


def make_campaign(*forms: Form, units: Sequence[Unit] = UNITS, language: str = "vi") -> Campaign:
    return Campaign(
        info=CampaignInfo(
            id="test-campaign",
            title="Đợt thử nghiệm",
            organizer="LĐLĐ tỉnh Lai Châu",
            language=language,  # type: ignore[arg-type]
        ),
        backend=LocalBackend(kind="local"),
        policies={},
        units=tuple(units),
        forms=tuple(forms) or (make_form(),),
        source=Path("/tmp/test-campaign/campaign.yaml"),
    )


def frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Rows as given: each dict needs `_unit`; `_row` defaults to 2, 3, … per unit."""
    next_row: dict[str, int] = {}
    out = []
    for r in rows:
        r = dict(r)
        unit = r["_unit"]
        if "_row" not in r:
            next_row[unit] = next_row.get(unit, 1) + 1
            r["_row"] = next_row[unit]
        out.append(r)
    df = pd.DataFrame(out, dtype=object) if out else pd.DataFrame({"_unit": [], "_row": []})
    return df


def person(unit: str, name: str, sex: Any = "Nam", year: Any = 1985, **kw: Any) -> dict[str, Any]:
    return {"_unit": unit, "ho_ten": name, "gioi_tinh": sex, "nam_sinh": year, **kw}


def run(
    campaign: Campaign,
    data: dict[str, Sequence[dict[str, Any]]],
    now: datetime = BEFORE_DUE,
    **kw: Any,
) -> ValidationResult:
    return validate(campaign, {k: frame(v) for k, v in data.items()}, now=now, **kw)


def keys(result: ValidationResult, *codes: str) -> list[tuple[Any, ...]]:
    """Flattened (unit, row, column, code, severity), optionally only some codes."""
    rows = result.report.rows()
    return [r for r in rows if not codes or r[3] in codes]
