"""Benchmark: a whole campaign on the local store as it grows (validate + feedback + consolidate).

For 100, 200, 400 and 800 units × 200 rows (the `dai_bieu` built-in template): the unit
workbooks are prepared once (for the largest size; smaller campaigns list the first units),
then each size runs in a fresh process: `check_units` (read every workbook, validate, write
feedback into every workbook) and `consolidate` (Tong-hop.xlsx). Prints per size the
seconds (wall and CPU) and the peak RSS of that process, then the growth exponents fitted
on log(seconds) = k · log(units) + c (1 = linear).

    .venv/bin/python bench/campaign_scale.py [--sizes 100,200,400,800] [--rows 200]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.consolidate import NOW, campaign_file  # noqa: E402


def prepare(folder: Path, units: int, rows: int) -> None:
    """Provision and fill `units` workbooks (one provisioned workbook copied, then filled)."""
    from sync.campaign import load_campaign
    from sync.demo import sample_rows
    from sync.stores import open_store

    campaign = load_campaign(campaign_file(folder, units, rows))
    store = open_store(campaign)
    form = campaign.form("dai_bieu")
    rng = random.Random(1)
    first = campaign.units[0]
    store.provision(first)
    blank = store.path(first).read_bytes()  # type: ignore[attr-defined]
    for unit in campaign.units:
        target = store.path(unit)  # type: ignore[attr-defined]
        if unit is not first:
            target.write_bytes(blank)
        store.put_rows(unit.id, form.id, sample_rows(form, rows, unit.name, rng))


def run_size(folder: Path, units: int, rows: int) -> dict[str, float]:
    """In this (fresh) process: check every unit with feedback, then consolidate."""
    from sync.audit import open_engine
    from sync.campaign import load_campaign
    from sync.operations import check_units, consolidate, open_workspace

    campaign = load_campaign(campaign_file(folder, units, rows, f"campaign-{units}.yaml"))
    engine = open_engine(f"sqlite:///{folder / f'audit-{units}.sqlite3'}")
    ws = open_workspace(campaign, engine=engine)
    cpu = time.process_time()
    started = time.perf_counter()
    check_units(ws, now=NOW)
    consolidate(ws, now=NOW)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"units": units, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak}


def exponent(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(seconds) against log(units)."""
    xs = [math.log(u) for u, _ in points]
    ys = [math.log(s) for _, s in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,200,400,800")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_size(args.dir, args.child, args.rows)))
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        started = time.perf_counter()
        prepare(base, sizes[-1], args.rows)
        print(f"setup_seconds: {time.perf_counter() - started:.1f}", file=sys.stderr)
        pristine = base / "pristine"
        shutil.copytree(base / "workbooks", pristine)
        points: list[tuple[float, float]] = []
        cpu_points: list[tuple[float, float]] = []
        for n in sizes:
            shutil.rmtree(base / "workbooks")
            shutil.copytree(pristine, base / "workbooks")  # every size starts unchecked
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(n),
                    "--rows",
                    str(args.rows),
                    "--dir",
                    str(base),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            got = json.loads(out.stdout.strip().splitlines()[-1])
            points.append((float(n), got["seconds"]))
            cpu_points.append((float(n), got["cpu_seconds"]))
            print(
                f"units: {n} rows: {n * args.rows} seconds: {got['seconds']:.2f} "
                f"cpu_seconds: {got['cpu_seconds']:.2f} peak_rss_mb: {got['peak_rss_mb']:.0f}",
                flush=True,
            )
    print(f"growth_exponent: {exponent(points):.2f}")
    print(f"growth_exponent_cpu: {exponent(cpu_points):.2f}")


if __name__ == "__main__":
    main()
