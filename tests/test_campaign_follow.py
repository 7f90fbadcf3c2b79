"""The service follows its campaign file (webhooks.follow): a change that passes the check
is applied without a restart (and the units it touches are checked again); a change that
fails is not applied, the previous campaign keeps running and the dashboard says why;
every reload is an audit event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sync.audit.models import Event
from tests.web_helpers import make_organiser, sign_in
from webhooks.follow import REFUSED, RELOADED


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'audit.db'}"


def _events(app: Any, *kinds: str) -> list[tuple[str, str, str, Any]]:
    svc = app.extensions["thidua"]
    with svc.engine.connect() as conn:
        rows = conn.execute(
            select(Event.kind, Event.unit, Event.status, Event.payload)
            .where(Event.kind.in_(kinds))
            .order_by(Event.id)
        ).all()
    return [(k, u, s, p) for k, u, s, p in rows]


def test_a_good_change_is_applied_and_its_units_checked_again(
    app: Any, campaign_file: Path
) -> None:
    svc = app.extensions["thidua"]
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(
        text.replace(
            "{id: DV2, name: Đơn vị Hai, quotas: {ds: 3}}",
            "{id: DV2, name: Đơn vị Hai, quotas: {ds: 5}}",
        ),
        encoding="utf-8",
    )
    assert svc.follower.check(force=True) == RELOADED
    assert svc.campaign.quota("DV2", "ds") == 5
    assert svc.workspace.campaign is svc.campaign and svc.store.campaign is svc.campaign
    assert svc.runner.ws.campaign is svc.campaign
    reloads = _events(app, "reload")
    assert [(k, s, p["checked"]) for k, _u, s, p in reloads] == [("reload", "done", ["DV2"])]
    assert [(u, s) for _k, u, s, _p in _events(app, "check")] == [("DV2", "pending")]
    assert svc.follower.check(force=True) is None  # nothing new


def test_a_bad_change_is_refused_shown_and_the_old_campaign_kept(
    app: Any, client: Any, campaign_file: Path
) -> None:
    svc = app.extensions["thidua"]
    make_organiser(app)
    assert sign_in(client).status_code == 302
    good = campaign_file.read_text(encoding="utf-8")
    bad = good.replace("quotas: {ds: 3}}", "quotas: {ds: ba}}", 1)
    campaign_file.write_text(bad, encoding="utf-8")
    assert svc.follower.check(force=True) == REFUSED
    assert svc.campaign.quota("DV1", "ds") == 3  # still the previous campaign
    assert svc.follower.refused is not None
    assert svc.follower.refused.issues == [
        "campaign.yaml:4: đơn vị DV1 (units[0]) — quotas.ds: cần một số nguyên",
    ]
    page = client.get("/dashboard").get_data(as_text=True)
    assert (
        'id="campaign-refusal"' in page
        and "Thay đổi trong tệp campaign.yaml chưa được áp dụng" in page
    )
    assert "quotas.ds: cần một số nguyên" in page
    assert svc.follower.check(force=True) is None  # the same bad file: no second event
    assert [k for k, *_ in _events(app, "reload", "reload_refused")] == ["reload_refused"]
    # the organiser puts the file back: the banner goes, nothing to reload
    campaign_file.write_text(good, encoding="utf-8")
    assert svc.follower.check(force=True) is None
    assert svc.follower.refused is None
    assert 'id="campaign-refusal"' not in client.get("/dashboard").get_data(as_text=True)


def test_a_request_picks_the_change_up(app: Any, client: Any, campaign_file: Path) -> None:
    svc = app.extensions["thidua"]
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(text.replace("Đơn vị Hai", "Đơn vị Số Hai"), encoding="utf-8")
    assert svc.campaign.unit("DV2").name == "Đơn vị Hai"
    svc.follower._next = 0.0  # the RELOAD_SECONDS interval has passed
    client.get("/healthz")
    assert svc.campaign.unit("DV2").name == "Đơn vị Số Hai"


def test_no_look_before_the_interval(app: Any, campaign_file: Path) -> None:
    svc = app.extensions["thidua"]
    svc.follower.every = 3600.0
    svc.follower._next = float("inf")
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(text.replace("Đơn vị Hai", "Đơn vị Số Hai"), encoding="utf-8")
    assert svc.follower.check() is None
    assert svc.campaign.unit("DV2").name == "Đơn vị Hai"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("id: svc-test", "id: svc-khac", "Mã đợt đổi từ 'svc-test' thành 'svc-khac'"),
        ("path: ./workbooks", "path: ./so-khac", "Nơi lưu bảng tính (backend) đã đổi"),
    ],
)
def test_another_campaign_or_backend_needs_a_restart(
    app: Any, campaign_file: Path, old: str, new: str, message: str
) -> None:
    svc = app.extensions["thidua"]
    text = campaign_file.read_text(encoding="utf-8")
    campaign_file.write_text(text.replace(old, new), encoding="utf-8")
    assert svc.follower.check(force=True) == REFUSED
    assert svc.follower.refused is not None and message in svc.follower.refused.issues[0]
    assert svc.campaign.id == "svc-test"


def test_a_missing_file_is_a_refusal(app: Any, campaign_file: Path) -> None:
    svc = app.extensions["thidua"]
    campaign_file.rename(campaign_file.with_suffix(".bak"))
    assert svc.follower.check(force=True) == REFUSED
    assert svc.follower.refused is not None
    assert "Không tìm thấy tệp campaign.yaml" in svc.follower.refused.issues[0]
    assert svc.campaign.id == "svc-test"
