"""The official record (issue: review, return, extensions, forms for some units, eligibility
and duplicates judged on what was submitted), played as organisers and units would, on the
local and the Google store (fake server) and on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from sync.audit import AuditStates, open_engine
from sync.audit.models import Review, Submission
from sync.campaign import Campaign, load_campaign
from sync.cli import cli
from sync.errors import ConfigError, ReviewError, SubmissionError
from sync.feedback import state_fields
from sync.operations import Workspace, check_units, extend, review, submit
from sync.pipeline import Run
from sync.progress import progress
from sync.stores.base import Store
from tests.test_store_contract import make_store

DATA = Path(__file__).parent / "data" / "record"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@dataclass
class Office:
    """The organiser's desk: the campaign, the units' store and the audit database."""

    campaign: Campaign
    store: Store
    driver: Any
    engine: Engine

    def states(self) -> AuditStates:
        """A fresh read of the audit database (as a new process would)."""
        return AuditStates.for_campaign_db(self.engine, self.campaign)

    @property
    def ws(self) -> Workspace:
        return Workspace(self.campaign, self.store, self.states)

    def type(self, unit: str, form: str, rows: dict[int, dict[str, Any]]) -> None:
        self.driver.type_rows(self.campaign.unit(unit), form, rows)

    def check(self, now: str, units: list[str] | None = None) -> Run:
        return check_units(self.ws, units, now=at(now))

    def submit(self, unit: str, form: str, now: str) -> bool:
        return submit(self.ws, unit, form, now=at(now)).late

    def review(self, unit: str, form: str, now: str, decision: str, **kw: Any) -> dict[str, Any]:
        return review(self.ws, unit, form, decision=decision, now=at(now), **kw).review

    def status(self, now: str) -> dict[tuple[str, str], dict[str, Any]]:
        """What `thidua status --format json` says per (unit, form)."""
        run = self.check(now)
        return {(s.unit, s.form): state_fields(s, "vi", TZ) for s in run.result.summaries}

    def sheet_state(self, unit: str, form: str) -> str:
        """The form's state under the status column's title in the unit's own tab."""
        title, _, line = str(self.driver.header(self.campaign.unit(unit), form)[-1]).partition("\n")
        assert title == self.campaign.form(form).status_header
        return line

    def sheet_summary(self, unit: str) -> str:
        """The unit's "Kiểm tra" tab as one text."""
        rows = self.driver.summary(self.campaign.unit(unit))
        return "\n".join(" | ".join(str(v) for v in row if v not in (None, "")) for row in rows)


def _office(name: str, store_kind: str, db_url: str, tmp_path: Path) -> Iterator[Office]:
    campaign = load_campaign(DATA / name)
    store, driver = make_store(store_kind, campaign, tmp_path)
    engine = open_engine(db_url)
    for unit in campaign.units:
        store.provision(unit)
    try:
        yield Office(campaign, store, driver, engine)
    finally:
        engine.dispose()


