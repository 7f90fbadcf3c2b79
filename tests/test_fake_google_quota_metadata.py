"""The fake's per-minute quotas, developer metadata, copies and default-valued fields."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fake_google import FakeGoogle

SHEETS = "/v4/spreadsheets"
AUTH = {"authorization": "Bearer user-a"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def call(
    fake: FakeGoogle, method: str, path: str, body: Any = None, query: str = "", user: str = "a"
) -> tuple[int, Any]:
    import json

    raw = json.dumps(body).encode() if body is not None else b""
    status, _, payload = fake.handle(
        method, path, query, raw, {"authorization": f"Bearer user-{user}"}
    )
    return status, json.loads(payload) if payload else None


def new_book(fake: FakeGoogle, user: str = "a") -> str:
    status, got = call(fake, "POST", SHEETS, {"properties": {"title": "Đơn vị"}}, user=user)
    assert status == 200
    return str(got["spreadsheetId"])


def test_per_user_read_quota_answers_googles_429_and_refills_after_a_minute() -> None:
    clock = Clock()
    fake = FakeGoogle(quota_per_user=3, clock=clock)
    sid = new_book(fake)
    got = [call(fake, "GET", f"{SHEETS}/{sid}")[0] for _ in range(4)]
    assert got == [200, 200, 200, 429]
    status, body = call(fake, "GET", f"{SHEETS}/{sid}")
    assert status == 429
    error = body["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["message"].startswith(
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
        "per user' of service 'sheets.googleapis.com'"
    )
    assert error["details"][0]["metadata"]["quota_limit"] == "ReadRequestsPerMinutePerUser"
    # writes have their own budget; another user has its own
    body = {
        "requests": [
            {"updateSpreadsheetProperties": {"properties": {"title": "X"}, "fields": "title"}}
        ]
    }
    assert call(fake, "POST", f"{SHEETS}/{sid}:batchUpdate", body)[0] == 200
    assert call(fake, "GET", f"{SHEETS}/{sid}", user="b")[0] == 200
    assert fake.refused() == 2
    clock.now += 59.9
    assert call(fake, "GET", f"{SHEETS}/{sid}")[0] == 429
    clock.now += 0.2
    assert call(fake, "GET", f"{SHEETS}/{sid}")[0] == 200


def test_per_project_quota_counts_every_user() -> None:
    fake = FakeGoogle(quota_per_user=10, quota_per_project=4, clock=Clock())
    sid = new_book(fake)
    got = [call(fake, "GET", f"{SHEETS}/{sid}", user=u)[0] for u in "abcde"]
    assert got == [200, 200, 200, 200, 429]
    _, body = call(fake, "GET", f"{SHEETS}/{sid}", user="f")
    assert body["error"]["details"][0]["metadata"]["quota_limit"] == "ReadRequestsPerMinute"


def test_without_quota_nothing_is_refused() -> None:
    fake = FakeGoogle()
    sid = new_book(fake)
    assert {call(fake, "GET", f"{SHEETS}/{sid}")[0] for _ in range(100)} == {200}


def _create_meta(key: str, value: str, location: dict[str, Any]) -> dict[str, Any]:
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataKey": key,
                "metadataValue": value,
                "location": location,
                "visibility": "DOCUMENT",
            }
        }
    }


def test_developer_metadata_create_get_search_update_delete() -> None:
    fake = FakeGoogle()
    sid = new_book(fake)
    status, got = call(
        fake,
        "POST",
        f"{SHEETS}/{sid}:batchUpdate",
        {
            "requests": [
                _create_meta("thidua.url", "https://a.example/hooks", {"spreadsheet": True})
            ]
        },
    )
    assert status == 200
    meta = got["replies"][0]["createDeveloperMetadata"]["developerMetadata"]
    assert meta["location"] == {"locationType": "SPREADSHEET", "spreadsheet": True}
    mid = meta["metadataId"]
    listed = call(fake, "GET", f"{SHEETS}/{sid}")[1]["developerMetadata"]
    assert [(m["metadataKey"], m["metadataValue"]) for m in listed] == [
        ("thidua.url", "https://a.example/hooks")
    ]
    assert call(fake, "GET", f"{SHEETS}/{sid}/developerMetadata/{mid}")[1] == meta
    assert call(fake, "GET", f"{SHEETS}/{sid}/developerMetadata/999")[0] == 404
    lookup = {"developerMetadataLookup": {"metadataKey": "thidua.url"}}
    update = {
        "updateDeveloperMetadata": {
            "dataFilters": [lookup],
            "developerMetadata": {"metadataValue": "https://b.example/hooks"},
            "fields": "metadataValue",
        }
    }
    assert call(fake, "POST", f"{SHEETS}/{sid}:batchUpdate", {"requests": [update]})[0] == 200
    found = call(
        fake, "POST", f"{SHEETS}/{sid}/developerMetadata:search", {"dataFilters": [lookup]}
    )[1]
    assert [m["developerMetadata"]["metadataValue"] for m in found["matchedDeveloperMetadata"]] == [
        "https://b.example/hooks"
    ]
    delete = {"deleteDeveloperMetadata": {"dataFilter": lookup}}
    assert call(fake, "POST", f"{SHEETS}/{sid}:batchUpdate", {"requests": [delete]})[0] == 200
    assert "developerMetadata" not in call(fake, "GET", f"{SHEETS}/{sid}")[1]


def test_developer_metadata_requests_are_checked_against_the_discovery_schema() -> None:
    fake = FakeGoogle()
    sid = new_book(fake)
    bad = _create_meta("k", "v", {"spreadsheet": True})
    bad["createDeveloperMetadata"]["developerMetadata"]["visibility"] = "EVERYONE"
    status, got = call(fake, "POST", f"{SHEETS}/{sid}:batchUpdate", {"requests": [bad]})
    assert status == 400
    assert "visibility" in got["error"]["message"]
    missing = _create_meta("k", "v", {"spreadsheet": True})
    del missing["createDeveloperMetadata"]["developerMetadata"]["visibility"]
    status, got = call(fake, "POST", f"{SHEETS}/{sid}:batchUpdate", {"requests": [missing]})
    assert status == 400 and "visibility" in got["error"]["message"]


def test_files_copy_carries_metadata_and_bound_script() -> None:
    fake = FakeGoogle()
    template = new_book(fake)
    fake.books[template].bound_script = "function onOpen() {}"
    call(
        fake,
        "POST",
        f"{SHEETS}/{template}:batchUpdate",
        {"requests": [_create_meta("thidua.template", "1", {"spreadsheet": True})]},
    )
    status, copied = call(
        fake,
        "POST",
        f"/drive/v3/files/{template}/copy",
        {"name": "Đợt 2025 — Đơn vị A"},
        query="supportsAllDrives=true&fields=id,name",
    )
    assert status == 200 and copied["name"] == "Đợt 2025 — Đơn vị A"
    book = call(fake, "GET", f"{SHEETS}/{copied['id']}")[1]
    assert book["properties"]["title"] == "Đợt 2025 — Đơn vị A"
    assert [m["metadataKey"] for m in book["developerMetadata"]] == ["thidua.template"]
    assert fake.books[copied["id"]].bound_script == "function onOpen() {}"


def test_fields_set_back_to_their_default_are_no_longer_listed() -> None:
    fake = FakeGoogle()
    sid = new_book(fake)

    def props() -> dict[str, Any]:
        return dict(call(fake, "GET", f"{SHEETS}/{sid}")[1]["sheets"][0]["properties"])

    def update(grid: dict[str, Any], fields: str) -> None:
        req = {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": grid},
                "fields": fields,
            }
        }
        assert call(fake, "POST", f"{SHEETS}/{sid}:batchUpdate", {"requests": [req]})[0] == 200

    update(
        {"frozenRowCount": 2, "hideGridlines": True}, "gridProperties(frozenRowCount,hideGridlines)"
    )
    assert props()["gridProperties"] == {
        "rowCount": 1000,
        "columnCount": 26,
        "frozenRowCount": 2,
        "hideGridlines": True,
    }
    update(
        {"frozenRowCount": 0, "hideGridlines": False},
        "gridProperties(frozenRowCount,hideGridlines)",
    )
    got = props()
    assert got["gridProperties"] == {"rowCount": 1000, "columnCount": 26}
    assert got["index"] == 0 and got["sheetId"] == 0  # zero with a meaning stays


@pytest.mark.parametrize("value", [0, False])
def test_a_cell_holding_zero_or_false_keeps_its_value(value: Any) -> None:
    fake = FakeGoogle()
    sid = new_book(fake)
    key = "boolValue" if value is False else "numberValue"
    req = {
        "updateCells": {
            "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
            "rows": [{"values": [{"userEnteredValue": {key: value}}]}],
            "fields": "userEnteredValue",
        }
    }
    assert call(fake, "POST", f"{SHEETS}/{sid}:batchUpdate", {"requests": [req]})[0] == 200
    got = call(
        fake, "GET", f"{SHEETS}/{sid}", query="fields=sheets.data.rowData.values.effectiveValue"
    )[1]
    assert got["sheets"][0]["data"][0]["rowData"][0]["values"][0] == {
        "effectiveValue": {key: value}
    }
