"""Benchmark: the rules engine vs pandera on the same DataFrame (docs/design.md: Performance targets).

500 units × 200 rows (~2 % planted errors) of a `dai_bieu`-like form. Prints
`rows_per_second`, `pandera_rows_per_second` and `ratio_vs_pandera` (best of 3 each).

    .venv/bin/python bench/validate.py [--units 500] [--rows 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.campaign.campaign import Campaign, Column, Form, Unit
from sync.campaign.model import CampaignInfo, LocalBackend
from sync.rules.engine import validate
from sync.rules.max_rows import MaxRowsRule
from sync.rules.shares import MinShareRule
from sync.rules.unique import UniqueRule

EMAIL_PATTERN = r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FALLBACK_ETHNIC = (
    "Kinh Tày Thái Mường Khmer Hoa Nùng Mông Dao Gia_Rai Ê_Đê Ba_Na Sán_Chay Chăm Cơ_Ho Xơ_Đăng "
    "Sán_Dìu Hrê Ra_Glai Mnông Thổ Stiêng Khơ_mú Bru_Vân_Kiều Cơ_Tu Giáy Tà_Ôi Mạ Giẻ_Triêng "
    "Co Chơ_Ro Xinh_Mun Hà_Nhì Chu_Ru Lào Kháng La_Chí Phù_Lá La_Hủ La_Ha Pà_Thẻn Chứt Lự "
    "Lô_Lô Mảng Cờ_Lao Bố_Y Cống Ngái Si_La Pu_Péo Rơ_Măm Brâu Ơ_Đu"
).replace("_", "\0")


def ethnic_groups() -> tuple[str, ...]:
    try:
        from sync.campaign.loader import choice_list

        return choice_list("ethnic_groups_vn")
    except Exception:  # the list may not exist yet: use our own
        return tuple(s.replace("\0", " ") for s in FALLBACK_ETHNIC.split())


def build_campaign(n_units: int, quota: int) -> Campaign:
    columns = (
        Column(key="ho_ten", header="Họ và tên", type="text", required=True),
        Column(
            key="gioi_tinh", header="Giới tính", type="choice", choices=("Nam", "Nữ"), required=True
        ),
        Column(key="nam_sinh", header="Năm sinh", type="year", min=1955, max=2007, required=True),
        Column(
            key="dan_toc", header="Dân tộc", type="choice", choices=ethnic_groups(), required=True
        ),
        Column(key="email", header="E-mail", type="text", pattern=EMAIL_PATTERN),
    )
    rules = (
        UniqueRule(kind="unique", columns=["ho_ten", "nam_sinh"], scope="campaign"),
        MaxRowsRule(kind="max_rows", quota=True),
        MinShareRule(kind="min_share", where={"gioi_tinh": "Nữ"}, share=0.3, label="Tỷ lệ nữ"),
    )
    form = Form(
        id="dai_bieu",
        template_id="dai_bieu",
        title="Danh sách trích ngang đại biểu",
        tab="Đại biểu",
        header_row=1,
        columns=columns,
        rules=rules,
        due=datetime(2025, 4, 20, 17, 0, tzinfo=TZ),
    )
    units = tuple(
        Unit(id=f"U{i:03d}", name=f"Công đoàn cơ sở số {i}", quotas={"dai_bieu": quota})
        for i in range(n_units)
    )
    return Campaign(
        info=CampaignInfo(id="bench", title="Bench", organizer="Bench"),
        backend=LocalBackend(kind="local"),
        policies={},
        units=units,
        forms=(form,),
        source=Path("/tmp/bench/campaign.yaml"),
    )


HO = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Lò",
    "Tòng",
    "Vàng",
    "Giàng",
]
DEM = [
    "Văn",
    "Thị",
    "Hữu",
    "Đức",
    "Minh",
    "Thu",
    "Ngọc",
    "Thanh",
    "Quốc",
    "Xuân",
    "Hồng",
    "Kim",
    "Công",
    "Đình",
    "Bảo",
]
TEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Minh",
    "Nam",
    "Nga",
    "Ngọc",
    "Phong",
    "Phúc",
    "Quang",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thắng",
    "Thủy",
    "Trang",
    "Trung",
    "Tuấn",
    "Tú",
    "Vân",
    "Việt",
    "Yến",
]


def build_frame(
    n_units: int, per_unit: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Raw rows as a spreadsheet gives them, with about 2 % planted errors."""
    n = n_units * per_unit
    idx = rng.permutation(n)
    names = [
        f"{HO[i % len(HO)]} {DEM[(i // len(HO)) % len(DEM)]} {TEN[(i // (len(HO) * len(DEM))) % len(TEN)]}"
        for i in idx
    ]
    combos = len(HO) * len(DEM) * len(TEN)
    years = (1960 + (idx // combos) % 45).astype(float)
    women = rng.random(n) < 0.42
    ethnic = np.array(ethnic_groups(), dtype=object)
    df = pd.DataFrame(
        {
            "_unit": np.repeat([f"U{i:03d}" for i in range(n_units)], per_unit).astype(object),
            "_row": np.tile(np.arange(2, per_unit + 2), n_units),
            "ho_ten": np.array(names, dtype=object),
            "gioi_tinh": np.where(women, "Nữ", "Nam").astype(object),
            "nam_sinh": years,
            "dan_toc": ethnic[rng.integers(0, len(ethnic), n)],
            "email": np.array([f"cb{i}@congdoan.vn" for i in idx], dtype=object),
        }
    )
    planted: dict[str, int] = {}

    def plant(kind: str, count: int, column: str, value: Any) -> None:
        rows = rng.choice(n, count, replace=False)
        df.loc[rows, column] = value
        planted[kind] = planted.get(kind, 0) + count

    k = max(1, n // 500)  # 0.2 % of rows per kind, 10 kinds ≈ 2 %
    plant("required name", k, "ho_ten", None)
    plant("required sex", k, "gioi_tinh", None)
    plant("invalid choice", k, "gioi_tinh", "Năm")
    plant("out of range", k, "nam_sinh", 1900.0)
    plant("required year", k, "nam_sinh", np.nan)
    plant("invalid ethnic", k, "dan_toc", "Kinh tế")
    plant("required ethnic", k, "dan_toc", None)
    plant("bad email", k, "email", "khong-co-email")
    # duplicates across units: copy name + year of other rows
    src = rng.choice(n, k, replace=False)
    dst = rng.choice(n, k, replace=False)
    df.loc[dst, "ho_ten"] = df.loc[src, "ho_ten"].to_numpy()
    df.loc[dst, "nam_sinh"] = df.loc[src, "nam_sinh"].to_numpy()
    planted["duplicate"] = k
    # some units with a low share of women
    low = rng.choice(n_units, max(1, n_units // 50), replace=False)
    for u in low:
        sl = slice(u * per_unit, (u + 1) * per_unit)
        df.loc[df.index[sl], "gioi_tinh"] = np.where(rng.random(per_unit) < 0.15, "Nữ", "Nam")
    planted["low share units"] = len(low)
    # some units over quota: they keep per_unit rows, quota is per_unit - 2
    over = {
        f"U{u:03d}": per_unit - 2 for u in rng.choice(n_units, max(1, n_units // 50), replace=False)
    }
    planted["over quota units"] = len(over)
    return df, over


def pandera_schema(ethnic: tuple[str, ...], quotas: pd.Series) -> Any:
    import pandera.pandas as pa

    def quota_ok(df: pd.DataFrame) -> pd.Series:
        size = df.groupby("_unit")["_unit"].transform("size")
        return size <= df["_unit"].map(quotas)

    def share_ok(df: pd.DataFrame) -> pd.Series:
        share = df["gioi_tinh"].eq("Nữ").groupby(df["_unit"]).transform("mean")
        return share >= 0.3

    return pa.DataFrameSchema(
        {
            "_unit": pa.Column(None, nullable=False),
            "_row": pa.Column(int),
            "ho_ten": pa.Column(None, nullable=False),
            "gioi_tinh": pa.Column(None, pa.Check.isin(["Nam", "Nữ"]), nullable=False),
            "nam_sinh": pa.Column(float, pa.Check.in_range(1955, 2007), nullable=False),
            "dan_toc": pa.Column(None, pa.Check.isin(list(ethnic)), nullable=False),
            "email": pa.Column(None, pa.Check.str_matches(EMAIL_PATTERN), nullable=True),
        },
        checks=[pa.Check(quota_ok, name="quota"), pa.Check(share_ok, name="women_share")],
        unique=["ho_ten", "nam_sinh"],
    )


def best_of(repeat: int, fn: Any) -> tuple[float, Any]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    df, over = build_frame(args.units, args.rows, rng)
    campaign = build_campaign(args.units, args.rows)
    campaign.units = tuple(
        Unit(id=u.id, name=u.name, quotas={"dai_bieu": over.get(u.id, args.rows)})
        for u in campaign.units
    )
    n = len(df)
    now = datetime(2025, 4, 1, 9, 0, tzinfo=TZ)

    def run_engine() -> Any:
        result = validate(campaign, {"dai_bieu": df}, now=now)
        _ = result.report.frame  # findings sorted, with row numbers and messages
        return result

    try:
        import pandera.pandas as pa
        from pandera.errors import SchemaErrors
    except ImportError:
        pa = None
    run_pandera = None
    if pa is not None:
        quotas = pd.Series({u.id: u.quotas["dai_bieu"] for u in campaign.units})
        schema = pandera_schema(campaign.forms[0].column("dan_toc").choices or (), quotas)

        def run_pandera() -> int:
            try:
                schema.validate(df, lazy=True)
            except SchemaErrors as exc:
                return len(exc.failure_cases)
            return 0

    # interleaved (engine, pandera) rounds so machine noise hits both alike; best of N each
    seconds = p_seconds = float("inf")
    result: Any = None
    failures = 0
    for _ in range(args.repeat):
        t, result = best_of(1, run_engine)
        seconds = min(seconds, t)
        if run_pandera is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t, failures = best_of(1, run_pandera)
            p_seconds = min(p_seconds, t)
    print(f"rows: {n}")
    print(
        f"findings: {len(result.report)} (errors {result.report.errors}, "
        f"warnings {result.report.warnings})"
    )
    print(f"engine_seconds: {seconds:.4f}")
    print(f"rows_per_second: {n / seconds:.0f}")

    if run_pandera is None:
        print("pandera_rows_per_second: n/a (pandera not installed)")
        return
    print(f"pandera_failure_cases: {failures}")
    print(f"pandera_seconds: {p_seconds:.4f}")
    print(f"pandera_rows_per_second: {n / p_seconds:.0f}")
    print(f"ratio_vs_pandera: {p_seconds / seconds:.2f}")


if __name__ == "__main__":
    main()
