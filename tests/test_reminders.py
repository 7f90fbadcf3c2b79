"""E-mail reminders (`thidua remind`, the dashboard's button, the campaign's schedule),
sent through a real SMTP server on loopback (aiosmtpd) and read back."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sync import clock
from sync.campaign import load_campaign
from sync.cli import cli
from sync.links import campaign_secret, read_link
from sync.operations import jobs
from tests.service_helpers import TEMPLATE, write_rows

CAMPAIGN = """\
campaign:
  id: nhac-test
  title: Đợt thử nhắc nhở
  organizer: Liên đoàn Lao động tỉnh Lai Châu
backend: {kind: local, path: ./workbooks}
reminders: {before: [3d, 1d], after: [1d]}
units:
  - {id: H1, name: Huyện Một, editors: [h1@example.vn]}
  - {id: H2, name: Huyện Hai, editors: [h2a@example.vn, h2b@example.vn]}
  - {id: DV3, name: Đơn vị Ba, editors: [dv3@example.vn]}
  - {id: DV4, name: Đơn vị Bốn, editors: [bounce@example.vn]}
forms:
  - id: ds
    template: ./ds.yaml
    opens: 2025-03-01
    due: 2025-04-20T17:00
    grace: 2d
"""
ROWS = {
    "H1": [["Lò Thị Hoa", 1980]],
    "H2": [["Trần Văn Bình", 1940], ["Lê Văn Cường", 1990]],  # 1940: one error
}
ON_TIME = "2025-04-12T09:00+07:00"
LATE = "2025-04-21T10:00+07:00"  # after due, inside the 2-day grace
USER = ("bantochuc", "Mat-khau-thu-nghiem-2025")


class Mailbox:
    """aiosmtpd handler: keeps every message; refuses recipients named bounce@."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("bounce@"):
            return "550 5.1.1 Hộp thư không tồn tại"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("THIDUA_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("THIDUA_MAIL_FROM", "thidua@laichau.example.vn")
    monkeypatch.setenv("THIDUA_BASE_URL", "https://thidua.example.vn")
    try:
        yield box
    finally:
        server.stop()


@pytest.fixture
def campaign_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four units: H1 submits on time, H2 has an error, DV3 and DV4 have nothing."""
    from sync.stores import open_store

    monkeypatch.delenv("THIDUA_DATABASE_URL", raising=False)
    folder = tmp_path / "campaign"
    folder.mkdir()
    (folder / "ds.yaml").write_text(TEMPLATE, encoding="utf-8")
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    store = open_store(load_campaign(path))
    for unit in load_campaign(path).units:
        store.provision(unit)
    for unit, rows in ROWS.items():
        write_rows(path, unit, rows)
    return path


def thidua(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    clock.pin(None)
    return result


@pytest.fixture
def submitted(campaign_file: Path) -> Path:
    result = thidua("--now", ON_TIME, "submit", str(campaign_file), "--unit", "H1", "--form", "ds")
    assert result.exit_code == 0, result.output
    return campaign_file


def test_late_units_get_one_email_each_with_link_and_errors(
    submitted: Path, mailbox: Mailbox
) -> None:
    result = thidua("--now", LATE, "remind", str(submitted))
    assert result.exit_code == 0, result.output
    # H1 submitted: nothing; DV4's only address is refused by the server
    assert mailbox.to() == ["dv3@example.vn", "h2a@example.vn, h2b@example.vn"]
    h2 = next(m for m in mailbox.messages if "h2a@" in str(m["To"]))
    assert str(h2["Subject"]) == "[Thi đua] Nhắc Huyện Hai: «Danh sách» còn lỗi"
    assert str(h2["From"]) == "thidua@laichau.example.vn"
    body = h2.get_content()
    assert "Kính gửi Huyện Hai," in body
    assert "Số lỗi cần sửa: 1." in body
    assert (
        "Hạn nộp 17:00 20/04/2025 — đã quá hạn, vẫn nhận đến 17:00 22/04/2025 (tính là trễ hạn)."
        in body
    )
    link = re.search(r"https://thidua\.example\.vn/u/(\S+)", body)
    assert link is not None
    campaign = load_campaign(submitted)
    assert read_link(campaign, campaign_secret(campaign.base_dir), link.group(1)).id == "H2"
    dv3 = next(m for m in mailbox.messages if "dv3@" in str(m["To"]))
    assert "Trạng thái: chưa nhập dữ liệu." in dv3.get_content()
    assert "Số lỗi" not in dv3.get_content()
    assert "DV4" in result.output and "550" in result.output  # the refusal is shown
    assert "Đã gửi 2 thư, bỏ qua 0 (đã nhắc trong ngày), lỗi 1." in result.output


def test_an_english_campaign_sends_english_emails_and_the_cli_speaks_english(
    submitted: Path, mailbox: Mailbox
) -> None:
    """Subject and body follow the campaign's `language: en`; the table and the summary
    follow the command line's `--lang en`; nothing Vietnamese is left but names."""
    text = submitted.read_text(encoding="utf-8")
    submitted.write_text(text.replace("  id: nhac-test\n", "  id: nhac-test\n  language: en\n"))
    result = thidua("--lang", "en", "--now", LATE, "remind", str(submitted))
    assert result.exit_code == 0, result.output
    h2 = next(m for m in mailbox.messages if "h2a@" in str(m["To"]))
    assert str(h2["Subject"]) == "[Emulation] Reminder to Huyện Hai: «Danh sách» has errors"
    body = h2.get_content()
    assert body.splitlines()[0] == "Dear Huyện Hai,"
    assert "Errors to correct: 1." in body
    assert "Due 17:00 20/04/2025 — overdue, still accepted until 17:00 22/04/2025" in body
    assert "Sent 2 e-mails, skipped 0 (already reminded today), failed 1." in result.output
    assert "Kính gửi" not in body and "Đã gửi" not in result.output


def test_second_run_the_same_day_sends_nothing(submitted: Path, mailbox: Mailbox) -> None:
    assert thidua("--now", LATE, "remind", str(submitted)).exit_code == 0
    assert len(mailbox.messages) == 2
    again = thidua("--now", "2025-04-21T16:00+07:00", "remind", str(submitted))
    assert again.exit_code == 0, again.output
    assert len(mailbox.messages) == 2
    assert "Đã gửi 0 thư, bỏ qua 2 (đã nhắc trong ngày), lỗi 1." in again.output
    # the refused address is tried again: a failure is never taken for a sent reminder
    next_day = thidua("--now", "2025-04-22T10:30+07:00", "remind", str(submitted))
    assert next_day.exit_code == 0, next_day.output
    assert len(mailbox.messages) == 4


def test_filters_and_dry_run(submitted: Path, mailbox: Mailbox) -> None:
    dry = thidua("--now", LATE, "remind", str(submitted), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Chạy thử: 3 thư sẽ được gửi" in dry.output and mailbox.messages == []
    one = thidua("--now", LATE, "remind", str(submitted), "--unit", "DV3", "--form", "ds")
    assert one.exit_code == 0, one.output
    assert mailbox.to() == ["dv3@example.vn"]


def test_without_smtp_settings_remind_says_so_and_exits_2(
    submitted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("THIDUA_SMTP_URL", raising=False)
    monkeypatch.setenv("THIDUA_MAIL_FROM", "thidua@laichau.example.vn")
    result = thidua("--now", LATE, "remind", str(submitted))
    assert result.exit_code == 2
    assert "Chưa cấu hình gửi thư: đặt THIDUA_SMTP_URL" in result.output


# --- the service: button, failures on the dashboard, schedule --------------------------------


@pytest.fixture
def checked(app: Any) -> Iterator[Any]:
    from sync.users import add_user

    svc = app.extensions["thidua"]
    add_user(svc.engine, svc.campaign.id, *USER, name="Ban Tổ chức")
    clock.pin(ON_TIME)
    try:
        assert jobs.submit_job(svc.workspace, "H1", "ds", "t-1")["submitted"]
        jobs.consolidate_job(svc.workspace, "t-2")
        yield app
    finally:
        clock.pin(None)


def login(client: Any) -> str:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    resp = client.post(
        "/login", data={"username": USER[0], "password": USER[1], "csrf_token": token.group(1)}
    )
    assert resp.status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    return token.group(1)


def test_dashboard_button_sends_and_smtp_failure_is_shown(
    checked: Any, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = checked.test_client()
    token = login(client)
    clock.pin(LATE)
    done = client.post("/dashboard/remind", data={"csrf_token": token, "form": "ds"})
    assert done.status_code == 302
    assert mailbox.to() == ["dv3@example.vn", "h2a@example.vn, h2b@example.vn"]
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Đã gửi 2 thư nhắc; 1 thư không gửi được" in page
    # the mail server goes away: the next day's reminders fail, are recorded and shown
    monkeypatch.setenv("THIDUA_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    clock.pin("2025-04-22T11:00+07:00")
    client.post("/dashboard/remind", data={"csrf_token": token})
    page = client.get("/dashboard").get_data(as_text=True)
    failed = re.findall(r'<tr class="reminder-failed">(.*?)</tr>', page, re.S)
    texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", f)).strip() for f in failed]
    assert len(texts) == 4  # DV3, H2 (refused connection) and DV4 twice (550)
    assert any("Đơn vị Ba" in t and "không kết nối được máy chủ thư" in t for t in texts)
    assert any("Đơn vị Bốn" in t and "550" in t for t in texts)
    assert len(mailbox.messages) == 2


def test_dashboard_explains_what_to_set_without_smtp(
    checked: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("THIDUA_SMTP_URL", raising=False)
    client = checked.test_client()
    login(client)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "cần đặt THIDUA_SMTP_URL" in page and "THIDUA_MAIL_FROM" in page
    assert 'action="/dashboard/remind"' not in page


def test_schedule_sends_at_its_points_only(checked: Any, mailbox: Mailbox) -> None:
    scheduler = checked.extensions["thidua_scheduler"]
    clock.pin("2025-04-15T09:00+07:00")  # 5 days before due: no point in the last day
    scheduler.tick(now=0.0)
    assert mailbox.messages == []
    clock.pin("2025-04-19T18:00+07:00")  # 23 hours before due: the 1d point has passed
    scheduler.tick(now=1000.0)
    assert mailbox.to() == ["dv3@example.vn", "h2a@example.vn, h2b@example.vn"]
    body = mailbox.messages[0].get_content()
    assert "Hạn nộp 17:00 20/04/2025 — còn 23 giờ 0 phút." in body
    clock.pin("2025-04-19T20:00+07:00")
    scheduler.tick(now=2000.0)  # the same point again: already reminded today
    assert len(mailbox.messages) == 2
