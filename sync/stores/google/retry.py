"""One retry policy for every Google call, request pacing, and error translation.

- Retries: exponential backoff with full jitter on 429/500/502/503/504 and on timeouts or
  dropped connections, bounded in attempts (6) and total time (60 s); a `Retry-After`
  header is honoured (the wait is at least what Google asks). gspread's own
  `BackOffHTTPClient` retries without bound and cannot be used.
- Budget: every Sheets request first reserves a slot in the quota budget (`budget.py`,
  shared by every process) on the service account that frees up first, and waits for it;
  Drive requests are paced by a token bucket under `backend.requests_per_minute`.
- Errors: gspread/google-auth/requests errors never leave this package; `translate` turns
  them into the project's exceptions with a Vietnamese message saying what to do.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import requests
from google.auth import exceptions as auth_errors
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from ...errors import PermissionDenied, QuotaExceeded, RemoteError, SheetNotFound, StoreError
from .budget import Budget, Kind

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSIENT_EXCEPTIONS = (requests.Timeout, requests.ConnectionError)
DEFAULT_TIMEOUT = (10.0, 60.0)


@dataclass
class RetryPolicy:
    """Bounded exponential backoff with full jitter."""

    attempts: int = 6
    total: float = 60.0
    base: float = 0.5
    cap: float = 16.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Wait before retry number `attempt` (1-based): full jitter, at least Retry-After."""
        jitter = self.rand() * min(self.cap, self.base * 2 ** (attempt - 1))
        return max(jitter, retry_after or 0.0)


@dataclass
class TokenBucket:
    """At most `per_minute` requests a minute on average, bursts of `burst`."""

    per_minute: float
    burst: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    waited: float = 0.0
    _tokens: float = field(default=-1.0, repr=False)
    _stamp: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def acquire(self) -> None:
        rate = self.per_minute / 60.0
        with self._lock:
            now = self.clock()
            if self._tokens < 0:
                self._tokens, self._stamp = self.burst, now
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            wait = (1 - self._tokens) / rate
            self._tokens = 0.0
            self._stamp = now + wait
            self.waited += wait
        self.sleep(wait)


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


SHEETS_HOST = "https://sheets.googleapis.com/"
_READ_POSTS = (":getByDataFilter", ":batchGetByDataFilter", "developerMetadata:search")


