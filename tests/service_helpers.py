"""Helpers for the service tests: a small local campaign, workbook rows, signed requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl

from sync.keys import unit_key
from webhooks.signing import HEADER, sign

SECRET = "s3cret-for-tests-only"
"""The server's key of the test service (never a unit's)."""
CAMPAIGN_ID = "svc-test"
TEMPLATE = """\
id: ds
title: Danh sách
tab: Danh sách
columns:
  - {key: ho_ten, header: Họ và tên, type: text, required: true}
  - {key: nam_sinh, header: Năm sinh, type: year, min: 1955, max: 2007, required: true}
"""
CAMPAIGN = """\
campaign: {id: svc-test, title: Đợt thử dịch vụ, organizer: LĐLĐ tỉnh, timezone: Asia/Ho_Chi_Minh}
backend: {kind: local, path: ./workbooks}
units:
  - {id: DV1, name: Đơn vị Một, quotas: {ds: 3}}
  - {id: DV2, name: Đơn vị Hai, quotas: {ds: 3}}
forms:
  - id: ds
    template: ./ds.yaml
    due: 2099-04-20T17:00
    rules: [{kind: max_rows, quota: true}]
"""


def make_campaign(folder: Path) -> Path:
    """Write the campaign and provision both units' workbooks; returns campaign.yaml."""
    from sync.campaign import load_campaign
    from sync.stores import open_store

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ds.yaml").write_text(TEMPLATE, encoding="utf-8")
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    campaign = load_campaign(path)
    store = open_store(campaign)
    for unit in campaign.units:
        store.provision(unit)
    return path


def write_rows(campaign_file: Path, unit: str, rows: list[list[Any]]) -> None:
    """Replace the data rows of the unit's `Danh sách` tab (from sheet row 2)."""
    path = campaign_file.parent / "workbooks" / f"{unit}.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Danh sách"]
    for r in range(2, max(ws.max_row, 2) + 1):
        for c in (1, 2):
            ws.cell(row=r, column=c).value = None
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j).value = value
    wb.save(path)


def status_column(campaign_file: Path, unit: str) -> list[Any]:
    """The feedback column (C) of the data rows written so far."""
    path = campaign_file.parent / "workbooks" / f"{unit}.xlsx"
    ws = openpyxl.load_workbook(path)["Danh sách"]
    values = [ws.cell(row=r, column=3).value for r in range(2, ws.max_row + 1)]
    while values and values[-1] is None:
        values.pop()
    return values


def event(unit: str = "DV1", kind: str = "edit", **extra: Any) -> dict[str, Any]:
    return {
        "spreadsheetId": unit,
        "sheet": "Danh sách",
        "range": "A2",
        "user": "nv@example.vn",
        "event": kind,
        **extra,
    }


def key_of(unit: str, generation: int = 1) -> str:
    """A unit's Apps Script key in the test campaign (as `thidua keys` prints it)."""
    return unit_key(SECRET, CAMPAIGN_ID, unit, generation)


def signed_headers(
    body: bytes,
    key: str | None = None,
    t: int | None = None,
    *,
    method: str = "POST",
    path: str = "/hooks/sheets",
) -> dict[str, str]:
    """Headers of a request signed with `key` (default: unit DV1's key)."""
    return {
        HEADER: sign(key or key_of("DV1"), method, path, body, t),
        "Content-Type": "application/json",
    }


def post_event(client: Any, data: Any, key: str | None = None, t: int | None = None) -> Any:
    """POST an event signed with `key` (default: the key of the unit the event names)."""
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    if key is None:
        unit = data.get("spreadsheetId") if isinstance(data, dict) else None
        key = key_of(unit if unit in ("DV1", "DV2") else "DV1")
    return client.post("/hooks/sheets", data=body, headers=signed_headers(body, key, t))


def signed_get(client: Any, path: str, key: str, t: int | None = None, **kwargs: Any) -> Any:
    """A signed GET (empty body); `path` may carry a query string (not signed)."""
    bare = path.split("?", 1)[0]
    return client.get(path, headers={HEADER: sign(key, "GET", bare, b"", t)}, **kwargs)
