"""Request helpers shared by the blueprints: the service, signature checks, rate limits."""

from __future__ import annotations

import hmac
import logging
import math
import time
from typing import cast

from flask import Response, current_app, request
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sync import i18n
from sync.audit.models import SignatureUse
from sync.campaign import Unit

from .errors import json_error
from .logs import log_event
from .service import Service
from .signing import (
    HEADER,
    TOLERANCE_SECONDS,
    Signature,
    SignatureError,
    check_time,
    mac,
    parse,
    replay_digest,
)


class Refused(Exception):
    """Stop handling a request with this JSON response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def service() -> Service:
    return cast(Service, current_app.extensions["thidua"])


def raw_body() -> bytes:
    """The raw body, refused (413) above MAX_BODY."""
    limit = current_app.config["MAX_BODY"]
    if request.content_length is not None and request.content_length > limit:
        raise Refused(json_error(413, message=i18n.t("api.too_large", limit=limit)))
    body = request.get_data(cache=True)
    if len(body) > limit:
        raise Refused(json_error(413, message=i18n.t("api.too_large", limit=limit)))
    return body


def _unauthorized(header: str | None) -> Refused:
    reason = "missing_signature" if not header else "bad_signature"
    return Refused(json_error(401, reason, i18n.t(f"api.{reason}", header=HEADER)))


def request_signature() -> Signature:
    """The request's signature header, strictly parsed and fresh; 401 otherwise."""
    header = request.headers.get(HEADER)
    try:
        sig = parse(header)
        check_time(sig)
    except SignatureError as exc:
        raise _unauthorized(header) from exc
    return sig


def verify_unit(unit: Unit, body: bytes, sig: Signature) -> str:
    """401 unless `sig` was made with `unit`'s key over this method, path and body.
    Returns the replay key of the signature (unit, t, v1)."""
    svc = service()
    key = svc.unit_key(unit.id)
    expected = mac(key, sig.t, request.method, request.path, body)
    if not hmac.compare_digest(expected, sig.v1):
        log_event(
            "signature refused", logging.WARNING, source="api", unit=unit.id, path=request.path
        )
        raise _unauthorized(request.headers.get(HEADER))
    return replay_digest(svc.campaign.id, unit.id, sig)


def remember(unit: Unit, sig: Signature) -> None:
    """Record a signature as used (database, so it holds across processes and restarts);
    409 when it was used before: a replay."""
    svc = service()
    now = time.time()
    values = {
        "campaign": svc.campaign.id,
        "unit": unit.id,
        "t": sig.t,
        "v1": sig.v1,
        "path": request.path[:300],
        "used_at": now,
    }
    with svc.engine.begin() as conn:
        ins = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = ins(SignatureUse).values(**values).on_conflict_do_nothing()
        new = conn.execute(stmt.returning(SignatureUse.t)).first() is not None
        # older signatures are refused by their timestamp anyway
        conn.execute(delete(SignatureUse).where(SignatureUse.t < now - 2 * TOLERANCE_SECONDS))
    if not new:
        log_event("replay refused", logging.WARNING, source="api", unit=unit.id)
        raise Refused(json_error(409, "replayed", i18n.t("api.replayed")))


def rate_limit(key: str) -> None:
    """429 with Retry-After when `key` (a spreadsheet) sent too much."""
    wait = service().limiter.take(key)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        resp = json_error(
            429,
            message=i18n.t("api.too_many_events", seconds=seconds),
            retry_after=seconds,
        )
        resp.headers["Retry-After"] = str(seconds)
        raise Refused(resp)
