"""A campaign kept as a Google Sheet: the organiser's configuration beside the units' sheets.

`thidua check https://docs.google.com/spreadsheets/d/<id>/edit` (or the bare id) reads the
spreadsheet's tabs with the service account (`GOOGLE_APPLICATION_CREDENTIALS`) and loads it
like a `campaign.xlsx` (same tabs, same messages naming tab, row and column). `sync.stores`
registers it with `sync.campaign.load_campaign` (and imports this module only when needed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ... import i18n
from ...campaign.workbook import Grid
from ...errors import ConfigError, ConfigIssue
from .auth import SCOPES

_URL_RE = re.compile(r"^https://docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]{20,})")
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{25,}$")


def sheet_id(ref: str) -> str | None:
    """The spreadsheet id of a Google Sheets URL or a bare id (None: not one)."""
    m = _URL_RE.match(ref.strip())
    if m:
        return m.group(1)
    return ref.strip() if _ID_RE.fullmatch(ref.strip()) else None


def service_account_client() -> Any:
    """A gspread client acting as the service account of `GOOGLE_APPLICATION_CREDENTIALS`."""
    import gspread
    from google.oauth2 import service_account

    from .retry import RetryingHTTPClient

    key = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not key or not Path(key).is_file():
        raise ConfigError(i18n.t("workbook.google_no_credentials"))
    try:
        creds = service_account.Credentials.from_service_account_file(key, scopes=SCOPES)
    except (ValueError, KeyError, OSError) as exc:
        raise ConfigError(i18n.t("google.bad_key", path=key, error=type(exc).__name__)) from None
    return gspread.Client(auth=creds, http_client=RetryingHTTPClient)


CLIENT: Callable[[], Any] = service_account_client
"""Makes the client that reads campaign sheets (tests point it at the fake server)."""


def read_campaign_sheet(ref: str) -> tuple[Grid, str]:
    """Every tab of the campaign spreadsheet as values: numbers as numbers, dates as the
    text the organiser sees (dd/mm/yyyy …)."""
    from gspread.exceptions import APIError, SpreadsheetNotFound

    sid = sheet_id(ref)
    assert sid is not None
    client = CLIENT()
    try:
        book = client.open_by_key(sid)
        worksheets = book.worksheets()
        ranges = ["'" + ws.title.replace("'", "''") + "'" for ws in worksheets]
        found = book.values_batch_get(
            ranges,
            params={
                "valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "FORMATTED_STRING",
            },
        )
    except (APIError, SpreadsheetNotFound) as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        key = "workbook.google_denied" if status == 403 else "workbook.google_not_found"
        raise ConfigError([ConfigIssue(ref, "", i18n.t(key, sheet=sid))]) from None
    values = found.get("valueRanges", [])
    grid: Grid = {
        ws.title: [list(row) for row in (vr.get("values") or [])]
        for ws, vr in zip(worksheets, values, strict=False)
    }
    return grid, f"Google Sheet «{book.title}»"