def sheets_kind(method: str, endpoint: str) -> Kind | None:
    """ "read"/"write" for a Sheets API request (each has its own quota); None for Drive."""
    if not endpoint.startswith(SHEETS_HOST):
        return None
    if method.lower() == "get" or endpoint.endswith(_READ_POSTS):
        return "read"
    return "write"


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with bounded retries and pacing (one place for every call)."""

    policy: RetryPolicy
    bucket: TokenBucket | None
    budget: Budget | None
    sessions: dict[str, requests.Session]
    calls: int
    refused: int

    def __init__(self, auth: Any = None, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.policy = RetryPolicy()
        self.bucket = None
        self.budget = None
        self.sessions = {}
        self.calls = 0
        self.refused = 0
        self.timeout = DEFAULT_TIMEOUT

    @classmethod
    def wrap(
        cls, http: HTTPClient, policy: RetryPolicy, bucket: TokenBucket | None
    ) -> RetryingHTTPClient:
        """A retrying client on the same (authorised) session as `http`."""
        out = cls(session=http.session)
        if hasattr(http, "auth"):
            out.auth = http.auth
        out.policy, out.bucket = policy, bucket
        return out

    def _session(self, kind: Kind | None) -> tuple[requests.Session, float]:
        """The session to send with, after waiting for a quota slot (Sheets) or the
        pacing bucket (Drive); and how long the quota wait was."""
        if kind is None or self.budget is None or not self.sessions:
            if self.bucket is not None:
                self.bucket.acquire()
            return self.session, 0.0
        account, wait = self.budget.reserve(kind, list(self.sessions))
        if wait > 0:
            self.policy.sleep(wait)
        return self.sessions[account], wait

    def request(
        self,
        method: str,
        endpoint: str,
        params: MutableMapping[str, Any] | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        policy = self.policy
        start = policy.clock()
        attempt = 0
        waited = 0.0
        kind = sheets_kind(method, endpoint)
        queued = 0.0  # waiting for quota is not time spent retrying
        while True:
            attempt += 1
            session, wait = self._session(kind)
            queued += wait
            self.calls += 1
            retry_after: float | None = None
            try:
                response = session.request(
                    method=method,
                    url=endpoint,
                    json=json,
                    params=params,
                    data=data,
                    files=files,
                    headers=headers,
                    timeout=self.timeout,
                )
            except TRANSIENT_EXCEPTIONS as exc:
                failure: Exception = exc
            else:
                if response.ok:
                    return response
                failure = APIError(response)
                if response.status_code not in RETRY_STATUSES:
                    raise failure
                retry_after = _retry_after(response)
                if response.status_code == 429:
                    self.refused += 1
            wait = policy.delay(attempt, retry_after)
            spent = max(policy.clock() - start - queued, waited)
            if attempt >= policy.attempts or spent + wait > policy.total:
                log.warning("giving up %s %s after %d attempts", method, endpoint, attempt)
                raise failure
            log.info("retry %d of %s %s in %.1fs (%s)", attempt, method, endpoint, wait, failure)
            policy.sleep(wait)
            waited += wait


# --- error translation ------------------------------------------------------------------


def _reason(exc: APIError) -> str:
    """Drive's `errors[0].reason` or Sheets' `status` of an API error."""
    err = exc.error if isinstance(exc.error, dict) else {}
    items = err.get("errors") or []
    if items and isinstance(items[0], dict) and items[0].get("reason"):
        return str(items[0]["reason"])
    for detail in err.get("details") or []:
        if isinstance(detail, dict) and detail.get("reason"):
            return str(detail["reason"])
    return str(err.get("status") or "")


STORAGE_QUOTA = (
    "Google Drive từ chối tạo bảng tính: tài khoản dịch vụ không có dung lượng Drive riêng "
    "(storageQuotaExceeded). Cách khắc phục (chọn một): (1) tạo một Bộ nhớ dùng chung "
    "(Shared Drive), thêm e-mail tài khoản dịch vụ làm Người quản lý nội dung, rồi ghi mã thư "
    "mục trong Bộ nhớ dùng chung đó vào backend.folder_id; hoặc (2) tự tạo bảng tính cho "
    "từng đơn vị, chia sẻ quyền Người chỉnh sửa cho e-mail tài khoản dịch vụ và ghi đường "
    "dẫn vào units[].spreadsheet. Xem docs/google-mode.md."
)


def translate(exc: BaseException, what: str) -> StoreError:
    """The project exception for a library error met while doing `what` (Vietnamese)."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, APIError):
        code = exc.code
        reason = _reason(exc)
        detail = str(exc.error.get("message", "")) if isinstance(exc.error, dict) else ""
        if reason == "storageQuotaExceeded":
            return QuotaExceeded(STORAGE_QUOTA)
        if code == 429 or reason in ("rateLimitExceeded", "userRateLimitExceeded"):
            return QuotaExceeded(
                f"Google báo vượt hạn mức số lần gọi khi {what} (HTTP {code}), đã thử lại "
                "nhiều lần không được. Hạn mức là 300 lần/phút cho mỗi dự án và 60 lần/phút "
                "cho mỗi người dùng: hãy đợi 1–2 phút rồi chạy lại, hoặc giảm "
                "backend.requests_per_minute."
            )
        if code == 404:
            return SheetNotFound(
                f"Không tìm thấy bảng tính khi {what} (HTTP 404): bảng tính đã bị xoá hoặc "
                "mã/đường dẫn sai. Hãy kiểm tra đường dẫn (units[].spreadsheet) hoặc chạy "
                "lại thidua provision để tạo lại."
            )
        if code in (401, 403):
            return PermissionDenied(
                f"Không có quyền khi {what} (HTTP {code}: {detail}). Hãy chia sẻ bảng tính "
                "(hoặc thư mục) cho e-mail tài khoản dịch vụ với quyền Người chỉnh sửa, và "
                "kiểm tra đã bật Google Sheets API và Google Drive API cho dự án."
            )
        return RemoteError(
            f"Google báo lỗi khi {what} (HTTP {code}: {detail}). Nếu lỗi lặp lại, hãy thử "
            "lại sau ít phút."
        )
    if isinstance(exc, auth_errors.RefreshError):
        return PermissionDenied(
            f"Không đăng nhập được Google khi {what}: khoá tài khoản dịch vụ không hợp lệ, đã "
            "bị xoá hoặc quyền đăng nhập đã hết hạn. Hãy tạo khoá mới (tệp JSON) và ghi đường "
            "dẫn vào backend.credentials, hoặc xoá tệp .thidua/google-token.json rồi đăng "
            "nhập lại."
        )
    if isinstance(exc, auth_errors.GoogleAuthError):
        return PermissionDenied(f"Lỗi xác thực Google khi {what}: {exc}")
    if isinstance(exc, requests.Timeout):
        return RemoteError(
            f"Google không trả lời kịp khi {what} (đã thử lại nhiều lần trong 60 giây): hãy "
            "kiểm tra kết nối mạng rồi chạy lại."
        )
    if isinstance(exc, requests.RequestException):
        return RemoteError(
            f"Không kết nối được tới Google khi {what} ({type(exc).__name__}): hãy kiểm tra "
            "kết nối mạng/proxy rồi chạy lại."
        )
    return RemoteError(f"Lỗi không mong đợi khi {what}: {type(exc).__name__}: {exc}")


GOOGLE_ERRORS: tuple[type[BaseException], ...] = (
    APIError,
    auth_errors.GoogleAuthError,
    requests.RequestException,
    ValueError,
)
"""Library errors `translate` handles (ValueError: a non-JSON answer)."""
