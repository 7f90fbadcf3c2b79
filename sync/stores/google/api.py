"""The Google calls the store makes, one HTTP request each, errors translated."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from gspread.urls import (
    DRIVE_FILES_API_V3_URL,
    SPREADSHEET_BATCH_UPDATE_URL,
    SPREADSHEET_URL,
    SPREADSHEET_VALUES_BATCH_UPDATE_URL,
)

from .retry import GOOGLE_ERRORS, RetryingHTTPClient, translate

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DRIVE_CHANNELS_STOP_URL = "https://www.googleapis.com/drive/v3/channels/stop"
_ID_IN_URL = re.compile(r"/spreadsheets/d/([a-zA-Z0-9_-]+)")
_BARE_ID = re.compile(r"[a-zA-Z0-9_-]{20,}")


def spreadsheet_id(text: str) -> str | None:
    """The id in a spreadsheet URL, or the text itself when it looks like an id."""
    text = text.strip()
    found = _ID_IN_URL.search(text)
    if found:
        return found.group(1)
    return text if _BARE_ID.fullmatch(text) else None


def url_of(sid: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{sid}/edit"


class Api:
    """Thin, counted wrapper over the HTTP client (every method = exactly one request)."""

    def __init__(self, http: RetryingHTTPClient) -> None:
        self.http = http

    def _call(self, what: str, method: str, url: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, url, **kwargs)
            return response.json() if response.content else {}
        except GOOGLE_ERRORS as exc:
            raise translate(exc, what) from None

    def get(
        self,
        sid: str,
        fields: str,
        what: str,
        ranges: Sequence[str] = (),
        grid: bool = False,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"fields": fields}
        if ranges:
            params["ranges"] = list(ranges)
        if grid:
            params["includeGridData"] = "true"
        result: dict[str, Any] = self._call(what, "get", SPREADSHEET_URL % sid, params=params)
        return result

    def batch_update(self, sid: str, requests: list[dict[str, Any]], what: str) -> Any:
        return self._call(
            what, "post", SPREADSHEET_BATCH_UPDATE_URL % sid, json={"requests": requests}
        )

    def values_batch_update(self, sid: str, data: list[dict[str, Any]], what: str) -> Any:
        body = {"valueInputOption": "RAW", "data": data}
        return self._call(what, "post", SPREADSHEET_VALUES_BATCH_UPDATE_URL % sid, json=body)

    def create_spreadsheet(self, name: str, folder_id: str | None, what: str) -> str:
        body: dict[str, Any] = {"name": name, "mimeType": SPREADSHEET_MIME}
        if folder_id:
            body["parents"] = [folder_id]
        params = {"supportsAllDrives": "true", "fields": "id"}
        found = self._call(what, "post", DRIVE_FILES_API_V3_URL, params=params, json=body)
        return str(found["id"])

    def copy_file(self, file_id: str, name: str, folder_id: str | None, what: str) -> str:
        """Drive `files.copy`: a copy of a spreadsheet carries its bound Apps Script."""
        body: dict[str, Any] = {"name": name}
        if folder_id:
            body["parents"] = [folder_id]
        params = {"supportsAllDrives": "true", "fields": "id"}
        url = f"{DRIVE_FILES_API_V3_URL}/{file_id}/copy"
        found = self._call(what, "post", url, params=params, json=body)
        return str(found["id"])

    def share(self, file_id: str, email: str, notify: bool, what: str) -> None:
        params = {
            "supportsAllDrives": "true",
            "sendNotificationEmail": "true" if notify else "false",
            "fields": "id",
        }
        body = {"type": "user", "role": "writer", "emailAddress": email}
        url = f"{DRIVE_FILES_API_V3_URL}/{file_id}/permissions"
        self._call(what, "post", url, params=params, json=body)

    def modified_time(self, file_id: str, what: str) -> str | None:
        params = {"supportsAllDrives": "true", "fields": "modifiedTime"}
        found = self._call(what, "get", f"{DRIVE_FILES_API_V3_URL}/{file_id}", params=params)
        value = found.get("modifiedTime")
        return str(value) if value else None

    # -- change signals (push channels, polling) -----------------------------------------
    def watch(self, file_id: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        """Drive `files.watch`: open a push channel on one file."""
        url = f"{DRIVE_FILES_API_V3_URL}/{file_id}/watch"
        params = {"supportsAllDrives": "true"}
        found: dict[str, Any] = self._call(what, "post", url, params=params, json=body)
        return found

    def stop_channel(self, channel_id: str, resource_id: str, what: str) -> None:
        """Drive `channels.stop`."""
        body = {"id": channel_id, "resourceId": resource_id}
        self._call(what, "post", DRIVE_CHANNELS_STOP_URL, json=body)

    def list_files(self, q: str, fields: str, what: str, page_token: str | None = None) -> Any:
        """Drive `files.list` over My Drive and shared drives."""
        params = {
            "q": q,
            "fields": fields,
            "pageSize": "1000",
            "supportsAllDrives": "true",
            "includeItemsFromAllDrives": "true",
            "corpora": "allDrives",
        }
        if page_token:
            params["pageToken"] = page_token
        return self._call(what, "get", DRIVE_FILES_API_V3_URL, params=params)
