"""Event rate limits per spreadsheet (30 a minute by default): in Redis when the service
has one (`SharedLimit`, across processes), else per process (`TokenBucket`)."""

from __future__ import annotations

import math
import threading
import time


class TokenBucket:
    """`rate` tokens per `per` seconds, at most `burst` banked, per key."""

    def __init__(self, rate: float, per: float = 60.0, burst: float | None = None) -> None:
        self.refill = rate / per
        self.burst = float(burst if burst is not None else rate)
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """0.0 when allowed, else the seconds to wait before the next token."""
        t = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, t))
            tokens = min(self.burst, tokens + (t - last) * self.refill)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, t)
                return 0.0
            self._state[key] = (tokens, t)
            return (1.0 - tokens) / self.refill if self.refill > 0 else math.inf


class SharedLimit:
    """`rate` events per minute per key, counted in shared storage (Redis): the limit
    holds across every process and machine of the service. Same `take` as TokenBucket."""

    def __init__(self, rate: float, storage_uri: str, prefix: str) -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.item = RateLimitItemPerMinute(max(1, int(rate)))
        self.storage = storage_from_string(storage_uri)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.prefix = prefix

    def take(self, key: str, now: float | None = None) -> float:
        """0.0 when allowed, else the seconds until the window lets one more in."""
        if self.limiter.hit(self.item, self.prefix, "events", key):
            return 0.0
        reset, _left = self.limiter.get_window_stats(self.item, self.prefix, "events", key)
        return max(1.0, reset - time.time())


def event_limiter(rate: float, redis_url: str | None, prefix: str) -> TokenBucket | SharedLimit:
    """Shared in Redis when the service has one, else in this process (documented)."""
    if redis_url:
        return SharedLimit(rate, redis_url, prefix)
    return TokenBucket(rate, 60.0)
