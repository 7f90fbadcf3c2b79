"""Issue 16's "done when" through the real path: 100 units edit at once; each unit's
add-on sends its signed event over HTTP to the service (waitress on loopback) → durable
queue → worker thread → gspread over HTTP → the fake Google server (loopback) enforcing
Google's per-user and per-project quotas with 429. No 429 reaches the store, and the
service makes at most 2.1 Google calls per edit, consolidation included.

Time runs 5 times faster for the quota (the fake's and the budget's clock, and the store's
sleeping), so a minute of Google's quota passes in 12 s: slow enough that even a loaded
machine asks for more than the quota gives (the quota binds), fast enough for a test.
Nothing here asserts a time: the test counts calls and refusals."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from sync.audit.models import Job
from sync.campaign import load_campaign
from sync.operations import consolidate
from sync.stores.google import GoogleStore, Limits, MemoryBudget
from tests.fake_google import FakeGoogle
from tests.fake_google.__main__ import serve
from tests.fake_google.adapter import fake_credentials, mount_loopback
from tests.google_driver import SERVICE_ACCOUNT, UNLIMITED, make_google_store
from tests.service_helpers import SECRET, event, key_of
from tests.test_google_watch import google_campaign_file
from webhooks.signing import HEADER, sign

UNITS = 100
SPEED = 5.0
"""Quota seconds per real second."""
STAFF = "vanthu@donvi.example.vn"
"""The units' staff typing: another Google user than the service."""
LIMITS = Limits(60, 60, 300, 300, margin=10.0)
"""Google's quotas; a token comes back 10 quota-seconds (2 s real) after its minute: on a
loaded machine a thread may wait that long between reserving a token and sending."""


