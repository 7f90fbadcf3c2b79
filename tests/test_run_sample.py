"""`make run` (hidden `thidua run-sample DIR`): the sample, a demo organiser login, one unit's
upload link and a clock pinned inside the sample's collection window."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sync import clock
from sync.audit import campaign_url, open_engine
from sync.campaign import load_campaign
from sync.cli import cli
from sync.links import campaign_secret, read_link
from sync.users import authenticate


@pytest.fixture
def unpinned(monkeypatch: Any) -> Any:
    monkeypatch.delenv("THIDUA_NOW", raising=False)
    monkeypatch.delenv("THIDUA_SECRET", raising=False)
    monkeypatch.delenv("THIDUA_DATABASE_URL", raising=False)
    yield
    clock.pin(None)


def test_run_sample_prints_login_and_a_working_upload_link(tmp_path: Path, unpinned: Any) -> None:
    directory = tmp_path / "demo"
    first = CliRunner().invoke(cli, ["run-sample", str(directory), "--no-serve"])
    assert first.exit_code == 0, first.output
    out = first.output
    assert "Trang tổng hợp (ban tổ chức): http://127.0.0.1:8000/dashboard" in out
    login = re.search(r"đăng nhập mẫu: tên '([^']+)', mật khẩu '([^']+)'", out)
    assert login, out
    link = re.search(r"Trang nộp bài của (.+): http://127\.0\.0\.1:8000/u/(\S+)", out)
    assert link, out
    campaign = load_campaign(directory / "campaign.yaml")
    engine = open_engine(campaign_url(campaign))
    try:
        assert authenticate(engine, campaign.id, login.group(1), login.group(2)) is not None
    finally:
        engine.dispose()
    unit = read_link(campaign, campaign_secret(campaign.base_dir), link.group(2))
    assert unit.name == link.group(1)
    assert "Đồng hồ của dịch vụ mẫu được ghim lúc 18:00 21/04/2025" in out
    assert clock.now(campaign.tz).isoformat() == "2025-04-21T18:00:00+07:00"

    clock.pin(None)  # a second start keeps the sample and the same login
    second = CliRunner().invoke(cli, ["run-sample", str(directory), "--no-serve"])
    assert second.exit_code == 0
    assert "Đợt mẫu đã có" in second.output
    assert f"mật khẩu '{login.group(2)}'" in second.output


def test_run_sample_respects_a_pinned_clock(tmp_path: Path, unpinned: Any) -> None:
    result = CliRunner().invoke(
        cli, ["--now", "2025-03-05T08:00", "run-sample", str(tmp_path / "d"), "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    assert "Đồng hồ của dịch vụ mẫu" not in result.output


DEV_ONLY = ["pytest", "mypy", "ruff", "playwright", "pandera", "hypothesis", "googleapiclient"]
BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("dev-only package imported: " + name)
sys.meta_path.insert(0, Block())
import sync.demo, sync.cli.demo_cmds, sync.cli.serve_cmds
from sync.cli import cli
cli(["init", sys.argv[1]], standalone_mode=False)
from webhooks import create_app
app = create_app({{"CAMPAIGN": sys.argv[1] + "/campaign.yaml", "WORKER": "none"}})
print(app.test_client().get("/healthz").status_code)
app.extensions["thidua"].close()
"""


@pytest.mark.slow
def test_make_run_needs_no_dev_dependency(tmp_path: Path, unpinned: Any) -> None:
    """`make run` installs the runtime dependencies only: the CLI, the demo and the service
    must not import any package of the dev toolchain."""
    import subprocess
    import sys

    code = BLOCKER.format(blocked=set(DEV_ONLY))
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "200"
