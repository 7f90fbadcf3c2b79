"""Request helpers shared by the blueprints: the service, signature checks, rate limits."""

from __future__ import annotations

import hashlib
import math
from typing import cast

from flask import Response, current_app, request

from sync import i18n

from .errors import json_error
from .service import Service
from .signing import HEADER, SignatureError, verify


class Refused(Exception):
    """Stop handling a request with this JSON response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def service() -> Service:
    return cast(Service, current_app.extensions["thidua"])


def signed_body() -> tuple[bytes, str]:
    """The raw body after size and signature checks; and a digest of the signature."""
    limit = current_app.config["MAX_BODY"]
    if request.content_length is not None and request.content_length > limit:
        raise Refused(json_error(413, message=i18n.t("api.too_large", limit=limit)))
    body = request.get_data(cache=True)
    if len(body) > limit:
        raise Refused(json_error(413, message=i18n.t("api.too_large", limit=limit)))
    header = request.headers.get(HEADER)
    try:
        verify(service().secret, body, header)
    except SignatureError as exc:
        reason = "missing_signature" if not header else "bad_signature"
        message = (
            i18n.t("api.missing_signature", header=HEADER)
            if not header
            else i18n.t("api.bad_signature")
        )
        raise Refused(json_error(401, reason, message)) from exc
    assert header is not None
    return body, hashlib.sha256(header.encode()).hexdigest()


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
