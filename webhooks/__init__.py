"""The thidua-sync Flask service: `create_app` is the app factory.

See docs/design.md, Change events, Web pages.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

__all__ = ["create_app", "init_app", "unwritable_folders"]


def init_app(app: Flask) -> None:
    """Attach the service resources (campaign, database + migrations, queue) to `app`."""
    from .schedule import Scheduler
    from .service import Service
    from .web import init_web

    service = Service(dict(app.config))
    app.extensions["thidua"] = service
    init_web(app, service)
    from .web import csrf

    for name in ("hooks", "api", "health"):  # signed or read-only JSON: no CSRF token
        csrf.exempt(app.blueprints[name])

    @app.before_request
    def _follow_campaign_file() -> None:
        service.follower.check()  # at most every RELOAD_SECONDS: a stat, rarely a load

    service.start()
    scheduler = Scheduler(service)  # deadline locks, Drive channels, reminders
    app.extensions["thidua_scheduler"] = scheduler
    if service.config.get("WORKER", "thread") == "thread":
        scheduler.start()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The service app. Settings: THIDUA_* environment, overridden by `config`."""
    from . import (
        api,
        auth,
        dashboard,
        errors,
        health,
        hooks,
        logs,
        official,
        reminders,
        settings,
        unit_page,
    )
    from .service import settings_from_env

    app = Flask(__name__)
    app.config.update(settings_from_env())
    if config:
        app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_BODY"])
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    logs.configure(kind=str(app.config.get("LOG_FORMAT", "json")))
    errors.register(app)
    app.register_blueprint(hooks.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(official.bp)
    app.register_blueprint(unit_page.bp)
    app.register_blueprint(reminders.bp)
    app.register_blueprint(settings.bp)
    init_app(app)
    return app


def unwritable_folders(campaign: Any) -> list[Any]:
    """Folders the service must write but cannot (`thidua serve` refuses to start)."""
    from .service import unwritable_folders as check

    return check(campaign)
