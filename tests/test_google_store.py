"""The Google store through the fake server (real gspread HTTP, counted calls)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from sync.campaign import Campaign, load_campaign
from sync.consolidate import Consolidated
from sync.errors import ConfigError, QuotaExceeded, RemoteError
from sync.feedback import GUIDE_TAB, SUMMARY_TAB, CellNote, FormFeedback, RowStatus, UnitFeedback
from sync.stores import open_store
from sync.stores.google import GoogleStore
from sync.stores.google.retry import RetryPolicy, TokenBucket
from tests.fake_google import FakeGoogle
from tests.google_driver import SERVICE_ACCOUNT, make_google_store

DATA = Path(__file__).parent / "data" / "stores"
EDITOR = "vanthu.tplc@example.vn"


def google_campaign(tmp_path: Path, backend: str = "", spreadsheet: str | None = None) -> Campaign:
    """The store test campaign with a Google backend (and an editor on the first unit)."""
    for name in ("dai_bieu.yaml", "dang_ky.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    text = (DATA / "campaign.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "backend:\n  kind: local\n  path: ./workbooks",
        "backend:\n  kind: google\n  requests_per_minute: 300\n" + backend,
    )
    extra = f"    editors: [{EDITOR}]\n"
    if spreadsheet:
        extra += f"    spreadsheet: {spreadsheet}\n"
    text = text.replace(
        "    name: LĐLĐ thành phố Lai Châu\n", "    name: LĐLĐ thành phố Lai Châu\n" + extra
    )
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return load_campaign(path)


@pytest.fixture
def fake() -> FakeGoogle:
    return FakeGoogle()


@pytest.fixture
def store(fake: FakeGoogle, tmp_path: Path) -> GoogleStore:
    return make_google_store(google_campaign(tmp_path), tmp_path, fake)


def book(fake: FakeGoogle, store: GoogleStore, index: int = 0) -> Any:
    sid = store.spreadsheet_id(store.campaign.units[index])
    assert sid is not None
    return fake.books[sid]


def cell(sheet: Any, row: int, col: int) -> dict[str, Any]:
    """A stored cell (1-based row, 0-based column) of the fake."""
    return dict(sheet.cells.get((row - 1, col), {}))


def text_of(sheet: Any, row: int, col: int) -> Any:
    return (cell(sheet, row, col).get("userEnteredValue") or {}).get("stringValue")


# --- provisioning ----------------------------------------------------------------------------


def test_provision_builds_tabs_headers_dropdowns_notes_protection_and_shares(
    fake: FakeGoogle, store: GoogleStore, tmp_path: Path
) -> None:
    unit = store.campaign.units[0]
    report = store.provision(unit)
    assert report.created and report.actions[0].startswith("Tạo mới sổ https://docs.google.com/")
    assert f"Chia sẻ quyền chỉnh sửa cho {EDITOR}" in report.actions
    assert fake.counts["sheets.spreadsheets.batchUpdate"] == 1
    spreadsheet = book(fake, store)
    titles = [s.title for s in spreadsheet.sheets]
    assert titles == [GUIDE_TAB, SUMMARY_TAB, "Đại biểu", "Đăng ký"]
    dai_bieu, dang_ky = spreadsheet.sheets[2], spreadsheet.sheets[3]
    assert [text_of(dai_bieu, 1, c) for c in range(7)] == [
        "Họ và tên",
        "Giới tính",
        "Năm sinh",
        "Dân tộc",
        "Ngày vào Công đoàn",
        "Công nhân lao động trực tiếp",
        "Kết quả kiểm tra",
    ]
    assert cell(dai_bieu, 1, 0)["note"] == "Ghi đầy đủ họ và tên có dấu"
    rule = cell(dai_bieu, 2, 1)["dataValidation"]
    assert rule["condition"]["type"] == "ONE_OF_LIST" and rule["strict"] and rule["showCustomUi"]
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == ["Nam", "Nữ"]
    assert "dataValidation" not in cell(dai_bieu, 1, 1)  # not on the header
    assert len(cell(dai_bieu, 100, 3)["dataValidation"]["condition"]["values"]) == 54
    assert dai_bieu.properties["gridProperties"]["frozenRowCount"] == 1
    # header_row 3 with its title block above
    assert text_of(dang_ky, 1, 0) == "BẢNG ĐĂNG KÝ DANH HIỆU THI ĐUA NĂM 2025"
    assert text_of(dang_ky, 3, 0) == "Họ và tên" and text_of(dang_ky, 3, 3) == "Kết quả kiểm tra"
    assert dang_ky.properties["gridProperties"]["frozenRowCount"] == 3
    assert "dataValidation" in cell(dang_ky, 4, 1) and "dataValidation" not in cell(dang_ky, 3, 1)
    ranges = sorted(
        (
            p["range"].get("startRowIndex", 0),
            p["range"].get("endRowIndex"),
            p["range"].get("startColumnIndex"),
            p.get("warningOnly", False),
        )
        for p in dang_ky.protected_ranges
    )
    assert ranges == [(0, 3, None, False), (3, None, 3, False)]
    assert all(SERVICE_ACCOUNT in p["editors"]["users"] for p in dang_ky.protected_ranges)
    perms = fake.drive_files[spreadsheet.id]["_permissions"]
    assert [(p["emailAddress"], p["role"]) for p in perms if p["id"] != "owner"] == [
        (EDITOR, "writer")
    ]
    registry = (tmp_path / ".thidua" / "google.json").read_text(encoding="utf-8")
    assert spreadsheet.id in registry
    assert store.location(unit) == f"https://docs.google.com/spreadsheets/d/{spreadsheet.id}/edit"


def test_sharing_sends_no_email_unless_configured(fake: FakeGoogle, tmp_path: Path) -> None:
    seen: list[str] = []
    original = fake.handle

    def spy(method: str, path: str, query: str, body: bytes, headers: dict[str, str]) -> Any:
        if path.endswith("/permissions"):
            seen.append(query)
        return original(method, path, query, body, headers)

    fake.handle = spy  # type: ignore[method-assign,assignment]
    quiet = make_google_store(google_campaign(tmp_path), tmp_path, fake)
    quiet.provision(quiet.campaign.units[0])
    loud_dir = tmp_path / "loud"
    loud_dir.mkdir()
    loud = make_google_store(google_campaign(loud_dir, "  notify_editors: true\n"), loud_dir, fake)
    loud.provision(loud.campaign.units[0])
    assert ["sendNotificationEmail=false" in q for q in seen] == [True, False]
    assert "sendNotificationEmail=true" in seen[1]


def test_reprovision_is_idempotent_and_makes_no_write(fake: FakeGoogle, store: GoogleStore) -> None:
    unit = store.campaign.units[0]
    store.provision(unit)
    store.put_rows(unit.id, "dai_bieu", [{"ho_ten": "Nguyễn Thị Hoa", "gioi_tinh": "Nữ"}])
    protected = [len(s.protected_ranges) for s in book(fake, store).sheets]
    fake.reset_counts()
    report = store.provision(unit)
    assert report.actions == ["Không có thay đổi"]
    assert fake.writes() == 0 and fake.reads() == 1
    assert [len(s.protected_ranges) for s in book(fake, store).sheets] == protected
    assert text_of(book(fake, store).sheets[2], 2, 0) == "Nguyễn Thị Hoa"


def test_reprovision_restores_a_removed_protection_once(
    fake: FakeGoogle, store: GoogleStore
) -> None:
    unit = store.campaign.units[0]
    store.provision(unit)
    sheet = book(fake, store).sheets[2]
    sheet.protected_ranges.pop()
    report = store.provision(unit)
    assert report.actions == ["Khoá lại dòng tiêu đề và cột 'Kết quả kiểm tra' tab 'Đại biểu'"]
    assert len(sheet.protected_ranges) == 2
    assert store.provision(unit).actions == ["Không có thay đổi"]


def test_adopts_an_existing_spreadsheet_given_by_url(fake: FakeGoogle, tmp_path: Path) -> None:
    other = make_google_store(google_campaign(tmp_path / ".."), tmp_path, fake)
    sid = other.api.create_spreadsheet("Sổ của đơn vị", None, "test")
    url = f"https://docs.google.com/spreadsheets/d/{sid}/edit#gid=0"
    adopted_dir = tmp_path / "adopt"
    adopted_dir.mkdir()
    store = make_google_store(google_campaign(adopted_dir, spreadsheet=url), adopted_dir, fake)
    fake.reset_counts()
    report = store.provision(store.campaign.units[0])
    assert not report.created and report.actions[0].startswith("Dùng bảng tính có sẵn")
    assert "Thêm tab 'Đại biểu'" in report.actions
    assert fake.counts["drive.files.create"] == 0
    titles = [s.title for s in fake.books[sid].sheets]
    assert "Sheet1" in titles and "Đại biểu" in titles  # the unit's own tab is kept


def test_storage_quota_error_tells_what_to_do(fake: FakeGoogle, store: GoogleStore) -> None:
    fake.drive_storage_quota_exceeded = True
    with pytest.raises(QuotaExceeded) as caught:
        store.provision(store.campaign.units[0])
    message = str(caught.value)
    assert "Shared Drive" in message and "backend.folder_id" in message
    assert "units[].spreadsheet" in message


def test_shared_drive_folder_works_without_own_storage(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.drive_storage_quota_exceeded = True
    drive_id = fake.add_shared_drive("Thi đua")
    store = make_google_store(
        google_campaign(tmp_path, f"  folder_id: {drive_id}\n"), tmp_path, fake
    )
    assert store.provision(store.campaign.units[0]).created
    assert fake.drive_files[book(fake, store).id]["driveId"] == drive_id


# --- reading ---------------------------------------------------------------------------------


def test_reading_a_unit_is_one_call_even_with_a_missing_tab(
    fake: FakeGoogle, store: GoogleStore
) -> None:
    unit = store.campaign.units[0]
    store.provision(unit)
    store.put_rows(unit.id, "dai_bieu", [{"ho_ten": "A", "nam_sinh": 1985}])
    fake.reset_counts()
    sheets = store.read_unit(unit)
    assert dict(fake.counts) == {"sheets.spreadsheets.get": 1}
    assert sheets.forms["dai_bieu"].frame["nam_sinh"].tolist() == [1985]
    tab = book(fake, store).sheets[3]
    tab.properties["title"] = "Trang tính 2"
    fake.reset_counts()
    sheets = store.read_unit(unit)
    assert dict(fake.counts) == {"sheets.spreadsheets.get": 1}
    (finding,) = sheets.forms["dang_ky"].findings
    assert finding.code == "missing_tab" and "'Trang tính 2'" in finding.message
    assert "đổi tên nó lại thành 'Đăng ký'" in finding.message


def test_deleted_or_unshared_sheet_is_a_problem_and_other_units_go_on(
    fake: FakeGoogle, store: GoogleStore
) -> None:
    first, second = store.campaign.units[0], store.campaign.units[1]
    store.provision(first)
    store.provision(second)
    for status in (403, 404):
        fake.revoke(book(fake, store).id, status)
        sheets = store.read_unit(first)
        assert sheets.problem is not None and sheets.problem.code == "sheet_unavailable"
        assert first.name in sheets.problem.message and f"HTTP {status}" in sheets.problem.message
        assert store.read_unit(second).problem is None
        assert store.revision(first) is None
    fake.restore(book(fake, store).id)
    assert store.read_unit(first).problem is None


# --- feedback --------------------------------------------------------------------------------


def _feedback(rows: dict[int, RowStatus], notes: list[CellNote]) -> UnitFeedback:
    return UnitFeedback(
        unit_id="TP-LAICHAU",
        forms={"dai_bieu": FormFeedback("dai_bieu", status=rows, notes=notes)},
        summary=[["KẾT QUẢ KIỂM TRA"], ["Số lỗi", len(notes)]],
    )


def test_feedback_is_one_write_and_unchanged_feedback_is_none(
    fake: FakeGoogle, store: GoogleStore
) -> None:
    unit = store.campaign.units[0]
    store.provision(unit)
    store.put_rows(unit.id, "dai_bieu", [{"ho_ten": "A"}, {"ho_ten": "B", "nam_sinh": "x"}])
    store.read_unit(unit)
    fake.reset_counts()
    wrong = _feedback(
        {2: RowStatus("✓ Hợp lệ"), 3: RowStatus("✗ 1 lỗi: Năm sinh", "error")},
        [CellNote(3, "nam_sinh", "error", "Năm sinh phải là số")],
    )
    assert store.write_feedback(unit, wrong) is True
    assert dict(fake.counts) == {"sheets.spreadsheets.batchUpdate": 1}
    sheet = book(fake, store).sheets[2]
    assert text_of(sheet, 3, 6) == "✗ 1 lỗi: Năm sinh"
    assert cell(sheet, 3, 2)["note"] == "Năm sinh phải là số"
    assert cell(sheet, 3, 2)["userEnteredFormat"]["backgroundColorStyle"]["rgbColor"][
        "green"
    ] == pytest.approx(199 / 255)
    fake.reset_counts()
    assert store.write_feedback(unit, wrong) is False
    assert fake.counts.total() == 0
    # a new event: one read, then the fix clears the note and colour in one write
    store.read_unit(unit)
    fake.reset_counts()
    fixed = _feedback({2: RowStatus("✓ Hợp lệ"), 3: RowStatus("✓ Hợp lệ")}, [])
    assert store.write_feedback(unit, fixed) is True
    assert dict(fake.counts) == {"sheets.spreadsheets.batchUpdate": 1}
    assert "note" not in cell(sheet, 3, 2) and "userEnteredFormat" not in cell(sheet, 3, 2)
    assert text_of(sheet, 3, 6) == "✓ Hợp lệ"
    assert store.read_unit(unit).forms["dai_bieu"].status == {2: "✓ Hợp lệ", 3: "✓ Hợp lệ"}


def test_a_note_the_unit_wrote_itself_is_kept(fake: FakeGoogle, store: GoogleStore) -> None:
    unit = store.campaign.units[0]
    store.provision(unit)
    store.put_rows(unit.id, "dai_bieu", [{"ho_ten": "A"}])
    book(fake, store).sheets[2].cell(1, 0)["note"] = "Đã hỏi lại cán bộ"
    store.read_unit(unit)
    store.write_feedback(unit, _feedback({2: RowStatus("✓ Hợp lệ")}, []))
    assert cell(book(fake, store).sheets[2], 2, 0)["note"] == "Đã hỏi lại cán bộ"


# --- consolidated ----------------------------------------------------------------------------


def test_consolidated_is_raw_and_at_most_two_writes(fake: FakeGoogle, store: GoogleStore) -> None:
    names = pd.DataFrame({"Mã đơn vị": ["A", "B"], "Họ và tên": ['=IMPORTXML("http://x")', "Hoa"]})
    totals = pd.DataFrame({"Đơn vị": ["A", "Tổng cộng"], "Số dòng": [2, 2]})
    data = Consolidated(
        tables={"Tổng hợp": totals, "Đại biểu": names, "Cần sửa": names.iloc[:0]},
        total_rows={"Tổng hợp": [1]},
    )
    where = store.write_consolidated(data)
    fake.reset_counts()
    assert store.write_consolidated(data) == where
    assert fake.writes() <= 2 and fake.reads() == 1
    assert fake.counts["sheets.spreadsheets.values.batchUpdate"] == 1
    sid = store.consolidated_id()
    assert sid is not None
    sheets = {s.title: s for s in fake.books[sid].sheets}
    assert list(sheets) == ["Tổng hợp", "Đại biểu", "Cần sửa"]
    formula = cell(sheets["Đại biểu"], 2, 1)["userEnteredValue"]
    assert formula == {"stringValue": '=IMPORTXML("http://x")'}
    assert cell(sheets["Tổng hợp"], 3, 0)["userEnteredFormat"]["textFormat"]["bold"] is True
    assert store.read_consolidated()["Đại biểu"][1] == ["A", '=IMPORTXML("http://x")']
    smaller = Consolidated(tables={"Tổng hợp": totals.iloc[:1]}, total_rows={})
    store.write_consolidated(smaller)
    assert store.read_consolidated() == {"Tổng hợp": [["Đơn vị", "Số dòng"], ["A", 2]]}


# --- retries, pacing and errors --------------------------------------------------------------


def _retrying_store(fake: FakeGoogle, tmp_path: Path, sleeps: list[float]) -> GoogleStore:
    store = make_google_store(google_campaign(tmp_path), tmp_path, fake)
    store.policy.sleep = sleeps.append
    store.policy.rand = lambda: 0.5
    return store


def test_429_twice_then_success(fake: FakeGoogle, tmp_path: Path) -> None:
    sleeps: list[float] = []
    store = _retrying_store(fake, tmp_path, sleeps)
    unit = store.campaign.units[0]
    store.provision(unit)
    fake.reset_counts()
    fake.faults.add(status=429, method="sheets.spreadsheets.get", times=2)
    assert store.read_unit(unit).problem is None
    assert fake.counts["sheets.spreadsheets.get"] == 3
    assert sleeps == [0.25, 0.5]  # full jitter (rand 0.5) over 0.5 s, 1 s


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(fake: FakeGoogle, tmp_path: Path, status: int) -> None:
    sleeps: list[float] = []
    store = _retrying_store(fake, tmp_path, sleeps)
    unit = store.campaign.units[0]
    store.provision(unit)
    fake.faults.add(status=status, method="sheets.spreadsheets.get", times=1)
    assert store.read_unit(unit).problem is None and len(sleeps) == 1


def test_retry_after_is_honoured(fake: FakeGoogle, tmp_path: Path) -> None:
    sleeps: list[float] = []
    store = _retrying_store(fake, tmp_path, sleeps)
    unit = store.campaign.units[0]
    store.provision(unit)
    fake.faults.add(status=429, method="sheets.spreadsheets.get", times=1, retry_after=7)
    store.read_unit(unit)
    assert sleeps == [7.0]


def test_gives_up_after_bounded_attempts_with_a_vietnamese_error(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    store = _retrying_store(fake, tmp_path, sleeps)
    unit = store.campaign.units[0]
    store.provision(unit)
    fake.reset_counts()
    fake.faults.add(status=429, method="sheets.spreadsheets.get", times=100)
    with pytest.raises(QuotaExceeded, match="300 lần/phút"):
        store.read_unit(unit)
    assert fake.counts["sheets.spreadsheets.get"] == store.policy.attempts == 6
    fake.faults.clear()
    fake.faults.add(status=503, method="sheets.spreadsheets.get", times=100)
    with pytest.raises(RemoteError, match="HTTP 503"):
        store.read_unit(unit)


def test_total_retry_time_is_bounded(fake: FakeGoogle, tmp_path: Path) -> None:
    sleeps: list[float] = []
    store = _retrying_store(fake, tmp_path, sleeps)
    unit = store.campaign.units[0]
    store.provision(unit)
    fake.faults.add(status=429, method="sheets.spreadsheets.get", times=100, retry_after=40)
    with pytest.raises(QuotaExceeded):
        store.read_unit(unit)
    assert sleeps == [40.0]  # a second 40 s wait would pass the 60 s budget


def test_timeouts_are_retried_then_reported(fake: FakeGoogle, tmp_path: Path) -> None:
    sleeps: list[float] = []
    store = _retrying_store(fake, tmp_path, sleeps)
    unit = store.campaign.units[0]
    store.provision(unit)
    original = fake.handle
    failures = {"left": 1}

    def flaky(*args: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise requests.ReadTimeout("read timed out")
        return original(*args)

    fake.handle = flaky  # type: ignore[method-assign,assignment]
    assert store.read_unit(unit).problem is None and len(sleeps) == 1
    failures["left"] = 100
    with pytest.raises(RemoteError, match="không trả lời kịp"):
        store.read_unit(unit)


def test_token_bucket_paces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(per_minute=60, burst=2, sleep=sleep, clock=lambda: now[0])
    for _ in range(12):
        bucket.acquire()
    assert sum(slept) == pytest.approx(10.0)  # 2 at once, then one a second


def test_retry_policy_defaults_are_bounded() -> None:
    policy = RetryPolicy()
    assert policy.attempts == 6 and policy.total == 60.0
    assert policy.delay(1, None) <= 0.5 and policy.delay(10, None) <= 16.0


def test_open_store_builds_the_google_store_and_asks_for_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    campaign = google_campaign(tmp_path)
    with pytest.raises(ConfigError, match=r"backend\.credentials"):
        open_store(campaign)
    missing = google_campaign(tmp_path, "  credentials: khoa.json\n")
    with pytest.raises(ConfigError, match="Không thấy tệp khoá"):
        open_store(missing)
