"""Google's error bodies (shapes copied from the recordings and Google's documentation)."""

from __future__ import annotations

from typing import Any

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_DEFAULT_MESSAGE = {
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: (
        "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' "
        "of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'."
    ),
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}
_DRIVE_REASON = {
    400: "badRequest",
    403: "forbidden",
    404: "notFound",
    429: "rateLimitExceeded",
    500: "internalError",
    502: "backendError",
    503: "backendError",
    504: "backendError",
}


class ApiError(Exception):
    """An HTTP error answer with its JSON body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def sheets_error(
    status: int, message: str | None = None, field: str | None = None, bad_request: bool = False
) -> ApiError:
    """A Sheets (ESF) error: {"error": {"code", "message", "status", ["details"]}}."""
    msg = message or _DEFAULT_MESSAGE.get(status, "Error")
    err: dict[str, Any] = {"code": status, "message": msg, "status": _STATUS.get(status, "UNKNOWN")}
    if bad_request:
        violation: dict[str, Any] = {"description": msg}
        if field:
            violation = {"field": field, "description": msg}
        err["details"] = [
            {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}
        ]
    if status == 429:
        err["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_limit": "ReadRequestsPerMinutePerUser",
                    "quota_metric": "sheets.googleapis.com/read_requests",
                    "service": "sheets.googleapis.com",
                    "consumer": "projects/000000000000",
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quota#requesting_higher_quota",
                    }
                ],
            },
        ]
    return ApiError(status, {"error": err})


def drive_error(
    status: int,
    message: str | None = None,
    reason: str | None = None,
    domain: str = "global",
    location: str | None = None,
) -> ApiError:
    """A Drive v3 error: {"error": {"code", "message", "errors": [{...}]}}."""
    msg = message or _DEFAULT_MESSAGE.get(status, "Error")
    item: dict[str, Any] = {
        "message": msg,
        "domain": domain,
        "reason": reason or _DRIVE_REASON.get(status, "unknown"),
    }
    if location:
        item["location"] = location
        item["locationType"] = "parameter"
    return ApiError(status, {"error": {"code": status, "message": msg, "errors": [item]}})


def drive_not_found(file_id: str) -> ApiError:
    return drive_error(404, f"File not found: {file_id}.", "notFound", location="fileId")


def storage_quota_error() -> ApiError:
    """What Drive answers a service account without storage creating a file."""
    msg = (
        "Service Accounts do not have storage quota. Leverage shared drives "
        "(https://developers.google.com/workspace/drive/api/guides/about-shareddrives), "
        "or use OAuth delegation (http://support.google.com/a/answer/7281227) instead."
    )
    return drive_error(403, msg, "storageQuotaExceeded", domain="usageLimits")


def error_for(api: str, status: int, message: str | None = None) -> ApiError:
    """An error body in the style of the given API."""
    if api == "drive":
        return drive_error(status, message)
    return sheets_error(status, message)
