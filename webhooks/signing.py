"""HMAC-SHA256 signatures of change events (docs/design.md: the hook signature, a contract).

Header `X-Thidua-Signature: t=<unix seconds>,v1=<lowercase hex>` where the MAC is
HMAC-SHA256(secret, b"<t>." + raw body).
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Thidua-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale or wrong."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body` signed with `secret` at `timestamp` (default now)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """Check a header; returns its timestamp. Raises SignatureError. Constant-time compare."""
    if not header:
        raise SignatureError("missing signature")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError("malformed signature")
        parts.setdefault(key, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("malformed signature timestamp") from None
    candidates = parts.get("v1", [])
    if not candidates:
        raise SignatureError("no v1 signature")
    current = time.time() if now is None else now
    if abs(current - t) > tolerance:
        raise SignatureError("signature timestamp outside tolerance")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, c.strip().lower()) for c in candidates):
        raise SignatureError("signature mismatch")
    return t
