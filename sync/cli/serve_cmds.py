"""`thidua serve`: the only place `sync` imports `webhooks` (the Flask service)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from .. import i18n
from ..campaign.loader import campaign_ref
from ..errors import ThiduaError
from .app import CampaignPath, cli

LOOPBACK = ("127.0.0.1", "localhost", "::1")
CAMPAIGN = click.argument("campaign", type=CampaignPath(path_type=Path, exists=True))
"""A campaign file (.yaml, .xlsx) or a Google Sheet URL / id."""


@cli.command()
@CAMPAIGN
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--behind-proxy",
    is_flag=True,
    envvar="THIDUA_BEHIND_PROXY",
)
@click.option(
    "--log-format",
    type=click.Choice(["auto", "text", "json"]),
    default="auto",
    show_default=True,
    envvar="THIDUA_LOG_FORMAT",
)
def serve(
    campaign: Path,
    host: str,
    port: int,
    threads: int,
    behind_proxy: bool,
    log_format: str = "auto",
) -> None:
    """Run the service: receive events, check, consolidate, the dashboard and the upload pages.

    Help text: `cli.help.serve` in sync/i18n."""
    from waitress import serve as waitress_serve

    from webhooks import create_app, unwritable_folders

    from ..campaign import load_campaign

    blocked = unwritable_folders(load_campaign(campaign))
    if blocked:
        folders = ", ".join(str(f) for f in blocked)
        raise ThiduaError(i18n.t("cli.serve.folders_unwritable", folders=folders))
    config: dict[str, Any] = {"CAMPAIGN": campaign_ref(campaign), "LOG_FORMAT": log_format}
    loopback = host in LOOPBACK
    if "THIDUA_COOKIE_SECURE" not in os.environ:
        # plain HTTP on this machine only (make run); anywhere else cookies need HTTPS
        config["COOKIE_SECURE"] = not loopback
    app = create_app(config)
    if behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    svc = app.extensions["thidua"]
    problems = svc.readiness()
    if problems:
        svc.close()
        raise ThiduaError(i18n.t("cli.serve.not_ready", problems=" ".join(problems)))
    base = f"http://{host}:{port}"
    click.echo(i18n.t("cli.serving", campaign=svc.campaign.info.title, base=base))
    click.echo(i18n.t("cli.dashboard_at", base=base))
    if not loopback and not behind_proxy:
        click.secho(
            i18n.t("cli.https_note"),
            fg="yellow",
        )
    if not app.config.get("SECRET") and not os.environ.get("THIDUA_SECRET"):
        secret_file = svc.campaign.base_dir / ".thidua" / "secret"
        click.echo(i18n.t("cli.secret_file", secret_file=secret_file))
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="thidua")
    finally:
        svc.close()
