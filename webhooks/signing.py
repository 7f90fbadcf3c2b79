"""HMAC-SHA256 signatures of unit requests (docs/design.md, docs/security.md).

Header `X-Thidua-Signature: t=<unix seconds>,v1=<64 lowercase hex>` where the MAC is
HMAC-SHA256(unit key, b"<t>.<METHOD>.<path>." + raw body): the method and the path are
signed, so a signature made for one endpoint is refused on another. The header is parsed
strictly: exactly `t=<digits>,v1=<64 lowercase hex>`, nothing else (no spaces, no
uppercase hex, no repeated or unknown keys).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass

HEADER = "X-Thidua-Signature"
TOLERANCE_SECONDS = 300
_STRICT = re.compile(r"t=(0|[1-9][0-9]{0,11}),v1=([0-9a-f]{64})")


class SignatureError(ValueError):
    """The signature header is missing, malformed, stale or wrong."""


@dataclass(frozen=True)
class Signature:
    """A parsed header: its timestamp and MAC (the replay key with the unit)."""

    t: int
    v1: str


def message(t: int, method: str, path: str, body: bytes) -> bytes:
    """The bytes that are signed."""
    return f"{t}.{method.upper()}.{path}.".encode() + body


def mac(key: str, t: int, method: str, path: str, body: bytes) -> str:
    return hmac.new(key.encode(), message(t, method, path, body), hashlib.sha256).hexdigest()


def sign(key: str, method: str, path: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for a request signed with `key` at `timestamp` (default now)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={mac(key, t, method, path, body)}"


def parse(header: str | None) -> Signature:
    """The strict form of the header, or SignatureError."""
    if not header:
        raise SignatureError("missing signature")
    found = _STRICT.fullmatch(header)
    if found is None:
        raise SignatureError("malformed signature")
    return Signature(int(found.group(1)), found.group(2))


def check_time(
    sig: Signature, now: float | None = None, tolerance: int = TOLERANCE_SECONDS
) -> None:
    current = time.time() if now is None else now
    if abs(current - sig.t) > tolerance:
        raise SignatureError("signature timestamp outside tolerance")


def verify(
    key: str,
    method: str,
    path: str,
    body: bytes,
    header: str | None,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> Signature:
    """Check a header against `key`; returns it parsed. Constant-time compare."""
    sig = parse(header)
    check_time(sig, now, tolerance)
    if not hmac.compare_digest(mac(key, sig.t, method, path, body), sig.v1):
        raise SignatureError("signature mismatch")
    return sig


def replay_digest(campaign: str, unit: str, sig: Signature) -> str:
    """The events table's replay key for a signature: (campaign, unit, t, v1)."""
    return hashlib.sha256(f"{campaign}\x00{unit}\x00{sig.t}\x00{sig.v1}".encode()).hexdigest()
