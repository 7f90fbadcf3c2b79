"""The use-case layer: a run records the same audit rows wherever it started (CLI or
service), and the library works without the web package."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import Engine, select

from sync import clock
from sync.audit import default_url, open_engine
from sync.audit.models import FindingRow, FormStateRow, Snapshot, Submission
from sync.cli import cli
from tests.service_helpers import SECRET, event, make_campaign, post_event, write_rows
from webhooks import create_app

NOW = "2099-04-01T10:00"
ROWS = {
    "DV1": [["Lò Thị Mai", 1985], ["", 1800], ["Lò Văn Pành", 1979], ["Trần Văn Nam", 1990]],
    "DV2": [["Nguyễn Văn An", 1990], ["Lò Thị Mai", 1985]],
}


def _filled(folder: Path) -> Path:
    path = make_campaign(folder)
    for unit, rows in ROWS.items():
        write_rows(path, unit, rows)
    return path


def _audit(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """What the audit database holds, without ids and run ids (which name the source)."""
    with engine.connect() as conn:
        states = [
            tuple(
                getattr(r, c.name)
                for c in FormStateRow.__table__.columns
                if c.name not in ("findings_run", "submission_id")
            )
            for r in conn.execute(select(FormStateRow)).all()
        ]
        findings = [
            (r.unit, r.form, r.row, r.column, r.code, r.severity, r.message, r.value, r.checked_at)
            for r in conn.execute(select(FindingRow)).all()
        ]
        snapshots = [
            (r.unit, r.form, r.content_hash, r.rows, r.row_numbers, r.first_seen_at)
            for r in conn.execute(select(Snapshot)).all()
        ]
        submissions = [
            (r.unit, r.form, r.submitted_at, r.content_hash, r.on_time, r.rows)
            for r in conn.execute(select(Submission)).all()
        ]
    return {
        "form_states": sorted(states, key=repr),
        "findings": sorted(findings, key=repr),
        "snapshots": sorted(snapshots, key=repr),
        "submissions": sorted(submissions, key=repr),
    }


def _from_cli(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    path = _filled(folder)
    runner = CliRunner()
    checked = runner.invoke(cli, ["--now", NOW, "validate", str(path)])
    assert checked.exit_code == 1, checked.output  # DV1 has errors
    submitted = runner.invoke(
        cli, ["--now", NOW, "submit", str(path), "--unit", "DV2", "--form", "ds"]
    )
    assert submitted.exit_code == 0, submitted.output
    assert runner.invoke(cli, ["--now", NOW, "consolidate", str(path)]).exit_code == 0
    engine = open_engine(default_url(path.parent))
    try:
        return _audit(engine)
    finally:
        engine.dispose()


def _from_service(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    path = _filled(folder)
    config = {
        "TESTING": True,
        "CAMPAIGN": str(path),
        "SECRET": SECRET,
        "DATABASE_URL": default_url(path.parent),
        "WORKER": "none",
        "DEBOUNCE_SECONDS": 0.5,
        "CONSOLIDATE_DEBOUNCE_SECONDS": 1.0,
        "RATE_PER_MINUTE": 1000.0,
        "REDIS_URL": None,
        "WORKER_THREADS": 1,  # one job after the other, as the CLI commands ran
    }
    app = create_app(config)
    svc = app.extensions["thidua"]
    client = app.test_client()
    clock.pin(NOW)  # as `--now` does
    try:
        for unit in ("DV1", "DV2"):
            assert post_event(client, event(unit)).status_code == 202
        svc.worker.run_until_idle(now=time.time() + 1.0)
        assert post_event(client, event("DV2", kind="submit")).status_code == 202
        svc.worker.run_until_idle(now=time.time() + 2.0)
        svc.jobs.schedule_consolidation(now=time.time() - 10)
        svc.worker.run_until_idle(now=time.time() + 5.0)
        return _audit(svc.engine)
    finally:
        clock.pin(None)
        svc.close()


def test_a_cli_run_records_what_a_service_run_records(tmp_path: Path) -> None:
    by_cli = _from_cli(tmp_path / "cli")
    by_service = _from_service(tmp_path / "service")
    assert [s[:2] for s in by_cli["submissions"]] == [("DV2", "ds")]
    assert {(f[0], f[2], f[4]) for f in by_cli["findings"]} >= {("DV1", 3, "out_of_range")}
    assert by_cli == by_service


def test_watch_poll_worker_and_the_operations_do_not_import_the_web_package() -> None:
    code = (
        "import sys, sync.cli, sync.operations, sync.operations.rq, sync.audit.jobs; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'webhooks'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
