"""Benchmark: edit → feedback latency through the service (docs/design.md: Performance targets: p95 ≤ 5 s).

N units edit concurrently on the fake Google server (in-process) with `--latency` seconds
injected into every Google call. Each unit types a row, then posts the signed Apps Script
event to `/hooks/sheets`; the service's durable queue debounces (`--debounce`) and the
embedded worker thread re-reads the unit, validates and writes feedback. Measured per
unit from the database: first event received → validate job finished (feedback written).
Prints `units`, `p50_seconds`, `p95_seconds`, `max_seconds`.

    .venv/bin/python bench/edit_to_feedback.py [--units 20] [--latency 0.15] [--debounce 0.5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from sync.audit.models import Event, Job  # noqa: E402
from sync.campaign import load_campaign  # noqa: E402
from tests.fake_google import FakeGoogle  # noqa: E402
from tests.google_driver import make_google_store  # noqa: E402
from tests.service_helpers import SECRET, event, post_event  # noqa: E402
from tests.test_google_watch import google_campaign_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--debounce", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    from webhooks import create_app

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fake = FakeGoogle()
        path = google_campaign_file(folder, fake, units=args.units)
        campaign = load_campaign(path)
        store = make_google_store(campaign, folder, fake)
        for unit in campaign.units:
            store.provision(unit)
        typist = make_google_store(load_campaign(path), folder, fake)  # the units' hands
        app = create_app(
            {
                "CAMPAIGN": str(path),
                "SECRET": SECRET,
                "DATABASE_URL": f"sqlite:///{folder / 'audit.sqlite3'}",
                "WORKER": "thread",
                "STORE": store,
                "DEBOUNCE_SECONDS": args.debounce,
                "CONSOLIDATE_DEBOUNCE_SECONDS": 3600.0,
                "POLL_SECONDS": 0.05,
                "RATE_PER_MINUTE": 1e6,
                "REDIS_URL": None,
                "LOCK_CHECK_SECONDS": 0,
                "CHANNEL_RENEW_SECONDS": 0,
            }
        )
        svc = app.extensions["thidua"]
        svc.warmed.wait(60)  # a running service has read every unit once already
        fake.latency = args.latency
        sids = {u.id: str(store.spreadsheet_id(u)) for u in campaign.units}
        errors: list[str] = []

        def edit(unit_id: str, index: int) -> None:
            typist.put_rows(unit_id, "ds", [[f"Người thứ {index}", 1900 + index]])
            answer = post_event(app.test_client(), event(sids[unit_id]))
            if answer.status_code != 202:
                errors.append(f"{unit_id}: {answer.status_code} {answer.get_data(as_text=True)}")

        threads = [
            threading.Thread(target=edit, args=(u.id, i)) for i, u in enumerate(campaign.units)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise SystemExit("events refused: " + "; ".join(errors))
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            with svc.engine.connect() as conn:  # short transactions: the worker writes too
                done = conn.execute(
                    select(func.count(func.distinct(Job.unit))).where(
                        (Job.kind == "validate") & (Job.status == "done")
                    )
                ).scalar_one()
            if done >= args.units:
                break
            time.sleep(0.05)
        with svc.engine.connect() as conn:
            received = dict(
                conn.execute(select(Event.unit, func.min(Event.received_at)).group_by(Event.unit))
                .tuples()
                .all()
            )
            finished = dict(
                conn.execute(
                    select(Job.unit, func.min(Job.finished_at))
                    .where((Job.kind == "validate") & (Job.status == "done"))
                    .group_by(Job.unit)
                )
                .tuples()
                .all()
            )
        svc.close()
        written = sum(1 for u in campaign.units if u.id in finished)
        if written < args.units:
            raise SystemExit(f"only {written}/{args.units} units got feedback in time")
        latencies = sorted(finished[u] - received[u] for u in finished)
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        print(f"units: {len(latencies)}")
        print(f"latency_per_call_seconds: {args.latency}")
        print(f"debounce_seconds: {args.debounce}")
        print(f"google_calls: {sum(fake.counts.values())}")
        print(f"p50_seconds: {statistics.median(latencies):.2f}")
        print(f"p95_seconds: {p95:.2f}")
        print(f"max_seconds: {latencies[-1]:.2f}")


if __name__ == "__main__":
    main()
