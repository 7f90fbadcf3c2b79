"""Organiser dashboard (DESIGN §7). Placeholder until the dashboard lands."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from .auth import login_required

bp = Blueprint("dashboard", __name__)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("dashboard.index"))


@bp.get("/dashboard")
@login_required
def index() -> ResponseReturnValue:
    return render_template("error.html", title="Tổng hợp", message="")
