"""Sheets API per-minute quotas, enforced like Google does when a fake is asked to.

Google counts read and write requests separately, per user (a service account is one user:
60 a minute by default) and per project (300 a minute). Over a limit, the request is
refused with 429 RESOURCE_EXHAUSTED and an ErrorInfo naming the limit; refused requests are
not counted. The fake uses a sliding 60-second window: at most N requests in any minute.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import ApiError

WINDOW = 60.0
PROJECT_NUMBER = "000000000000"


@dataclass
class Quotas:
    """Per-minute limits (None = unlimited) and the requests seen in the last minute."""

    per_user: int | None = None
    per_project: int | None = None
    clock: Callable[[], float] = time.monotonic
    refused: int = 0
    exempt: set[str] = field(default_factory=set)
    """Access tokens never counted (benchmarks: each unit's staff is another user)."""
    _seen: dict[tuple[str, str], deque[float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def enabled(self) -> bool:
        return self.per_user is not None or self.per_project is not None

    def _window(self, key: tuple[str, str], now: float) -> deque[float]:
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - WINDOW:
            seen.popleft()
        return seen

    def take(self, user: str, kind: str) -> None:
        """Count one `kind` ("read"/"write") request of `user`, or raise Google's 429."""
        if not self.enabled or user in self.exempt:
            return
        with self._lock:
            now = self.clock()
            mine = self._window((user, kind), now)
            project = self._window(("*", kind), now)
            if self.per_user is not None and len(mine) >= self.per_user:
                self.refused += 1
                raise quota_error(kind, "User", self.per_user)
            if self.per_project is not None and len(project) >= self.per_project:
                self.refused += 1
                raise quota_error(kind, "", self.per_project)
            mine.append(now)
            project.append(now)


def quota_error(kind: str, scope: str, value: int) -> ApiError:
    """Google's 429 body for a per-minute Sheets quota (`scope` "User" or "" = project)."""
    metric = "Read requests" if kind == "read" else "Write requests"
    limit = f"{metric} per minute" + (" per user" if scope else "")
    limit_id = f"{kind.capitalize()}RequestsPerMinute{'PerUser' if scope else ''}"
    message = (
        f"Quota exceeded for quota metric '{metric}' and limit '{limit}' of service "
        f"'sheets.googleapis.com' for consumer 'project_number:{PROJECT_NUMBER}'."
    )
    err = {
        "code": 429,
        "message": message,
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_limit": limit_id,
                    "quota_metric": f"sheets.googleapis.com/{kind}_requests",
                    "quota_location": "global",
                    "service": "sheets.googleapis.com",
                    "consumer": f"projects/{PROJECT_NUMBER}",
                    "quota_limit_value": str(value),
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                    }
                ],
            },
        ],
    }
    return ApiError(429, {"error": err})
