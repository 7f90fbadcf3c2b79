"""The floor on Google: one read and at most one write per edit; consolidation reads only
what moved (one Drive call tells which); frames are shared by every worker; a burst of
100 edits under a 60-a-minute quota meets no 429."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from sync.audit import default_url, open_engine
from sync.campaign import Campaign
from sync.operations import Workspace, check_units, consolidate, open_workspace
from sync.pipeline import Frames, SheetCache
from sync.shared_frames import SharedSheetCache
from sync.stores.google import GoogleStore, Limits, MemoryBudget
from tests.fake_google import FakeGoogle
from tests.google_driver import make_google_store

NOW = datetime(2025, 4, 1, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
STAFF = "vanthu@donvi.example.vn"


def campaign_of(units: int, folder: Path) -> Campaign:
    """The store test campaign with `units` units; a person is listed once campaign-wide."""
    from bench.api_calls import campaign_with
    from sync.campaign import load_campaign

    campaign_with(units, folder)
    path = folder / "campaign.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    lock: true\n",
        "    lock: true\n    rules:\n"
        "      - {kind: unique, columns: [ho_ten, nam_sinh], scope: campaign}\n",
    )
    path.write_text(text, encoding="utf-8")
    return load_campaign(path)


def setup(tmp_path: Path, units: int, fake: FakeGoogle) -> tuple[GoogleStore, GoogleStore]:
    campaign = campaign_of(units, tmp_path)
    store = make_google_store(campaign, tmp_path, fake)
    for unit in campaign.units:
        store.provision(unit)
    typist = make_google_store(campaign, tmp_path, fake, user=STAFF)
    return store, typist


def workspace(
    store: GoogleStore, tmp_path: Path, cache: Frames, url: str | None = None
) -> Workspace:
    engine = open_engine(url or default_url(tmp_path))
    return open_workspace(store.campaign, store=store, engine=engine, cache=cache)


def service_calls(fake: FakeGoogle) -> int:
    return sum(n for user, n in fake.users.items() if user != STAFF)


def test_consolidation_after_validations_reads_nothing_it_holds(tmp_path: Path) -> None:
    fake = FakeGoogle()
    store, typist = setup(tmp_path, 6, fake)
    units = store.campaign.units
    ws = workspace(store, tmp_path, SheetCache())
    check_units(ws, now=NOW)  # the service is warm
    consolidate(ws, now=NOW)  # the consolidated spreadsheet exists
    fake.reset_counts()
    for i, unit in enumerate(units):  # every unit edits; the service validates each
        typist.put_rows(unit.id, "dai_bieu", [{"ho_ten": f"Người {i}", "nam_sinh": 1980}])
        check_units(ws, [unit.id], now=NOW)
    assert fake.counts["sheets.spreadsheets.get"] == 2 * len(units)  # typist's + service's
    fake.reset_counts()
    done = consolidate(ws, now=NOW)
    # nothing re-read: one Drive call, the consolidated tab titles, two writes
    assert fake.counts["drive.files.list"] == 1
    assert fake.counts["sheets.spreadsheets.get"] == 1
    assert fake.writes() == 2
    assert {s.unit for s in done.run.result.summaries} == {u.id for u in units}

    typist.put_rows(units[2].id, "dai_bieu", [{"ho_ten": "Sửa không báo"}], start_row=3)
    fake.reset_counts()
    consolidate(ws, now=NOW, write=False)
    assert fake.counts == {"drive.files.list": 1, "sheets.spreadsheets.get": 1}  # that unit only


def workers(engine: Engine, campaign: Campaign) -> tuple[SharedSheetCache, SharedSheetCache]:
    return SharedSheetCache(engine, campaign.id), SharedSheetCache(engine, campaign.id)


def test_frames_are_shared_by_workers_a_duplicate_is_seen_at_once(
    tmp_path: Path, db_url: str
) -> None:
    fake = FakeGoogle()
    store, typist = setup(tmp_path, 3, fake)
    c = store.campaign
    engine = open_engine(db_url)
    first, second = workers(engine, c)
    one = open_workspace(c, store=store, engine=engine, cache=first)
    two = open_workspace(c, store=store, engine=engine, cache=second)
    check_units(one, now=NOW)  # worker 1 warms up
    fake.reset_counts()
    third = SharedSheetCache(engine, c.id)  # a new worker starts warm: reads nothing
    assert len(third.fill(list(c.units), lambda _u: {})) == 3 and fake.counts == {}

    a, b = c.units[0], c.units[1]
    person = {"ho_ten": "Nguyễn Văn Trùng", "gioi_tinh": "Nam", "nam_sinh": 1980}
    typist.put_rows(a.id, "dai_bieu", [person])
    check_units(one, [a.id], now=NOW)
    typist.put_rows(b.id, "dai_bieu", [person])
    fake.reset_counts()
    run = check_units(two, [b.id], now=NOW)
    assert fake.counts["sheets.spreadsheets.get"] == 1  # only unit b: a's rows are shared
    found = run.result.report.frame
    mine = found[(found["unit"] == b.id) & found["code"].str.contains("duplicate")]
    assert len(mine) == 1, found[["unit", "code"]].to_dict("records")
    engine.dispose()


def test_a_burst_of_100_edits_under_the_quota_meets_no_429(tmp_path: Path) -> None:
    now = [1000.0]

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    fake = FakeGoogle(clock=clock)
    store, typist = setup(tmp_path, 100, fake)
    c = store.campaign
    cache = SheetCache()
    check_units(workspace(store, tmp_path, cache), now=NOW)  # the service is warm
    for i, unit in enumerate(c.units):  # a hundred units edit at once
        typist.put_rows(unit.id, "dai_bieu", [{"ho_ten": f"Người {i}", "nam_sinh": 1980}])
    now[0] += 120
    fake.reset_counts()
    fake.quotas.per_user, fake.quotas.per_project = 60, 300
    budget = MemoryBudget(Limits(60, 60, 300, 300), clock=clock)
    service = make_google_store(c, tmp_path, fake, budget=budget, sleep=sleep)
    ws = workspace(service, tmp_path, cache)
    started = now[0]
    for unit in c.units:  # the worker handles the hundred events
        assert check_units(ws, [unit.id], now=NOW).written == [unit.id]
    consolidate(ws, now=NOW)  # then consolidates
    assert fake.refused() == 0 and service.http.refused == 0  # no 429 reached the store
    calls = service_calls(fake)
    assert fake.counts["sheets.spreadsheets.get"] == 100 + 1  # + the consolidated tab titles
    assert calls / 100 <= 2.1, fake.counts
    # 100 reads at 60 a minute: the last ones wait a minute, not more
    assert 60 <= now[0] - started <= 1.2 * 61
