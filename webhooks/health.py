"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from sync import i18n
from sync.audit import ping

from .errors import json_error
from .guard import service

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready only when it can work: the audit database answers and accepts writes, the
    workbook and upload folders are writable; else 503 with the reasons."""
    svc = service()
    if not ping(svc.engine):
        return json_error(
            503,
            "database_unavailable",
            i18n.t("api.database_not_ready"),
            reasons=[i18n.t("api.database_silent")],
        )
    problems = svc.readiness()
    if problems:
        text = i18n.t("api.not_ready", problems=" ".join(problems))
        return json_error(503, "not_ready", text, reasons=problems)
    return jsonify({"status": "ready", "database": "ok", "folders": "ok"})
