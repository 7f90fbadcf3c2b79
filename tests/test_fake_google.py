"""The fake Google server driven through the real gspread library."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import gspread
import pytest
import requests
from gspread.exceptions import APIError, SpreadsheetNotFound
from gspread.utils import Dimension, ValidationConditionType, ValueRenderOption

from tests.fake_google import FakeGoogle
from tests.fake_google.__main__ import serve

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
DRIVE = "https://www.googleapis.com/drive/v3"


@pytest.fixture
def fake() -> FakeGoogle:
    return FakeGoogle()


@pytest.fixture
def client(fake: FakeGoogle) -> gspread.Client:
    return fake.gspread_client()


def _grid(client: gspread.Client, sheet: gspread.Spreadsheet, rng: str) -> list[dict[str, Any]]:
    meta = sheet.fetch_sheet_metadata({"ranges": [rng], "includeGridData": "true"})
    rows = meta["sheets"][0]["data"][0].get("rowData", [])
    return [cell for row in rows for cell in row.get("values", [])]


def test_create_add_worksheet_update_and_batch_get(
    fake: FakeGoogle, client: gspread.Client
) -> None:
    sh = client.create("Đơn vị 01")
    ws = sh.add_worksheet("Danh sách", rows=20, cols=5)
    ws.update([["Họ tên", "Tuổi"], ["An", 30]], "A1")
    got = sh.values_batch_get(["'Danh sách'!A1:B2", "Sheet1!A1"])
    assert got["valueRanges"][0]["values"] == [["Họ tên", "Tuổi"], ["An", "30"]]
    assert got["valueRanges"][0]["range"] == "'Danh sách'!A1:B2"
    assert "values" not in got["valueRanges"][1]
    assert [w.title for w in client.open_by_key(sh.id).worksheets()] == ["Sheet1", "Danh sách"]
    assert ws.row_count == 20 and ws.col_count == 5


def test_spreadsheet_is_a_drive_file_whose_modified_time_moves(client: gspread.Client) -> None:
    sh = client.create("Tổng hợp")
    first = client.open_by_key(sh.id).get_lastUpdateTime()
    sh.sheet1.update([["x"]], "A1")
    second = client.open_by_key(sh.id).get_lastUpdateTime()
    assert second > first
    files = client.list_spreadsheet_files("Tổng hợp")
    assert [f["id"] for f in files] == [sh.id]


def test_raw_keeps_formulas_as_text_user_entered_parses(client: gspread.Client) -> None:
    sh = client.create("Raw")
    ws = sh.sheet1
    ws.update([['=IMPORTXML("http://x", "//a")', "12", "TRUE"]], "A1", raw=True)
    ws.update([["=1+2", "12", "TRUE"]], "A2", raw=False)
    raw_row, entered_row = ws.get("A1:C2", value_render_option=ValueRenderOption.unformatted)
    assert raw_row == ['=IMPORTXML("http://x", "//a")', "12", "TRUE"]
    assert entered_row == [3, 12, True]
    cells = _grid(client, sh, "Sheet1!A1:C2")
    assert cells[0]["userEnteredValue"] == {"stringValue": '=IMPORTXML("http://x", "//a")'}
    assert cells[3]["userEnteredValue"] == {"formulaValue": "=1+2"}
    assert ws.get("A2", value_render_option=ValueRenderOption.formula) == [["=1+2"]]


def test_columns_major_dimension(client: gspread.Client) -> None:
    ws = client.create("Cols").sheet1
    ws.update([["a", "b"], ["c", "d"]], "A1")
    assert ws.get("A1:B2", major_dimension=Dimension.cols) == [["a", "c"], ["b", "d"]]


def test_notes_round_trip(client: gspread.Client) -> None:
    ws = client.create("Notes").sheet1
    ws.update_note("B2", "Thiếu ngày sinh")
    assert ws.get_note("B2") == "Thiếu ngày sinh"
    ws.clear_note("B2")
    assert ws.get_note("B2") == ""


def test_data_validation_is_stored_on_cells(client: gspread.Client) -> None:
    sh = client.create("Validation")
    sh.sheet1.add_validation(
        "A2:A3", ValidationConditionType.one_of_list, ["Có", "Không"], strict=True
    )
    cells = _grid(client, sh, "Sheet1!A2:A3")
    assert len(cells) == 2
    rule = cells[0]["dataValidation"]
    assert rule["condition"]["type"] == "ONE_OF_LIST"
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == ["Có", "Không"]


def test_protected_ranges_add_list_delete(client: gspread.Client) -> None:
    sh = client.create("Protect")
    ws = sh.sheet1
    reply = ws.add_protected_range("A1:C1", editor_users_emails=["a@example.com"])
    added = reply["replies"][0]["addProtectedRange"]["protectedRange"]
    listed = sh.list_protected_ranges(ws.id)
    assert [p["protectedRangeId"] for p in listed] == [added["protectedRangeId"]]
    assert "a@example.com" in listed[0]["editors"]["users"]
    assert listed[0]["range"] == {
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 0,
        "endColumnIndex": 3,
    }
    ws.delete_protected_range(added["protectedRangeId"])
    assert sh.list_protected_ranges(ws.id) == []


def test_batch_update_background_colour_with_fields_mask(client: gspread.Client) -> None:
    sh = client.create("Colour")
    ws = sh.sheet1
    ws.update([["x", "y"]], "A1")
    red = {"red": 1, "green": 0.8, "blue": 0.8}
    sh.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "range": {
                            "sheetId": ws.id,
                            "startRowIndex": 0,
                            "endRowIndex": 1,
                            "startColumnIndex": 1,
                            "endColumnIndex": 2,
                        },
                        "rows": [
                            {
                                "values": [
                                    {"note": "sai", "userEnteredFormat": {"backgroundColor": red}}
                                ]
                            }
                        ],
                        "fields": "note,userEnteredFormat.backgroundColor",
                    }
                }
            ]
        }
    )
    cells = _grid(client, sh, "Sheet1!A1:B1")
    assert cells[1]["note"] == "sai"
    assert cells[1]["userEnteredFormat"]["backgroundColor"] == red
    assert cells[1]["userEnteredValue"] == {"stringValue": "y"}  # not in the mask: kept


def test_batch_update_is_atomic(client: gspread.Client) -> None:
    sh = client.create("Atomic")
    with pytest.raises(APIError) as err:
        sh.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "New"}}},
                    {"deleteSheet": {"sheetId": 424242}},
                ]
            }
        )
    assert err.value.response.status_code == 400
    assert "requests[1].deleteSheet" in err.value.response.json()["error"]["message"]
    assert [w.title for w in client.open_by_key(sh.id).worksheets()] == ["Sheet1"]


def test_drive_list_with_q_folder_and_paging(fake: FakeGoogle, client: gspread.Client) -> None:
    session = client.http_client.session
    folder = session.post(
        f"{DRIVE}/files",
        json={"name": "Đợt 2025", "mimeType": "application/vnd.google-apps.folder"},
    ).json()
    inside = [client.create(f"Đơn vị {i}", folder_id=folder["id"]) for i in range(3)]
    client.create("Ngoài thư mục")
    q = (
        f"'{folder['id']}' in parents and mimeType = "
        "'application/vnd.google-apps.spreadsheet' and trashed = false"
    )
    page = session.get(
        f"{DRIVE}/files",
        params={"q": q, "pageSize": "2", "fields": "nextPageToken,files(id,name,modifiedTime)"},
    ).json()
    assert len(page["files"]) == 2 and set(page["files"][0]) == {"id", "name", "modifiedTime"}
    rest = session.get(
        f"{DRIVE}/files", params={"q": q, "pageSize": "2", "pageToken": page["nextPageToken"]}
    ).json()
    assert "nextPageToken" not in rest
    ids = {f["id"] for f in page["files"] + rest["files"]}
    assert ids == {s.id for s in inside}
    cutoff = fake.drive_files[inside[1].id]["modifiedTime"]
    newer = session.get(
        f"{DRIVE}/files", params={"q": f"{q} and modifiedTime > '{cutoff}'"}
    ).json()["files"]
    assert [f["id"] for f in newer] == [inside[2].id]


def test_drive_bad_query_is_400(client: gspread.Client) -> None:
    resp = client.http_client.session.get(f"{DRIVE}/files", params={"q": "owner is me"})
    assert resp.status_code == 400
    assert resp.json()["error"]["errors"][0]["location"] == "q"


def test_permissions_share_list_remove(client: gspread.Client) -> None:
    sh = client.create("Share")
    sh.share("canbo@example.com", perm_type="user", role="writer", notify=False)
    emails = {p.get("emailAddress") for p in sh.list_permissions()}
    assert "canbo@example.com" in emails
    sh.remove_permissions("canbo@example.com")
    assert "canbo@example.com" not in {p.get("emailAddress") for p in sh.list_permissions()}


def test_429_injection_counts_and_recovery(fake: FakeGoogle, client: gspread.Client) -> None:
    sh = client.create("Quota")
    ws = sh.sheet1
    fake.reset_counts()
    fake.faults.add(
        status=429, method="sheets.spreadsheets.values.batchGet", times=2, retry_after=1
    )
    for _ in range(2):
        with pytest.raises(APIError) as err:
            sh.values_batch_get(["Sheet1!A1"])
        assert err.value.response.status_code == 429
        assert err.value.response.headers["Retry-After"] == "1"
        assert err.value.response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert sh.values_batch_get(["Sheet1!A1"])["spreadsheetId"] == sh.id
    assert fake.counts["sheets.spreadsheets.values.batchGet"] == 3
    ws.update([["a"]], "A1")
    assert (fake.reads(), fake.writes()) == (3, 1)


def test_5xx_fault_has_google_body(fake: FakeGoogle, client: gspread.Client) -> None:
    sh = client.create("Flaky")
    fake.faults.add(status=503)
    resp = client.http_client.session.get(f"{SHEETS}/{sh.id}")
    assert resp.status_code == 503
    assert resp.json()["error"] == {
        "code": 503,
        "status": "UNAVAILABLE",
        "message": "The service is currently unavailable.",
    }
    assert client.http_client.session.get(f"{SHEETS}/{sh.id}").status_code == 200


def test_latency_is_injected_per_request(fake: FakeGoogle, client: gspread.Client) -> None:
    slept: list[float] = []
    fake.sleep = slept.append
    fake.latency = 0.25
    fake.latency_by_method["sheets.spreadsheets.values.get"] = 1.5
    sh = client.create("Slow")
    sh.sheet1.get("A1")
    assert slept[-1] == 1.5 and 0.25 in slept


def test_unknown_field_and_wrong_type_get_googles_400(client: gspread.Client) -> None:
    sh = client.create("Bad")
    with pytest.raises(APIError) as err:
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "x", "foo": 1}}}]})
    body = err.value.response.json()["error"]
    message = (
        'Invalid JSON payload received. Unknown name "foo" at '
        "'requests[0].add_sheet.properties': Cannot find field."
    )
    assert body["code"] == 400 and body["status"] == "INVALID_ARGUMENT"
    assert body["message"] == message
    assert body["details"][0]["fieldViolations"] == [
        {"field": "requests[0].add_sheet.properties", "description": message}
    ]
    resp = client.http_client.session.put(
        f"{SHEETS}/{sh.id}/values/Sheet1!A1",
        params={"valueInputOption": "RAW"},
        json={"values": "X"},
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["message"] == (
        "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), \"X\""
    )
    drive_bad = client.http_client.session.post(f"{DRIVE}/files", json={"name": 123})
    assert drive_bad.status_code == 400
    assert drive_bad.json()["error"]["errors"][0]["reason"] == "invalid"
    bad_enum = client.http_client.session.get(
        f"{SHEETS}/{sh.id}/values/Sheet1!A1", params={"valueRenderOption": "PRETTY"}
    )
    assert bad_enum.status_code == 400


def test_unknown_and_revoked_spreadsheets(fake: FakeGoogle, client: gspread.Client) -> None:
    with pytest.raises(SpreadsheetNotFound):
        client.open_by_key("test")
    resp = client.http_client.session.get(f"{SHEETS}/test")
    assert resp.json() == {
        "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    }
    sh = client.create("Revoked")
    fake.revoke(sh.id, 403)
    denied = client.http_client.session.get(f"{SHEETS}/{sh.id}")
    assert denied.status_code == 403
    assert denied.json()["error"]["status"] == "PERMISSION_DENIED"
    fake.revoke(sh.id, 404)
    assert client.http_client.session.get(f"{DRIVE}/files/{sh.id}").status_code == 404


def test_storage_quota_error_and_shared_drive(fake: FakeGoogle, client: gspread.Client) -> None:
    fake.drive_storage_quota_exceeded = True
    with pytest.raises(APIError) as err:
        client.create("Không có chỗ")
    error = err.value.response.json()["error"]
    assert err.value.response.status_code == 403
    assert error["errors"][0]["reason"] == "storageQuotaExceeded"
    drive_id = fake.add_shared_drive("Thi đua")
    sh = client.create("Trong Shared Drive", folder_id=drive_id)
    listed = client.http_client.session.get(
        f"{DRIVE}/files",
        params={
            "corpora": "drive",
            "driveId": drive_id,
            "includeItemsFromAllDrives": "true",
            "supportsAllDrives": "true",
        },
    ).json()
    assert [f["id"] for f in listed["files"]] == [sh.id]


def test_watch_and_stop_channel(fake: FakeGoogle, client: gspread.Client) -> None:
    sh = client.create("Watched")
    session = client.http_client.session
    channel = session.post(
        f"{DRIVE}/files/{sh.id}/watch",
        json={"id": "ch-1", "type": "web_hook", "address": "https://example.invalid/hook"},
    ).json()
    assert channel["kind"] == "api#channel" and channel["id"] == "ch-1"
    stop = session.post(
        f"{DRIVE}/channels/stop", json={"id": "ch-1", "resourceId": channel["resourceId"]}
    )
    assert stop.status_code == 204 and fake.channels == {}


def test_missing_bearer_token_is_401(fake: FakeGoogle) -> None:
    session = requests.Session()
    fake.mount(session)
    assert session.get(f"{SHEETS}/whatever").status_code == 401


@pytest.fixture
def server() -> Iterator[tuple[str, FakeGoogle]]:
    fake = FakeGoogle()
    httpd = serve(0, fake=fake)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", fake
    httpd.shutdown()
    httpd.server_close()


def test_http_server_serves_both_apis(server: tuple[str, FakeGoogle]) -> None:
    base, fake = server
    auth = {"Authorization": "Bearer anything"}
    created = requests.post(
        f"{base}/v4/spreadsheets",
        headers=auth,
        json={"properties": {"title": "Qua HTTP"}},
        timeout=5,
    )
    assert created.status_code == 200
    sid = created.json()["spreadsheetId"]
    put = requests.put(
        f"{base}/v4/spreadsheets/{sid}/values/'Sheet1'!A1:B1",
        headers=auth,
        params={"valueInputOption": "RAW"},
        json={"values": [["a", "b"]]},
        timeout=5,
    )
    assert put.json()["updatedRange"] == "Sheet1!A1:B1"
    meta = requests.get(
        f"{base}/drive/v3/files/{sid}", headers=auth, params={"fields": "id,mimeType"}, timeout=5
    ).json()
    assert meta == {"id": sid, "mimeType": "application/vnd.google-apps.spreadsheet"}
    assert fake.counts["sheets.spreadsheets.values.update"] == 1
