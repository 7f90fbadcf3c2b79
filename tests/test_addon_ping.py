"""The add-on's `ping` reaches the service and `thidua provision --check-addon` shows who
still has to click Bật kiểm tra tự động."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from sync.audit.models import Event, Job
from sync.cli import cli
from tests.service_helpers import event, post_event


def test_a_ping_is_recorded_and_queues_nothing(app: Any, client: Any, campaign_file: Path) -> None:
    svc = app.extensions["thidua"]
    answer = post_event(client, event("DV1", "ping"))
    assert answer.status_code == 202
    svc.worker.run_until_idle()
    with svc.engine.connect() as conn:
        kinds = conn.execute(select(Event.unit, Event.kind, Event.status)).all()
        jobs = conn.execute(select(Job.id)).all()
    assert [tuple(k) for k in kinds] == [("DV1", "ping", "done")]
    assert jobs == []

    env = {"THIDUA_DATABASE_URL": svc.database_url}  # the service's audit database
    local = CliRunner().invoke(cli, ["provision", str(campaign_file), "--check-addon"], env=env)
    assert local.exit_code == 2 and "backend local" in local.output  # no add-on there
    google = on_google(campaign_file)
    result = CliRunner().invoke(cli, ["provision", str(google), "--check-addon"], env=env)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("✓ DV1") and "đã liên lạc lúc" in lines[0]
    assert lines[1].startswith("✗ DV2") and "Bật kiểm tra tự động" in lines[1]
    assert "1/2 đơn vị chưa bật tiện ích" in result.output

    post_event(client, event("DV2", "edit"))  # an add-on that sends edits has reached us too
    result = CliRunner().invoke(cli, ["provision", str(google), "--check-addon"], env=env)
    assert result.exit_code == 0 and "Cả 2 đơn vị đã bật tiện ích" in result.output


def on_google(campaign_file: Path) -> Path:
    """The same campaign (id, units) declared on the Google backend."""
    text = campaign_file.read_text(encoding="utf-8").replace(
        "backend: {kind: local, path: ./workbooks}", "backend: {kind: google}"
    )
    path = campaign_file.with_name("campaign-google.yaml")
    path.write_text(text, encoding="utf-8")
    return path
