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
    """The audit database answers."""
    if not ping(service().engine):
        return json_error(503, "database_unavailable", i18n.t("api.database_not_ready"))
    return jsonify({"status": "ready", "database": "ok"})
