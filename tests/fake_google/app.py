"""The fake Google server: a WSGI app with state, request counting, latency and faults."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from . import batch, drive, metadata, sheets
from .discovery import BodyChecker, Method, SchemaViolation, check_query, find_method
from .errors import ApiError, drive_error, error_for, sheets_error
from .fields import apply_mask, parse_mask
from .quota import Quotas
from .state import SERVICE_ACCOUNT, Ids, Spreadsheet, now_rfc3339

READ_METHODS = frozenset(
    {
        "sheets.spreadsheets.getByDataFilter",
        "sheets.spreadsheets.values.batchGetByDataFilter",
        "sheets.spreadsheets.developerMetadata.search",
    }
)


def is_read(method_id: str, http_method: str = "GET") -> bool:
    """Reads: GET-like methods (incl. values.batchGet, spreadsheets.get)."""
    return http_method == "GET" or method_id in READ_METHODS


@dataclass
class Fault:
    status: int
    method: str | None
    times: int
    retry_after: float | None = None


@dataclass
class Faults:
    """Configured faults; each matching request consumes one."""

    items: list[Fault] = field(default_factory=list)

    def add(
        self,
        status: int,
        method: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        self.items.append(Fault(status, method, times, retry_after))

    def clear(self) -> None:
        self.items.clear()

    def take(self, method_id: str) -> Fault | None:
        for fault in self.items:
            if fault.times > 0 and fault.method in (None, method_id):
                fault.times -= 1
                return fault
        return None


Response = tuple[int, dict[str, str], bytes]


class FakeGoogle:
    """Stateful fake of the Sheets v4 + Drive v3 subset the project uses."""

    def __init__(
        self,
        seed: int = 0,
        *,
        quota_per_user: int | None = None,
        quota_per_project: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`quota_per_user` / `quota_per_project`: Sheets read and write requests a minute
        (each kind counted apart, as Google does); over them the fake answers 429."""
        self.ids = Ids(seed)
        self.quotas = Quotas(quota_per_user, quota_per_project, clock)
        self.books: dict[str, Spreadsheet] = {}
        self.drive_files: dict[str, dict[str, Any]] = {}
        self.shared_drives: dict[str, str] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.revoked: dict[str, int] = {}
        self.counts: Counter[str] = Counter()
        self.users: Counter[str] = Counter()  # requests per access token (one per account)
        self.log: list[tuple[str, str]] = []  # (method id, "GET /path")
        self.faults = Faults()
        self.latency: float = 0.0
        self.latency_by_method: dict[str, float] = {}
        self.drive_storage_quota_exceeded = False
        self.sleep: Callable[[float], None] = time.sleep
        self._lock = threading.RLock()
        self.requester = ""  # access token of the request being answered (under _lock)
        self._last_stamp = ""

    # ------------------------------------------------------------ helpers for tests

    def reset_counts(self) -> None:
        self.counts.clear()
        self.users.clear()
        self.log.clear()

    def refused(self) -> int:
        """Requests refused with 429 for a quota (not counting injected faults)."""
        return self.quotas.refused

    def reads(self) -> int:
        """Number of read calls since the last reset."""
        return sum(1 for m, line in self.log if is_read(m, line.split(" ", 1)[0]))

    def writes(self) -> int:
        """Number of state-changing calls since the last reset."""
        return len(self.log) - self.reads()

    def add_shared_drive(self, name: str = "Shared drive") -> str:
        drive_id = "0A" + self.ids.file_id()[:17]
        self.shared_drives[drive_id] = name
        return drive_id

    def revoke(self, file_id: str, status: int = 403) -> None:
        """Simulate lost access to a file: later requests get 403 or 404."""
        self.revoked[file_id] = status

    def restore(self, file_id: str) -> None:
        self.revoked.pop(file_id, None)

    def check_access(self, file_id: str, api: str) -> None:
        status = self.revoked.get(file_id)
        if status == 404:
            raise drive.drive_not_found(file_id) if api == "drive" else sheets_error(404)
        if status:
            if api == "drive":
                raise drive_error(
                    403,
                    "The user does not have sufficient permissions for this file.",
                    "insufficientFilePermissions",
                )
            raise sheets_error(403)

    def book(self, sid: str) -> Spreadsheet:
        self.check_access(sid, "sheets")
        found = self.books.get(sid)
        if found is None:
            raise sheets_error(404)
        return found

    def next_stamp(self) -> str:
        """The current time as Drive prints it, strictly later than any stamp given before."""
        stamp = now_rfc3339()
        if stamp <= self._last_stamp:
            stamp = self._bump(self._last_stamp)
        self._last_stamp = stamp
        return stamp

    def touch(self, file_id: str) -> None:
        """Bump a file's modifiedTime (strictly increasing); the requester is now its
        `lastModifyingUser`."""
        stamp = self.next_stamp()
        if file_id in self.drive_files:
            self.drive_files[file_id]["modifiedTime"] = stamp
            self.drive_files[file_id]["lastModifyingUser"] = self.user_json(self.requester)

    @staticmethod
    def email_of(token: str) -> str:
        """The account behind an access token: tests use e-mails as tokens."""
        if "@" in token:
            return token
        return SERVICE_ACCOUNT if token in ("", "fake-token") else f"{token}@fake.example"

    def user_json(self, token: str) -> dict[str, Any]:
        """A Drive `User` resource for the account behind `token`."""
        email = self.email_of(token)
        return {"kind": "drive#user", "displayName": email.split("@")[0], "emailAddress": email}

    @staticmethod
    def _bump(stamp: str) -> str:
        """One millisecond after `stamp` (a Drive RFC 3339 time with milliseconds)."""
        t = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ") + dt.timedelta(milliseconds=1)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

    def gspread_client(self, user: str = "fake-token") -> Any:
        """A gspread client; `user` is its access token (one per service account)."""
        from .adapter import gspread_client

        return gspread_client(self, token=user)

    def mount(self, session: Any) -> None:
        from .adapter import mount

        mount(self, session)

    # ------------------------------------------------------------ request handling

    def handle(
        self, http_method: str, path: str, query_string: str, body: bytes, headers: dict[str, str]
    ) -> Response:
        """Answer one request (path already percent-decoded)."""
        found = find_method(http_method, path)
        if found is None:
            return 404, {"Content-Type": "text/html; charset=UTF-8"}, b"<html>404 Not Found</html>"
        method, params = found
        with self._lock:
            self.counts[method.id] += 1
            self.users[headers.get("authorization", "")[7:].strip()] += 1
            self.log.append((method.id, f"{http_method} {path}"))
            fault = self.faults.take(method.id)
        delay = self.latency_by_method.get(method.id, self.latency)
        if delay:
            self.sleep(delay)
        try:
            if not headers.get("authorization", "").lower().startswith("bearer "):
                raise error_for(
                    method.api,
                    401,
                    "Request is missing required authentication "
                    "credential. Expected OAuth 2 access token.",
                )
            if method.api == "sheets":
                kind = "read" if is_read(method.id, http_method) else "write"
                self.quotas.take(headers["authorization"][7:].strip(), kind)
            if fault is not None:
                err = error_for(method.api, fault.status)
                if fault.retry_after is not None:
                    err.headers["Retry-After"] = str(int(fault.retry_after))
                raise err
            query = parse_qs(query_string, keep_blank_values=True)
            payload = self._check(method, query, body)
            with self._lock:
                self.requester = headers.get("authorization", "")[7:].strip()
                status, result = self._dispatch(method, params, query, payload)
        except ApiError as exc:
            hdrs = {"Content-Type": "application/json; charset=UTF-8", **exc.headers}
            return exc.status, hdrs, json.dumps(exc.body, ensure_ascii=False).encode()
        if status == 204:
            return 204, {"Content-Type": "text/html"}, b""
        return (
            status,
            {"Content-Type": "application/json; charset=UTF-8"},
            json.dumps(result, ensure_ascii=False).encode(),
        )

    def _check(self, method: Method, query: dict[str, list[str]], body: bytes) -> Any:
        try:
            check_query(method, query)
            if not body.strip() or method.request_ref is None:
                return {}
            try:
                payload = json.loads(body)
            except ValueError:
                raise SchemaViolation("Invalid JSON payload received. Unexpected token.") from None
            BodyChecker(method.api).check(method.request_ref, payload, method.body_field)
            return payload
        except SchemaViolation as exc:
            if method.api == "drive":
                raise drive_error(400, exc.message, "invalid", location=exc.field) from None
            raise sheets_error(400, exc.message, exc.field, bad_request=True) from None

    def _dispatch(
        self, method: Method, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        mid = method.id
        p = params
        if mid.startswith("sheets."):
            return 200, self._sheets(mid, p, query, body)
        fid = p.get("fileId", "")
        if mid == "drive.files.create":
            return 200, drive.files_create(self, query, body)
        if mid == "drive.files.list":
            return 200, drive.files_list(self, query)
        if mid == "drive.files.get":
            return 200, drive.files_get(self, fid, query)
        if mid == "drive.files.copy":
            return 200, drive.files_copy(self, fid, query, body)
        if mid == "drive.files.update":
            return 200, drive.files_update(self, fid, query, body)
        if mid == "drive.files.delete":
            drive.files_delete(self, fid)
            return 204, None
        if mid == "drive.permissions.create":
            return 200, drive.permissions_create(self, fid, query, body)
        if mid == "drive.permissions.list":
            return 200, drive.permissions_list(self, fid, query)
        if mid == "drive.permissions.delete":
            drive.permissions_delete(self, fid, p.get("permissionId", ""))
            return 204, None
        if mid == "drive.files.watch":
            return 200, drive.files_watch(self, fid, body)
        if mid == "drive.channels.stop":
            drive.channels_stop(self, body)
            return 204, None
        raise drive_error(501, f"The fake does not implement {mid}.", "notImplemented")

    def _sheets(self, mid: str, p: dict[str, str], query: dict[str, list[str]], body: Any) -> Any:
        if mid == "sheets.spreadsheets.create":
            title = (body.get("properties") or {}).get("title") or "Untitled spreadsheet"
            fid = self.ids.file_id()
            drive.new_file(self, {"name": title, "mimeType": drive.SPREADSHEET_MIME}, file_id=fid)
            book = sheets.create(self, body, file_id=fid)
            return sheets.spreadsheet_json(book, {})
        book = self.book(p["spreadsheetId"])
        rng = p.get("range", "")
        fields = sheets.q1(query, "fields")
        if mid == "sheets.spreadsheets.get":
            out = sheets.spreadsheet_json(book, query)
            return apply_mask(out, parse_mask(fields)) if fields else out
        if mid == "sheets.spreadsheets.values.get":
            return sheets.values_get(book, rng, query)
        if mid == "sheets.spreadsheets.values.batchGet":
            return sheets.values_batch_get(book, query)
        if mid == "sheets.spreadsheets.developerMetadata.get":
            return metadata.get(book, p.get("metadataId", ""))
        if mid == "sheets.spreadsheets.developerMetadata.search":
            return metadata.search(book, body)
        writers: dict[str, Callable[[], Any]] = {
            "sheets.spreadsheets.batchUpdate": lambda: batch.batch_update(self, book, body),
            "sheets.spreadsheets.values.update": lambda: sheets.values_update(
                book, rng, query, body
            ),
            "sheets.spreadsheets.values.batchUpdate": lambda: sheets.values_batch_update(
                book, body
            ),
            "sheets.spreadsheets.values.append": lambda: sheets.values_append(
                book, rng, query, body
            ),
            "sheets.spreadsheets.values.clear": lambda: sheets.values_clear(book, rng),
            "sheets.spreadsheets.values.batchClear": lambda: sheets.values_batch_clear(book, body),
        }
        if mid not in writers:
            raise sheets_error(501, f"The fake does not implement {mid}.")
        out = writers[mid]()
        self.touch(book.id)
        return out

    # ------------------------------------------------------------ WSGI

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw:
            path = unquote(raw.split("?", 1)[0])
        else:
            path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        status, hdrs, payload = self.handle(
            environ["REQUEST_METHOD"], path, environ.get("QUERY_STRING", ""), body, headers
        )
        reason = {
            200: "OK",
            204: "No Content",
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            429: "Too Many Requests",
            500: "Internal Server Error",
            501: "Not Implemented",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }.get(status, "Error")
        hdrs = {**hdrs, "Content-Length": str(len(payload))}
        start_response(f"{status} {reason}", list(hdrs.items()))
        return [payload]
