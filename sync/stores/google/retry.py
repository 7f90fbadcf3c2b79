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

from ... import i18n
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


def translate(exc: BaseException, what: str) -> StoreError:
    """The project exception for a library error met while doing `what` (a catalogue text)."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, APIError):
        code = exc.code
        reason = _reason(exc)
        detail = str(exc.error.get("message", "")) if isinstance(exc.error, dict) else ""
        if reason == "storageQuotaExceeded":
            return QuotaExceeded(i18n.t("google.storage_quota"))
        if code == 429 or reason in ("rateLimitExceeded", "userRateLimitExceeded"):
            return QuotaExceeded(i18n.t("google.quota", what=what, code=code))
        if code == 404:
            return SheetNotFound(i18n.t("google.not_found", what=what))
        if code in (401, 403):
            return PermissionDenied(
                i18n.t("google.permission", what=what, code=code, detail=detail)
            )
        return RemoteError(i18n.t("google.http_error", what=what, code=code, detail=detail))
    if isinstance(exc, auth_errors.RefreshError):
        return PermissionDenied(i18n.t("google.auth_expired", what=what))
    if isinstance(exc, auth_errors.GoogleAuthError):
        return PermissionDenied(i18n.t("google.auth_error", what=what, exc=exc))
    if isinstance(exc, requests.Timeout):
        return RemoteError(i18n.t("google.timeout", what=what))
    if isinstance(exc, requests.RequestException):
        return RemoteError(i18n.t("google.unreachable", what=what, error=type(exc).__name__))
    return RemoteError(i18n.t("google.unexpected", what=what, error=type(exc).__name__, exc=exc))


GOOGLE_ERRORS: tuple[type[BaseException], ...] = (
    APIError,
    auth_errors.GoogleAuthError,
    requests.RequestException,
    ValueError,
)
"""Library errors `translate` handles (ValueError: a non-JSON answer)."""
