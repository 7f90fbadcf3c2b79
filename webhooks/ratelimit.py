"""Per-key token buckets (in-process): 30 events/minute per spreadsheet by default."""

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