@pytest.fixture(params=["local", "google"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def office004(store_kind: str, db_url: str, tmp_path: Path) -> Iterator[Office]:
    yield from _office("seed004.yaml", store_kind, db_url, tmp_path)


@pytest.fixture
def office002(store_kind: str, db_url: str, tmp_path: Path) -> Iterator[Office]:
    yield from _office("seed002.yaml", store_kind, db_url, tmp_path)


def findings(run: Run, unit: str, form: str) -> list[tuple[Any, ...]]:
    frame = run.result.report.frame
    part = frame[(frame["unit"] == unit) & (frame["form"] == form)]
    return [(r["row"], r["column"], r["code"], r["severity"]) for r in part.to_dict("records")]


# --- seed 004: registration by 10/2 with a lock, reports, proposals ---------------------------


def test_seed_004_registration_review_and_eligibility(office004: Office) -> None:
    o = office004
    A = {"ho_ten": "Lò Văn Pành", "danh_hieu": "Chiến sĩ thi đua cơ sở"}
    B = {"ho_ten": "Tao Thị Hoa", "danh_hieu": "Lao động tiên tiến"}
    C = {"ho_ten": "Vàng A Sình", "danh_hieu": "Lao động tiên tiến"}
    o.type("H-TAMDUONG", "dang_ky", {2: A, 3: B})
    assert o.submit("H-TAMDUONG", "dang_ky", "2023-02-06T09:00") is False
    o.type("H-SINHO", "dang_ky", {2: {"ho_ten": "Giàng A Páo", "danh_hieu": "Lao động tiên tiến"}})

    # Edited after submitting: status says so, and so does the unit's own sheet.
    o.type("H-TAMDUONG", "dang_ky", {4: C})
    status = o.status("2023-02-08T10:00")
    assert status[("H-TAMDUONG", "dang_ky")]["state"] == "submitted_on_time"
    assert status[("H-TAMDUONG", "dang_ky")]["changed_since_submit"] is True
    assert status[("H-TAMDUONG", "dang_ky")]["review"] is None
    assert status[("H-SINHO", "dang_ky")]["changed_since_submit"] is False
    assert "Bảng đã thay đổi sau khi nộp: nộp lại để cập nhật bản chính thức" in o.sheet_summary(
        "H-TAMDUONG"
    )
    assert o.sheet_state("H-TAMDUONG", "dang_ky") == (
        "Đã nộp đúng hạn lúc 06/02/2023 09:00 — đã sửa sau khi nộp: "
        "nộp lại để cập nhật bản chính thức"
    )
    assert (
        o.sheet_state("H-SINHO", "dang_ky")
        == "Hợp lệ, chưa nộp — nộp trước 10/02/2023 17:00 để được tính"
    )

    # Returned with a reason: state `returned`, the reason in the unit's "Kiểm tra" tab.
    record = o.review(
        "H-TAMDUONG",
        "dang_ky",
        "2023-02-09T08:00",
        "returned",
        reason="Bổ sung người thứ ba đã nhập vào bản chính thức",
        by="bantochuc",
    )
    assert record["until"] == "2023-02-12T17:00:00+07:00"  # the form's lock
    status = o.status("2023-02-09T09:00")
    assert status[("H-TAMDUONG", "dang_ky")]["state"] == "returned"
    assert status[("H-TAMDUONG", "dang_ky")]["review"] == {
        "decision": "returned",
        "reason": "Bổ sung người thứ ba đã nhập vào bản chính thức",
        "until": "2023-02-12T17:00:00+07:00",
        "by": "bantochuc",
        "at": "2023-02-09T08:00:00+07:00",
        "submissions": 1,
    }
    sheet = o.sheet_summary("H-TAMDUONG")
    assert "Bị trả lại để sửa" in sheet
    assert (
        "Ban tổ chức trả lại để sửa: Bổ sung người thứ ba đã nhập vào bản chính thức "
        "(sửa và nộp lại trước 12/02/2023 17:00)" in sheet
    )
    assert o.sheet_state("H-TAMDUONG", "dang_ky") == (
        "Bị trả lại: Bổ sung người thứ ba đã nhập vào bản chính thức — "
        "sửa và nộp lại trước 12/02/2023 17:00"
    )
    with pytest.raises(ReviewError) as refused:
        o.review("H-TAMDUONG", "dang_ky", "2023-02-09T09:00", "approved", by="x")
    assert refused.value.message_id == "lifecycle.approve_returned"

    # Resubmitted in the grace period: timeliness of the first submission is kept.
    assert o.submit("H-TAMDUONG", "dang_ky", "2023-02-11T10:00") is False
    status = o.status("2023-02-11T11:00")
    assert status[("H-TAMDUONG", "dang_ky")]["state"] == "submitted_on_time"
    assert status[("H-TAMDUONG", "dang_ky")]["state_label"] == "Đã nộp đúng hạn (bổ sung)"
    assert status[("H-TAMDUONG", "dang_ky")]["changed_since_submit"] is False
    assert "Đã nộp đúng hạn (bổ sung)" in o.sheet_summary("H-TAMDUONG")
    assert (
        o.sheet_state("H-TAMDUONG", "dang_ky") == "Đã nộp đúng hạn (bổ sung) lúc 11/02/2023 10:00"
    )

    # Approved: final; the unit can no longer resubmit.
    o.review("H-TAMDUONG", "dang_ky", "2023-02-11T15:00", "approved", by="bantochuc")
    status = o.status("2023-02-11T16:00")
    assert status[("H-TAMDUONG", "dang_ky")]["state"] == "approved"
    assert "Đã duyệt" in o.sheet_summary("H-TAMDUONG")
    assert o.sheet_state("H-TAMDUONG", "dang_ky") == (
        "Đã duyệt (bổ sung) lúc 11/02/2023 15:00: bản chính thức đã chốt"
    )
    with pytest.raises(SubmissionError) as refused_submission:
        o.submit("H-TAMDUONG", "dang_ky", "2023-02-11T16:30")
    assert refused_submission.value.message_id == "lifecycle.submit_approved"
    with o.engine.connect() as conn:
        decisions = [r.decision for r in conn.execute(select(Review).order_by(Review.id))]
        subs = conn.execute(select(Submission.on_time).order_by(Submission.id)).scalars().all()
    assert decisions == ["returned", "approved"]
    assert subs == [True, True]  # both submissions kept, the correction stays on time

    # After the lock: a person typed into the registration no longer counts.
    D = {"ho_ten": "Sùng Thị Mỷ", "danh_hieu": "Lao động tiên tiến"}
    o.type("H-TAMDUONG", "dang_ky", {5: D})
    o.type("H-TAMDUONG", "de_nghi", {2: A, 3: C, 4: D})
    o.type("H-SINHO", "de_nghi", {2: {"ho_ten": "Giàng A Páo", "danh_hieu": "Lao động tiên tiến"}})
    o.type("CDN-GIAODUC", "de_nghi", {2: B})
    run = o.check("2023-12-15T09:00")
    assert findings(run, "H-TAMDUONG", "dang_ky") == [(None, None, "after_lock", "error")]
    assert findings(run, "H-TAMDUONG", "de_nghi") == [(4, "ho_ten", "not_registered", "error")]
    message = next(
        f.message for f in run.result.report if f.unit == "H-TAMDUONG" and f.form == "de_nghi"
    )
    assert "so với danh sách đăng ký đã nộp ngày 11/02/2023" in message
    # Sìn Hồ typed a registration but never submitted it before the lock: nothing counts.
    assert findings(run, "H-SINHO", "de_nghi") == [
        (None, None, "not_registered", "error"),
        (2, "ho_ten", "not_registered", "error"),
    ]
    assert any(
        "không nộp danh sách đăng ký trước khi khoá sổ ngày 12/02/2023" in f.message
        for f in run.result.report
        if f.unit == "H-SINHO" and f.form == "de_nghi"
    )
    # A unit that never registered cannot propose anyone.
    assert findings(run, "CDN-GIAODUC", "de_nghi") == [
        (None, None, "not_registered", "error"),
        (2, "ho_ten", "not_registered", "error"),
    ]


# --- seed 002: forms and deadlines per level, pilots ------------------------------------------


def test_seed_002_per_level_forms_and_deadlines(office002: Office) -> None:
    o = office002
    c = o.campaign
    person = {"ho_ten": "Lò Văn Pành", "nam_sinh": 1979}
    # No tab for forms that do not apply: a xã has only the xã-level form.
    assert c.form("hoi_nghi_xa").tab in o.driver.tabs(c.unit("X-MUONGKIM"))
    assert c.form("dai_hoi_huyen").tab not in o.driver.tabs(c.unit("X-MUONGKIM"))
    assert c.form("hoi_nghi_xa").tab not in o.driver.tabs(c.unit("SYT"))

    o.type("X-MUONGKIM", "hoi_nghi_xa", {2: person})  # pilot: due 28/02
    o.type("X-PHUCTHAN", "hoi_nghi_xa", {2: {"ho_ten": "Lường Thị Én", "nam_sinh": 1990}})
    assert o.submit("X-MUONGKIM", "hoi_nghi_xa", "2025-03-05T09:00") is True  # pilot: late
    assert o.submit("X-PHUCTHAN", "hoi_nghi_xa", "2025-03-05T09:00") is False  # Q1: on time
    o.type("SYT", "dai_hoi_huyen", {2: {"ho_ten": "Nguyễn Văn Y", "nam_sinh": 1975}})
    assert o.submit("SYT", "dai_hoi_huyen", "2025-04-29T09:00") is False

    run = o.check("2025-03-06T09:00")
    states = {(s.unit, s.form): s.state for s in run.result.summaries}
    assert states[("X-MUONGKIM", "hoi_nghi_xa")] == "submitted_late"
    assert states[("X-PHUCTHAN", "hoi_nghi_xa")] == "submitted_on_time"
    assert states[("X-MUONGKIM", "dai_hoi_huyen")] == "not_applicable"
    assert states[("SYT", "hoi_nghi_xa")] == "not_applicable"
    late = [f for f in run.result.report if f.unit == "X-MUONGKIM" and f.code == "late"]
    assert late and "28/02/2025 17:00" in late[0].message
    assert "28/02/2025 17:00" in o.sheet_summary("X-MUONGKIM")  # its own due date

    overall = {p.form: p for p in progress(c, run.result.summaries) if p.group == "*"}
    xa = overall["hoi_nghi_xa"]
    assert (xa.expected, xa.submitted, xa.on_time, xa.late) == (5, 2, 1, 1)  # 4 xã + 1 DN
    assert xa.completeness == 0.4
    huyen = overall["dai_hoi_huyen"]
    assert (huyen.expected, huyen.submitted, huyen.on_time) == (4, 1, 1)  # 2 sở + 2 huyện
    by_group = {(p.form, p.group): p for p in progress(c, run.result.summaries)}
    assert by_group[("hoi_nghi_xa", "H-THANUYEN")].expected == 2  # its xã, not itself

    # An extension: submitted before the unit's new deadline → "đúng hạn (gia hạn)".
    o.type("X-BANGIANG", "hoi_nghi_xa", {2: {"ho_ten": "Tẩn Láo Sử", "nam_sinh": 1980}})
    extend(
        o.ws,
        "X-BANGIANG",
        "hoi_nghi_xa",
        until=at("2025-03-10T17:00"),
        by="bantochuc",
        now=at("2025-03-01T08:00"),
    )
    assert o.submit("X-BANGIANG", "hoi_nghi_xa", "2025-03-09T09:00") is False
    status = o.status("2025-03-09T10:00")
    assert status[("X-BANGIANG", "hoi_nghi_xa")]["state_label"] == "Đã nộp đúng hạn (gia hạn)"


def test_applies_to_and_deadlines_are_checked(tmp_path: Path) -> None:
    text = (DATA / "seed002.yaml").read_text(encoding="utf-8")
    (tmp_path / "dai_bieu.yaml").write_text((DATA / "dai_bieu.yaml").read_text("utf-8"), "utf-8")
    bad = text.replace("{level: [xa, doanh_nghiep]}", "{level: [xa, thon]}").replace(
        "SYT: 2025-04-30T17:00", "S-YTE: 2025-04-30T17:00"
    )
    (tmp_path / "campaign.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_campaign(tmp_path / "campaign.yaml")
    issues = [f"{i.path}: {i.message}" for i in err.value.issues]
    assert issues == [
        "forms[0].applies_to.level: không đơn vị nào có level 'thon' "
        "(có: doanh_nghiep, huyen, so, xa)",
        "forms[1].deadlines.S-YTE: 'S-YTE' không phải mã đơn vị hay level của đơn vị nào",
    ]
    c = load_campaign(DATA / "seed002.yaml")
    assert [u.id for u in c.units_for("hoi_nghi_xa")] == [
        "X-MUONGKIM",
        "X-PHUCTHAN",
        "X-BANGIANG",
        "X-NUNGNANG",
        "DN-CAOSU",
    ]
    assert c.deadline("H-THANUYEN", "dai_hoi_huyen").closes == at("2025-05-01T17:00")


# --- duplicates: the earliest claim owns the key ----------------------------------------------


def test_duplicate_owned_by_the_unit_that_submitted_first(office002: Office) -> None:
    o = office002
    x = {"ho_ten": "Lò Văn Pành", "nam_sinh": 1979}
    o.type("X-PHUCTHAN", "hoi_nghi_xa", {2: x})  # unit E
    assert o.submit("X-PHUCTHAN", "hoi_nghi_xa", "2025-03-01T09:00") is False
    o.type("X-NUNGNANG", "hoi_nghi_xa", {2: dict(x), 3: {"ho_ten": "Hảng A Dơ", "nam_sinh": 1988}})
    run = o.check("2025-03-02T09:00")  # X-NUNGNANG (unit F) comes later in the file, too
    assert findings(run, "X-NUNGNANG", "hoi_nghi_xa") == [(2, "ho_ten", "duplicate", "error")]
    assert findings(run, "X-PHUCTHAN", "hoi_nghi_xa") == [(2, "ho_ten", "duplicate", "warning")]
    owner = next(f for f in run.result.report if f.unit == "X-PHUCTHAN")
    assert "cũng có trong danh sách của đơn vị khác (dòng 2 của UBND xã Nùng Nàng)" in owner.message
    # E's submission stands and E may even resubmit; F cannot submit until it corrects.
    assert o.submit("X-PHUCTHAN", "hoi_nghi_xa", "2025-03-02T10:00") is False
    with pytest.raises(SubmissionError, match="còn 1 lỗi"):
        o.submit("X-NUNGNANG", "hoi_nghi_xa", "2025-03-02T10:00")


def test_deleted_after_submitting_stays_on_the_official_record(office002: Office) -> None:
    """Unit E submitted X, then deleted X from its live sheet: the submission still holds X
    (nothing submitted is lost), E is told its sheet changed since submitting, and X stays
    E's against other units until E resubmits without X."""
    o = office002
    x = {"ho_ten": "Lò Văn Pành", "nam_sinh": 1979}
    y = {"ho_ten": "Lường Thị Én", "nam_sinh": 1990}
    o.type("X-PHUCTHAN", "hoi_nghi_xa", {2: x, 3: y})  # unit E
    assert o.submit("X-PHUCTHAN", "hoi_nghi_xa", "2025-03-01T09:00") is False
    o.type("X-PHUCTHAN", "hoi_nghi_xa", {2: {"ho_ten": "", "nam_sinh": ""}})  # X deleted
    o.type("X-NUNGNANG", "hoi_nghi_xa", {2: dict(x)})  # unit F types X later

    run = o.check("2025-03-02T09:00")
    assert findings(run, "X-PHUCTHAN", "hoi_nghi_xa") == []
    assert findings(run, "X-NUNGNANG", "hoi_nghi_xa") == [(2, "ho_ten", "duplicate", "error")]
    held = next(f for f in run.result.report if f.unit == "X-NUNGNANG")
    assert "danh sách đã nộp của UBND xã Phúc Than" in held.message
    e = o.status("2025-03-02T09:30")[("X-PHUCTHAN", "hoi_nghi_xa")]
    assert (e["state"], e["changed_since_submit"]) == ("submitted_on_time", True)
    assert o.sheet_state("X-PHUCTHAN", "hoi_nghi_xa") == (
        "Đã nộp đúng hạn lúc 01/03/2025 09:00 — đã sửa sau khi nộp: "
        "nộp lại để cập nhật bản chính thức"
    )
    official = o.states().get("X-PHUCTHAN", "hoi_nghi_xa").snapshot
    assert [row[:2] for row in official or []] == [["Lò Văn Pành", 1979], ["Lường Thị Én", 1990]]
    with pytest.raises(SubmissionError, match="còn 1 lỗi"):
        o.submit("X-NUNGNANG", "hoi_nghi_xa", "2025-03-02T10:00")

    # E resubmits without X: X is free, F may submit it.
    assert o.submit("X-PHUCTHAN", "hoi_nghi_xa", "2025-03-03T09:00") is False
    run = o.check("2025-03-03T10:00")
    assert findings(run, "X-NUNGNANG", "hoi_nghi_xa") == []
    official = o.states().get("X-PHUCTHAN", "hoi_nghi_xa").snapshot
    assert [row[:2] for row in official or []] == [["Lường Thị Én", 1990]]
    assert o.submit("X-NUNGNANG", "hoi_nghi_xa", "2025-03-03T11:00") is False
    with o.engine.connect() as conn:
        kept = conn.execute(
            select(Submission.unit, Submission.rows)
            .where(Submission.form == "hoi_nghi_xa")
            .order_by(Submission.id)
        ).all()
    assert [(u, n) for u, n in kept] == [("X-PHUCTHAN", 2), ("X-PHUCTHAN", 1), ("X-NUNGNANG", 1)]


def test_duplicate_between_live_rows_first_seen_owns(office002: Office) -> None:
    o = office002
    x = {"ho_ten": "Lò Văn Pành", "nam_sinh": 1979}
    o.type("X-NUNGNANG", "hoi_nghi_xa", {2: x})  # later in the file, but typed first
    o.check("2025-03-01T09:00")
    o.type("X-PHUCTHAN", "hoi_nghi_xa", {2: dict(x)})
    run = o.check("2025-03-02T09:00")
    assert findings(run, "X-NUNGNANG", "hoi_nghi_xa") == [(2, "ho_ten", "duplicate", "warning")]
    assert findings(run, "X-PHUCTHAN", "hoi_nghi_xa") == [(2, "ho_ten", "duplicate", "error")]


# --- the command line --------------------------------------------------------------------------


def test_review_extend_and_status_from_the_command_line(tmp_path: Path, db_url: str) -> None:
    for name in ("seed004.yaml", "dang_ky.yaml", "bao_cao.yaml", "de_nghi.yaml"):
        (tmp_path / name).write_text((DATA / name).read_text("utf-8"), "utf-8")
    campaign = str(tmp_path / "seed004.yaml")
    env = {"THIDUA_DATABASE_URL": db_url}
    runner = CliRunner()

    def thidua(now: str, *args: str) -> Any:
        return runner.invoke(cli, ["--now", now, *args], env=env, catch_exceptions=False)

    assert thidua("2023-01-15T08:00", "provision", campaign).exit_code == 0
    c = load_campaign(campaign)
    _store, driver = make_store("local", c, tmp_path)
    driver.type_rows(
        c.unit("H-SINHO"),
        "dang_ky",
        {2: {"ho_ten": "Giàng A Páo", "danh_hieu": "Lao động tiên tiến"}},
    )
    ok = thidua(
        "2023-02-13T08:00",
        "extend",
        campaign,
        "--unit",
        "H-SINHO",
        "--form",
        "dang_ky",
        "--until",
        "2023-02-15T17:00",
    )
    assert ok.exit_code == 0, ok.output
    assert (
        "Đã gia hạn «Đăng ký danh hiệu thi đua năm 2023» cho LĐLĐ huyện Sìn Hồ đến 15/02/2023 17:00"
        in ok.output
    )
    sub = thidua("2023-02-14T08:00", "submit", campaign, "--unit", "H-SINHO", "--form", "dang_ky")
    assert sub.exit_code == 0, sub.output
    assert "đúng hạn" in sub.output
    no_reason = thidua(
        "2023-02-14T09:00", "review", campaign, "--unit", "H-SINHO", "--form", "dang_ky"
    )
    assert no_reason.exit_code == 2 and "--approve hoặc --return" in no_reason.output
    back = thidua(
        "2023-02-14T09:00",
        "review",
        campaign,
        "--unit",
        "H-SINHO",
        "--form",
        "dang_ky",
        "--return",
        "Ghi rõ danh hiệu",
        "--until",
        "2023-02-20T17:00",
    )
    assert back.exit_code == 0, back.output
    assert "Đơn vị sửa và nộp lại trước 20/02/2023 17:00" in back.output
    out = thidua("2023-02-16T09:00", "status", campaign, "--format", "json")
    units = {(u["unit"], u["form"]): u for u in json.loads(out.output)["units"]}
    assert units[("H-SINHO", "dang_ky")]["state"] == "returned"
    assert units[("H-SINHO", "dang_ky")]["review"]["reason"] == "Ghi rõ danh hiệu"
    assert units[("H-SINHO", "dang_ky")]["changed_since_submit"] is False
    assert units[("H-TAMDUONG", "dang_ky")]["state"] == "locked"
    # Returned after the lock: the unit may still resubmit until the return's date.
    again = thidua("2023-02-17T09:00", "submit", campaign, "--unit", "H-SINHO", "--form", "dang_ky")
    assert again.exit_code == 0, again.output
    assert "Đã nộp bổ sung" in again.output and "đúng hạn (gia hạn)" not in again.output
    ok = thidua(
        "2023-02-17T10:00",
        "review",
        campaign,
        "--unit",
        "H-SINHO",
        "--form",
        "dang_ky",
        "--approve",
    )
    assert ok.exit_code == 0 and "Đã duyệt" in ok.output
    out = thidua("2023-02-17T11:00", "status", campaign, "--format", "json")
    units = {(u["unit"], u["form"]): u for u in json.loads(out.output)["units"]}
    assert units[("H-SINHO", "dang_ky")]["state"] == "approved"
    assert units[("H-SINHO", "dang_ky")]["state_label"] == "Đã duyệt (gia hạn, bổ sung)"
