"""`thidua demo`: the whole loop once on the local backend with sample data.

Sample units type rows with realistic mistakes; the clock is pinned to dates around the
sample campaign's deadline so that on-time and late submissions both appear.
"""

from __future__ import annotations

import random
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from . import campaign_xlsx, i18n
from .campaign import Campaign, Form, builtin_dir, load_campaign
from .errors import SubmissionError, ThiduaError
from .operations import check_units, consolidate, open_workspace, submit

SAMPLE = "laichau-2025"
HO = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Lò",
    "Tao",
    "Vàng",
    "Giàng",
    "Lù",
    "Đèo",
    "Sùng",
    "Bùi",
]
DEM = ["Văn", "Thị", "Minh", "Thị Thu", "Văn Hải", "Đức", "Thị Mai", "A", "Seo", "Quang"]
TEN = [
    "An",
    "Bình",
    "Chiến",
    "Dung",
    "Hạnh",
    "Hoa",
    "Khánh",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Phương",
    "Quân",
    "Sơn",
    "Thảo",
    "Trang",
    "Tuấn",
    "Xuân",
    "Vân",
    "Pó",
    "Sểnh",
    "Chứ",
]
CHUC_VU = [
    "Công nhân",
    "Giáo viên",
    "Bác sĩ",
    "Kỹ sư",
    "Chủ tịch Công đoàn cơ sở",
    "Nhân viên",
    "Tổ trưởng sản xuất",
    "Điều dưỡng",
    "Kế toán",
]
THANH_TICH = [
    "Hoàn thành xuất sắc nhiệm vụ 3 năm liền",
    "Có sáng kiến được công nhận cấp tỉnh",
    "Chiến sĩ thi đua cơ sở 2 năm liền",
    "Lao động giỏi, lao động sáng tạo",
]
ETHNIC_LAICHAU = ["Thái", "Mông", "Kinh", "Dao", "Hà Nhì", "Giáy", "Lự", "Khơ Mú", "Cống", "La Hủ"]


def _text_for(key: str, header: str, unit_name: str, rng: random.Random) -> str:
    k = key.lower()
    if "ten" in k or "ho_ten" in k:
        return f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}"
    if "chuc_vu" in k:
        return rng.choice(CHUC_VU)
    if "don_vi" in k or "co_quan" in k or "noi_cong_tac" in k:
        return unit_name
    if "thanh_tich" in k:
        return rng.choice(THANH_TICH)
    if "so_van_ban" in k or "so_hieu" in k:
        return f"{rng.randint(10, 199)}/BC-LĐLĐ"
    return f"{header} {rng.randint(1, 99)}"


def sample_value(form: Form, key: str, unit_name: str, rng: random.Random) -> Any:
    """A plausible value for a column, from its type and constraints."""
    col = form.column(key)
    if col.type == "choice" and col.choices:
        choices = list(col.choices)
        if col.choice_list == "ethnic_groups_vn":
            choices = [c for c in ETHNIC_LAICHAU if c in col.choices] or choices
        return rng.choice(choices)
    if col.type == "year":
        lo = int(col.min) if isinstance(col.min, (int, float)) else 1960
        hi = int(col.max) if isinstance(col.max, (int, float)) else 2000
        return rng.randint(max(lo, 1965), max(min(hi, 2000), max(lo, 1965)))
    if col.type in ("integer", "number", "percent"):
        lo = int(col.min) if isinstance(col.min, (int, float)) else 1
        hi = int(col.max) if isinstance(col.max, (int, float)) else 50
        number = rng.randint(lo, max(lo, min(hi, lo + 60)))
        return f"{number}%" if col.type == "percent" else number
    if col.type == "bool":
        return rng.choice(["x", "", "x", ""])
    if col.type == "date":
        first = col.min if isinstance(col.min, date) else date(2025, 1, 6)
        last = col.max if isinstance(col.max, date) else date(2025, 3, 28)
        day = first + timedelta(days=rng.randint(0, max(0, (last - first).days)))
        return day.strftime("%d/%m/%Y")
    if col.type == "email":
        return f"cd{rng.randint(100, 999)}@example.vn"
    if col.type == "phone":
        return f"09{rng.randint(10000000, 99999999)}"
    return _text_for(key, col.header, unit_name, rng)


def sample_rows(form: Form, count: int, unit_name: str, rng: random.Random) -> list[dict[str, Any]]:
    return [{k: sample_value(form, k, unit_name, rng) for k in form.keys} for _ in range(count)]


@dataclass
class DemoResult:
    """Where things are and what happened."""

    directory: Path
    campaign: Campaign
    workbooks: Path
    consolidated: str
    errors: int = 0
    warnings: int = 0
    submitted: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def prepare(directory: Path, fmt: str = "yaml") -> Path:
    """Copy the sample campaign into `directory` (kept if already there); `fmt` "xlsx":
    as the campaign workbook `campaign.xlsx`."""
    target = directory / f"campaign.{fmt}"
    if not target.exists():
        directory.mkdir(parents=True, exist_ok=True)
        sample = builtin_dir("samples") / SAMPLE
        for item in sample.iterdir():
            if item.is_file() and not (fmt == "xlsx" and item.name == "campaign.yaml"):
                shutil.copy2(item, directory / item.name)
        if fmt == "xlsx":
            campaign_xlsx.convert(sample / "campaign.yaml", target)
    return target


