"""JSON error bodies: a stable `error` code and a Vietnamese `message`, nothing internal."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ: kiểm tra lại nội dung gửi lên."),
    401: ("unauthorized", "Chữ ký không hợp lệ hoặc đã hết hạn: kiểm tra khoá bí mật và đồng hồ."),
    404: ("not_found", "Không tìm thấy địa chỉ này."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ tại địa chỉ này."),
    413: ("payload_too_large", "Nội dung gửi lên quá lớn."),
    429: ("rate_limited", "Gửi quá nhiều yêu cầu: vui lòng đợi rồi thử lại."),
    500: ("internal_error", "Lỗi máy chủ: vui lòng thử lại sau ít phút."),
    503: ("unavailable", "Dịch vụ tạm thời không sẵn sàng: vui lòng thử lại sau ít phút."),
}


def json_error(
    status: int, error: str | None = None, message: str | None = None, **extra: object
) -> Response:
    """A JSON error response."""
    code, text = MESSAGES.get(status, ("error", "Có lỗi xảy ra."))
    resp = jsonify({"error": error or code, "message": message or text, **extra})
    resp.status_code = status
    return resp


def register(app: Flask) -> None:
    """Every HTTP error, and any unexpected exception, answers JSON."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 413:
            return json_error(
                413,
                message=f"Nội dung gửi lên quá lớn (tối đa {app.config['MAX_BODY']} byte).",
            )
        return json_error(status)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return json_error(500)
