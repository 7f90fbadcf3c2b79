"""Unit upload page (offline mode, DESIGN §7). Placeholder until the upload page lands."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("upload", __name__)