def _times(form: Form) -> tuple[datetime, datetime]:
    """Before the deadline (10 days) and within the grace period (late)."""
    on_time = form.due - timedelta(days=10)
    if form.opens is not None and on_time < form.opens:
        on_time = form.opens + (form.due - form.opens) / 2
    late = form.due + (form.grace / 2 if form.grace else timedelta(hours=1))
    return on_time, late


def run_demo(directory: Path, say: Callable[[str], None] = print, fmt: str = "yaml") -> DemoResult:
    """Create, provision, fill with mistakes, validate, submit, consolidate (`fmt` "xlsx":
    from the campaign workbook)."""
    campaign = load_campaign(prepare(directory, fmt))
    ws = open_workspace(campaign)
    store = ws.store
    rng = random.Random(2025)
    say(i18n.t("demo.campaign", title=campaign.info.title))
    for unit in campaign.units:
        store.provision(unit)
    say(i18n.t("demo.provisioned", count=len(campaign.units), folder=campaign.local_path))
    form = (
        campaign.form("dai_bieu")
        if any(f.id == "dai_bieu" for f in campaign.forms)
        else campaign.forms[0]
    )
    on_time, late_at = _times(form)
    units = list(campaign.units)
    late_unit = units[-1]
    fills: dict[str, list[dict[str, Any]]] = {}
    for unit in units[:-1]:
        quota = campaign.quota(unit.id, form.id) or 3
        fills[unit.id] = sample_rows(form, max(1, min(quota, 12)), unit.name, rng)
    _plant_mistakes(form, units, fills, campaign)
    for unit_id, rows in fills.items():
        store.put_rows(unit_id, form.id, rows)
    run = check_units(ws, now=on_time, run_id="demo-1")
    say(
        i18n.t(
            "demo.checked",
            at=f"{on_time.astimezone(campaign.tz):%d/%m/%Y %H:%M}",
            count=len(run.written),
        )
    )
    result = DemoResult(directory, campaign, campaign.local_path, "")
    for s in run.result.summaries:
        if s.form == form.id and s.rows and s.errors == 0:
            try:
                submit(ws, s.unit, form.id, now=on_time, run_id=f"demo-submit-{s.unit}")
                result.submitted.append(s.unit)
            except SubmissionError as exc:
                say(f"  {s.unit}: {exc}")
    say(i18n.t("demo.submitted_on_time", count=len(result.submitted)))
    # The last unit fills in after the deadline, within the grace period.
    quota = campaign.quota(late_unit.id, form.id) or 2
    store.put_rows(
        late_unit.id, form.id, sample_rows(form, max(1, min(quota, 6)), late_unit.name, rng)
    )
    try:
        submit(ws, late_unit.id, form.id, now=late_at, run_id=f"demo-submit-{late_unit.id}")
        result.late.append(late_unit.id)
        say(
            i18n.t(
                "demo.submitted_late",
                unit=late_unit.name,
                when=f"{late_at.astimezone(campaign.tz):%d/%m/%Y %H:%M}",
            )
        )
    except SubmissionError as exc:
        say(f"  {late_unit.id}: {exc}")
    run = check_units(ws, now=late_at, run_id="demo-2")
    result.consolidated = str(consolidate(ws, now=late_at, run_id="demo-3").location)
    result.errors = run.result.report.errors
    result.warnings = run.result.report.warnings
    say(i18n.t("demo.consolidated", path=result.consolidated))
    say(i18n.t("demo.workbooks", folder=campaign.local_path))
    return result


def _plant_mistakes(
    form: Form, units: list[Any], fills: dict[str, list[dict[str, Any]]], campaign: Campaign
) -> None:
    """Over quota, a missing birth year, NFD text, a cross-unit duplicate, a formula-like name."""
    keys = set(form.keys)
    ids = [u.id for u in units[:-1]]
    if not ids:
        return
    rng = random.Random(7)
    first = ids[0]
    quota = campaign.quota(first, form.id)
    if quota is not None:
        fills[first] = sample_rows(form, quota + 2, campaign.unit(first).name, rng)
    if len(ids) > 1 and "nam_sinh" in keys and fills[ids[1]]:
        fills[ids[1]][0]["nam_sinh"] = ""
    if len(ids) > 2 and "ho_ten" in keys and fills[ids[2]]:
        name = fills[ids[2]][0]["ho_ten"]
        fills[ids[2]][0]["ho_ten"] = unicodedata.normalize("NFD", name) + "  "
    if len(ids) > 4 and fills[ids[3]] and fills[ids[4]]:
        twin = fills[ids[3]][0]  # the same person proposed by two units
        for key in ("ho_ten", "nam_sinh", "gioi_tinh"):
            if key in keys:
                fills[ids[4]][-1][key] = twin[key]
    if len(ids) > 5 and "ho_ten" in keys and fills[ids[5]]:
        fills[ids[5]][0]["ho_ten"] = '=HYPERLINK("http://example.invalid","Bấm vào đây")'


def print_summary(result: DemoResult, say: Callable[[str], None] = print) -> None:
    say("")
    say(i18n.t("demo.totals", errors=result.errors, warnings=result.warnings))
    say(i18n.t("demo.open_with", path=result.consolidated))


__all__ = ["DemoResult", "ThiduaError", "prepare", "print_summary", "run_demo", "sample_rows"]
