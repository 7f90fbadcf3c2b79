"""Benchmark: edit → feedback latency through the service (docs/design.md: Performance targets: p95 ≤ 5 s).

N units edit concurrently on the fake Google server (in-process) with `--latency` seconds
injected into every Google call. Each unit types a row, then posts the signed Apps Script
event to `/hooks/sheets`; the service's durable queue debounces (`--debounce`) and the
embedded worker thread re-reads the unit, validates and writes feedback. Measured per
unit from the database: first event received → validate job finished (feedback written).
Prints `units`, `floor_seconds`, `p50_seconds`, `p95_seconds`, `max_seconds`,
`google_calls` (the service's, during the burst), `google_calls_total` (every call since
the fake started, provisioning and the units' typing included) and `http_429` (answers
the service met).

With `--quota-per-user N` the fake refuses more than N Sheets reads (and N writes) a minute
per account with Google's 429, and the service's store paces itself with a budget of N a
minute (the units' staff are other users: their typing is not counted). `floor_seconds`
is the least time the burst can take: debounce + one read and one write, plus, under the
quota, a minute for every N edits after the first N.

    .venv/bin/python bench/edit_to_feedback.py [--units 20] [--latency 0.15] [--debounce 0.5]
        [--quota-per-user 60]
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
from sync.stores.google import Limits, MemoryBudget  # noqa: E402
from tests.fake_google import FakeGoogle  # noqa: E402
from tests.google_driver import make_google_store  # noqa: E402
from tests.service_helpers import SECRET, event, key_of, post_event  # noqa: E402
from tests.test_google_watch import google_campaign_file  # noqa: E402

STAFF = "vanthu@donvi.example.vn"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--debounce", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--quota-per-user", type=int, default=0)
    args = parser.parse_args()

    from webhooks import create_app

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fake = FakeGoogle()
        path = google_campaign_file(folder, fake, units=args.units)
        campaign = load_campaign(path)
        store = make_google_store(campaign, folder, fake, sleep=time.sleep)
        for unit in campaign.units:
            store.provision(unit)
        # the units' hands: other users than the service
        typist = make_google_store(load_campaign(path), folder, fake, user=STAFF)
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
        quota = args.quota_per_user
        if quota:
            fake.quotas.per_user, fake.quotas.per_project = quota, 300
            fake.quotas.exempt = {STAFF}
            store.http.budget = MemoryBudget(Limits(quota, quota, 300, 300))
        fake.latency = args.latency
        setup_calls = sum(fake.counts.values())  # provisioning and the warm-up
        fake.reset_counts()
        sids = {u.id: str(store.spreadsheet_id(u)) for u in campaign.units}
        errors: list[str] = []

        def edit(unit_id: str, index: int) -> None:
            typist.put_rows(unit_id, "ds", [[f"Người thứ {index}", 1900 + index]])
            answer = post_event(app.test_client(), event(sids[unit_id]), key=key_of(unit_id))
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
        service = sum(n for user, n in fake.users.items() if user != STAFF)
        per_minute = quota or 0
        waits = (args.units - 1) // per_minute if per_minute else 0
        floor = args.debounce + 2 * args.latency + 60.0 * waits
        print(f"units: {len(latencies)}")
        print(f"latency_per_call_seconds: {args.latency}")
        print(f"debounce_seconds: {args.debounce}")
        print(f"quota_per_user: {quota or 'none'}")
        print(f"google_calls: {service}")
        print(f"google_calls_total: {sum(fake.counts.values()) + setup_calls}")
        print(f"http_429: {store.http.refused} (fake refused {fake.refused()})")
        print(f"floor_seconds: {floor:.2f}")
        print(f"p50_seconds: {statistics.median(latencies):.2f}")
        print(f"p95_seconds: {p95:.2f}")
        print(f"max_seconds: {latencies[-1]:.2f}")


if __name__ == "__main__":
    main()
