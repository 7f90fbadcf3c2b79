"""Benchmark: Google API calls per operation, counted on the fake server (docs/design.md: Performance targets).

An "event" = one unit edits one cell, then `check_units(ws, [unit])` with the service's
cache of the other units' last read sheets (the audit database is a temporary SQLite file).
Prints `reads_per_event`, `writes_per_event`, `writes_per_unchanged_event`,
`reads_per_consolidation_100_units`, `writes_per_consolidation_100_units` (a cold
consolidation), and for a burst (every unit edits once, the service validates each, then
consolidates) `google_calls_per_edit_amortised`.

    .venv/bin/python bench/api_calls.py [--event-units 10] [--consolidation-units 100]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync.audit import default_url, open_engine  # noqa: E402
from sync.campaign import Campaign, load_campaign  # noqa: E402
from sync.operations import check_units, consolidate, open_workspace  # noqa: E402
from sync.pipeline import SheetCache  # noqa: E402
from tests.fake_google import FakeGoogle  # noqa: E402
from tests.google_driver import make_google_store  # noqa: E402

DATA = ROOT / "tests" / "data" / "stores"
NOW = datetime(2025, 4, 1, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
ROWS = [
    {"ho_ten": "Nguyễn Thị Hoa", "gioi_tinh": "Nữ", "nam_sinh": 1985, "dan_toc": "Thái"},
    {"ho_ten": "Lò Văn Pành", "gioi_tinh": "Nam", "nam_sinh": 1979, "dan_toc": "Mông"},
    {"ho_ten": "Trần Văn Nam", "gioi_tinh": "Nam", "nam_sinh": 1990, "dan_toc": "Kinh"},
]


def campaign_with(units: int, folder: Path) -> Campaign:
    """The store test campaign with `units` units on a Google backend."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("dai_bieu.yaml", "dang_ky.yaml"):
        shutil.copy(DATA / name, folder / name)
    text = (DATA / "campaign.yaml").read_text(encoding="utf-8")
    head, rest = text.split("units:\n", 1)
    forms = rest[rest.index("forms:\n") :]
    head = head.replace("backend:\n  kind: local\n  path: ./workbooks", "backend:\n  kind: google")
    lines = [
        f"  - id: DV-{i:03d}\n    name: Đơn vị số {i}\n    staff: 100\n    quotas: {{dai_bieu: 5}}\n"
        for i in range(1, units + 1)
    ]
    path = folder / "campaign.yaml"
    path.write_text(head + "units:\n" + "".join(lines) + "\n" + forms, encoding="utf-8")
    return load_campaign(path)


def measure(event_units: int = 10, consolidation_units: int = 100) -> dict[str, float]:
    """Counts per operation (reads = GET-like calls, writes = the rest)."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        fake = FakeGoogle()
        campaign = campaign_with(event_units, base / "event")
        store = make_google_store(campaign, base / "event", fake)
        engine = open_engine(default_url(base / "event"))
        # what the service keeps between events: the cache of the units' last read sheets
        ws = open_workspace(campaign, store=store, engine=engine, cache=SheetCache())
        for unit in campaign.units:
            store.provision(unit)
            store.put_rows(unit.id, "dai_bieu", ROWS)
        check_units(ws, now=NOW)
        unit = campaign.units[0]
        store.put_rows(unit.id, "dai_bieu", [{"nam_sinh": "năm 1985"}])  # the unit's edit
        fake.reset_counts()
        check_units(ws, [unit.id], now=NOW)
        out["reads_per_event"] = fake.reads()
        out["writes_per_event"] = fake.writes()
        fake.reset_counts()
        check_units(ws, [unit.id], now=NOW)
        out["writes_per_unchanged_event"] = fake.writes()
        engine.dispose()
        out["event_units"] = event_units

        fake = FakeGoogle()
        campaign = campaign_with(consolidation_units, base / "cons")
        store = make_google_store(campaign, base / "cons", fake)
        engine = open_engine(default_url(base / "cons"))
        ws = open_workspace(campaign, store=store, engine=engine)
        for unit in campaign.units:
            store.provision(unit)
            store.put_rows(unit.id, "dai_bieu", ROWS[:2])
        consolidate(ws, now=NOW)  # the first run creates the spreadsheet
        fake.reset_counts()
        consolidate(ws, now=NOW)
        engine.dispose()
        n = consolidation_units
        out[f"reads_per_consolidation_{n}_units"] = fake.reads()
        out[f"writes_per_consolidation_{n}_units"] = fake.writes()
        out.update(amortised(consolidation_units, base / "burst"))
    return out


STAFF = "vanthu@donvi.example.vn"


def amortised(units: int, folder: Path) -> dict[str, float]:
    """A running service (warm frames) gets one edit from every unit, validates each, then
    consolidates: the service's Google calls per edit, consolidation included."""
    fake = FakeGoogle()
    campaign = campaign_with(units, folder)
    store = make_google_store(campaign, folder, fake)
    engine = open_engine(default_url(folder))
    ws = open_workspace(campaign, store=store, engine=engine, cache=SheetCache())
    for unit in campaign.units:
        store.provision(unit)
        store.put_rows(unit.id, "dai_bieu", ROWS[:2])
    check_units(ws, now=NOW)  # warm
    consolidate(ws, now=NOW)  # the consolidated spreadsheet exists
    typist = make_google_store(campaign, folder, fake, user=STAFF)  # the units' hands
    for i, unit in enumerate(campaign.units):
        person = {"ho_ten": f"Người thứ {i}", "gioi_tinh": "Nữ", "nam_sinh": 1980}
        typist.put_rows(unit.id, "dai_bieu", [person], start_row=4)  # a person added
    fake.reset_counts()
    for unit in campaign.units:
        check_units(ws, [unit.id], now=NOW)
    events = sum(n for user, n in fake.users.items() if user != STAFF)
    fake.reset_counts()
    consolidate(ws, now=NOW)
    after = sum(n for user, n in fake.users.items() if user != STAFF)
    engine.dispose()
    return {
        "burst_units": units,
        "calls_per_edit_before_consolidation": events / units,
        "calls_per_consolidation_after_validations": after,
        "google_calls_per_edit_amortised": (events + after) / units,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--event-units", type=int, default=10)
    parser.add_argument("--consolidation-units", type=int, default=100)
    args = parser.parse_args()
    for key, value in measure(args.event_units, args.consolidation_units).items():
        print(f"{key}: {value:g}")


if __name__ == "__main__":
    main()