class FastClock:
    """A clock running SPEED times faster than real time, and its sleep."""

    def __init__(self) -> None:
        self.origin = time.monotonic()

    def __call__(self) -> float:
        return 1000.0 + (time.monotonic() - self.origin) * SPEED

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / SPEED)


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """The Flask app served by waitress on loopback: its base URL."""
    import waitress

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)

    def serve_app() -> None:
        with contextlib.suppress(OSError):
            server.run()

    thread = threading.Thread(target=serve_app, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        for channel in list(server._map.values()):
            channel.close()
        thread.join(timeout=10)


@contextlib.contextmanager
def fake_server(fake: FakeGoogle) -> Iterator[str]:
    httpd = serve(0, fake=fake)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def http_store(campaign_path: Path, folder: Path, base: str, clock: FastClock) -> GoogleStore:
    """The service's store: real gspread whose session talks HTTP to the fake server."""
    import gspread

    client = gspread.Client(auth=fake_credentials(SERVICE_ACCOUNT))
    mount_loopback(client.http_client.session, base)
    return GoogleStore(
        load_campaign(campaign_path),
        clients=[client],
        account_emails=[SERVICE_ACCOUNT],
        budget=MemoryBudget(UNLIMITED, clock=clock),
        registry_path=folder / ".thidua" / "google.json",
        requests_per_minute=1e9,
        sleep=clock.sleep,
        clock=clock,
        new_tab_rows=100,
    )


def watch_reads(fake: FakeGoogle, clock: FastClock) -> list[float]:
    """The quota clock's time of every read the fake lets through from now on."""
    seen: list[float] = []
    take = fake.quotas.take

    def counted(user: str, kind: str) -> None:
        take(user, kind)
        if kind == "read" and user not in fake.quotas.exempt:
            seen.append(clock())

    fake.quotas.take = counted  # type: ignore[method-assign]
    return seen


def counts(engine: Any) -> tuple[int, int]:
    """(validate jobs done, consolidations done after the last validation)."""
    with engine.connect() as conn:
        done = conn.execute(
            select(func.count(func.distinct(Job.unit))).where(
                (Job.kind == "validate") & (Job.status == "done")
            )
        ).scalar_one()
        last = conn.execute(
            select(func.max(Job.finished_at)).where(Job.kind == "validate")
        ).scalar_one()
        if last is None:
            return int(done), 0
        after = conn.execute(
            select(func.count()).where(
                (Job.kind == "consolidate") & (Job.status == "done") & (Job.started_at >= last)
            )
        ).scalar_one()
    return int(done), int(after)


def test_a_burst_of_100_signed_events_over_http_meets_no_429(tmp_path: Path) -> None:
    from webhooks import create_app

    clock = FastClock()
    fake = FakeGoogle(clock=clock)
    path = google_campaign_file(tmp_path, fake, units=UNITS)
    setup = make_google_store(load_campaign(path), tmp_path, fake)  # in-process: quick setup
    for unit in setup.campaign.units:
        setup.provision(unit)
    typist = make_google_store(load_campaign(path), tmp_path, fake, user=STAFF)
    with fake_server(fake) as google:
        store = http_store(path, tmp_path, google, clock)
        app = create_app(
            {
                "CAMPAIGN": str(path),
                "SECRET": SECRET,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
                "WORKER": "none",  # started once the burst is in the queue
                "STORE": store,
                "DEBOUNCE_SECONDS": 0.5,
                "CONSOLIDATE_DEBOUNCE_SECONDS": 1.0,
                "POLL_SECONDS": 0.05,
                "RATE_PER_MINUTE": 1e6,
                "REDIS_URL": None,
                "LOCK_CHECK_SECONDS": 0,
                "CHANNEL_RENEW_SECONDS": 0,
            }
        )
        svc = app.extensions["thidua"]
        try:
            svc.warm()  # a running service has read every unit once
            consolidate(svc.workspace)  # and made the consolidated spreadsheet
            fake.quotas.per_user, fake.quotas.per_project = 60, 300  # Google's limits on
            fake.quotas.exempt = {STAFF}  # the units' staff are other users
            store.http.budget = MemoryBudget(LIMITS, clock=clock)
            sids = {u.id: str(store.spreadsheet_id(u)) for u in store.campaign.units}
            for i, unit in enumerate(store.campaign.units):  # a hundred units edit at once
                typist.put_rows(unit.id, "ds", [[f"Người thứ {i}", 1960 + i % 40]])
            fake.reset_counts()
            reads = watch_reads(fake, clock)
            with running(app) as base, requests.Session() as http:
                for unit in store.campaign.units:  # and their add-ons tell the service
                    body = json.dumps(event(sids[unit.id], range="A2")).encode()
                    headers = {
                        HEADER: sign(key_of(unit.id), "POST", "/hooks/sheets", body),
                        "Content-Type": "application/json",
                    }
                    answer = http.post(f"{base}/hooks/sheets", data=body, headers=headers)
                    assert answer.status_code == 202, answer.text
                svc.worker.start()  # 100 events wait: more than a minute of quota
                end = time.monotonic() + 300  # a bound for a stuck run, not a measurement
                while counts(svc.engine) != (UNITS, 1) and time.monotonic() < end:
                    time.sleep(0.1)
            assert counts(svc.engine) == (UNITS, 1)
        finally:
            svc.close()
    with svc.engine.connect() as conn:
        results = conn.execute(select(Job.unit, Job.result).where(Job.kind == "validate")).all()
    assert sorted(u for u, r in results if r["written"] == [u]) == sorted(sids)  # feedback
    assert fake.refused() == 0 and store.http.refused == 0  # no 429, not even one retried
    # the quota did bind: some minute held exactly 60 of the service's reads, none more
    assert max(sum(1 for t in reads if s <= t < s + 60) for s in reads) == 60
    assert set(fake.users) == {SERVICE_ACCOUNT}  # every call counted below is the service's
    assert fake.counts["sheets.spreadsheets.get"] == UNITS + 1  # + the consolidated titles
    assert sum(fake.counts.values()) / UNITS <= 2.1, dict(fake.counts)
