"""Benchmark: consolidation of 500 units × 40 rows on the local store (issue 3).

Builds a campaign with the built-in `dai_bieu` template in a temp folder, provisions and
fills every unit's workbook (in a child process, unless `--setup-in-process`), then times
one `thidua consolidate` pass (read every workbook, validate, record the check in the audit
database, build and write Tong-hop.xlsx). Prints `seconds:`, `cpu_seconds:` (this
process's CPU time: steadier than wall time on a busy machine) and `peak_rss_mb:`.

    .venv/bin/python bench/consolidate.py [--units 500] [--rows 40] [--setup-in-process]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync.audit import default_url, open_engine  # noqa: E402
from sync.campaign import load_campaign  # noqa: E402
from sync.demo import sample_rows  # noqa: E402
from sync.operations import consolidate, open_workspace  # noqa: E402
from sync.stores import open_store  # noqa: E402

NOW = datetime(2025, 4, 10, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def campaign_file(folder: Path, units: int, rows: int, name: str = "campaign.yaml") -> Path:
    """A local campaign of `units` units (quota `rows` each) on the built-in `dai_bieu`."""
    lines = [
        "campaign: {id: bench, title: Bench, organizer: LĐLĐ tỉnh}",
        "backend: {kind: local, path: ./workbooks}",
        "units:",
        *[
            f"  - {{id: DV{i:03d}, name: Đơn vị {i}, staff: {100 + i}, quotas: {{dai_bieu: {rows}}}}}"
            for i in range(units)
        ],
        "forms:",
        "  - id: dai_bieu",
        "    template: dai_bieu",
        "    due: 2025-04-20T17:00",
        "    rules:",
        "      - {kind: max_rows, quota: true}",
        "      - {kind: min_share, where: {gioi_tinh: Nữ}, share: 0.3, severity: warning}",
    ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument(
        "--setup-in-process",
        action="store_true",
        help="prepare the workbooks in this process too (peak RSS then includes the setup)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        if args.setup_in_process:
            prepare(folder, args.units, args.rows)
        else:  # a child prepares the workbooks: this process's peak is the consolidation's
            child = multiprocessing.get_context("fork").Process(
                target=prepare, args=(folder, args.units, args.rows)
            )
            child.start()
            child.join()
        print(f"setup_seconds: {time.perf_counter() - started:.1f}", file=sys.stderr)
        campaign = load_campaign(folder / "campaign.yaml")
        engine = open_engine(default_url(folder))
        ws = open_workspace(campaign, engine=engine)
        cpu = time.process_time()
        started = time.perf_counter()
        consolidate(ws, now=NOW)  # read, validate, record in the audit database, write
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"units: {args.units}")
    print(f"rows: {args.units * args.rows}")
    print(f"seconds: {seconds:.2f}")
    print(f"cpu_seconds: {cpu:.2f}")
    print(f"peak_rss_mb: {peak:.0f}")


def prepare(folder: Path, units: int, rows: int) -> None:
    """Provision and fill every unit's workbook."""
    campaign = load_campaign(campaign_file(folder, units, rows))
    store = open_store(campaign)
    form = campaign.form("dai_bieu")
    rng = random.Random(1)
    for unit in campaign.units:
        store.provision(unit)
        store.put_rows(unit.id, form.id, sample_rows(form, rows, unit.name, rng))


if __name__ == "__main__":
    main()
