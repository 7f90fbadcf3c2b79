"""JSON error bodies: a stable `error` code and a `message` from the catalogue (in the
reader's language, Vietnamese by default), nothing internal; HTML error pages."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from sync import i18n

log = logging.getLogger(__name__)

ERRORS = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
"""HTTP status → stable `error` code; its message is the catalogue's `http.<code>`."""


def json_error(
    status: int, error: str | None = None, message: str | None = None, **extra: object
) -> Response:
    """A JSON error response."""
    code = ERRORS.get(status, "error")
    text = message or i18n.t(f"http.{code}")
    resp = jsonify({"error": error or code, "message": text, **extra})
    resp.status_code = status
    return resp


JSON_PREFIXES = ("/hooks/", "/api/", "/healthz", "/readyz")


def _page_messages() -> dict[int, tuple[str, str]]:
    """Titles and explanations of error pages, in the page's language."""
    return {
        400: (
            _("Yêu cầu không hợp lệ"),
            _("Trang gửi lên không hợp lệ. Hãy tải lại trang rồi thử lại."),
        ),
        403: (_("Không có quyền"), _("Bạn không có quyền xem trang này.")),
        404: (_("Không tìm thấy trang"), _("Địa chỉ này không có. Hãy kiểm tra lại đường dẫn.")),
        405: (_("Không hỗ trợ"), _("Trang này không nhận thao tác vừa gửi.")),
        413: (_("Tệp quá lớn"), _("Tệp gửi lên vượt quá dung lượng cho phép.")),
        429: (
            _("Thử quá nhiều lần"),
            _("Bạn đã thử quá nhiều lần trong thời gian ngắn. Hãy đợi vài phút rồi thử lại."),
        ),
        500: (
            _("Lỗi máy chủ"),
            _("Máy chủ gặp lỗi. Hãy thử lại sau ít phút; dữ liệu đã nộp không bị mất."),
        ),
        503: (_("Tạm thời không phục vụ"), _("Dịch vụ đang bận. Hãy thử lại sau ít phút.")),
    }


def wants_json() -> bool:
    """Signed endpoints and health checks answer JSON; pages answer HTML."""
    return request.path.startswith(JSON_PREFIXES)


def page_error(status: int, message: str | None = None, title: str | None = None) -> Response:
    """An HTML error page in the user's language."""
    default_title, default_message = _page_messages().get(status, (_("Có lỗi xảy ra"), ""))
    body = render_template(
        "error.html", title=title or default_title, message=message or default_message
    )
    return Response(body, status=status, mimetype="text/html")


def register(app: Flask) -> None:
    """Every HTTP error, and any unexpected exception: JSON for the API, a page otherwise."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        if not wants_json():
            if status == 400 and "CSRF" in str(exc.description):
                return page_error(
                    400,
                    _("Phiên làm việc đã hết hạn hoặc trang đã cũ. Hãy tải lại trang rồi thử lại."),
                )
            return page_error(status)
        if status == 413:
            return json_error(
                413,
                message=i18n.t("api.too_large", limit=app.config["MAX_BODY"]),
            )
        return json_error(status)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        if not wants_json():
            try:
                return page_error(500)
            except Exception:  # the template itself failed: plain text, never a traceback
                return Response(i18n.t("http.internal_error"), 500)
        return json_error(500)
