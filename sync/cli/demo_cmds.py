"""`thidua demo` and the hidden `run-sample` used by `make run`."""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import click

from .. import clock, i18n
from ..audit import campaign_url, open_engine
from ..campaign import Campaign, load_campaign
from ..demo import print_summary, run_demo
from ..links import campaign_secret, make_link
from ..users import add_user, get_user, set_password
from .app import cli
from .serve_cmds import serve


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path("thidua-demo"))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "xlsx"]),
    default="yaml",
    show_default=True,
)
def demo(directory: Path, fmt: str) -> None:
    """Run the whole cycle once on the local backend with sample data (default ./thidua-demo).

    Help text: `cli.help.demo` in sync/i18n."""
    result = run_demo(directory, say=click.echo, fmt=fmt)
    print_summary(result, say=click.echo)


@cli.command("run-sample", hidden=True)
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True)
@click.pass_context
def run_sample(ctx: click.Context, directory: Path, port: int, no_serve: bool) -> None:
    """For `make run`: prepare a sample campaign in DIRECTORY (unless there is one) and run the service.

    Help text: `cli.help.run_sample` in sync/i18n."""
    if not (directory / "campaign.yaml").exists() or not (directory / "workbooks").exists():
        result = run_demo(directory, say=click.echo)
        print_summary(result, say=click.echo)
    else:
        click.echo(i18n.t("cli.demo_exists", directory=directory))
    click.echo(i18n.t("cli.demo_workbooks", folder=directory / "workbooks"))
    campaign = load_campaign(directory / "campaign.yaml")
    login = demo_organiser(campaign)
    moment = pin_demo_clock(campaign)
    base = f"http://127.0.0.1:{port}"
    unit = campaign.units[0]
    until = datetime.now(campaign.tz) + timedelta(days=30)
    link = make_link(campaign, campaign_secret(campaign.base_dir), unit, until).url(base)
    click.echo("")
    click.echo(i18n.t("cli.dashboard_at", base=base))
    click.echo(i18n.t("cli.demo_login", username=login[0], password=login[1]))
    click.echo(i18n.t("cli.demo_unit_page", unit=unit.name, link=link))
    click.echo(i18n.t("cli.demo_all_links", campaign=directory / "campaign.yaml"))
    if moment is not None:
        click.echo(i18n.t("cli.demo_clock", moment=f"{moment:%H:%M %d/%m/%Y}", year=f"{moment:%Y}"))
    if no_serve:
        return
    click.echo(i18n.t("cli.stop_hint"))
    ctx.invoke(serve, campaign=directory / "campaign.yaml", port=port)


DEMO_USER = "bantochuc"


def demo_organiser(campaign: Campaign) -> tuple[str, str]:
    """The sample's organiser account, created once; its password kept beside the audit DB."""
    path = campaign.base_dir / ".thidua" / "demo-login.txt"
    password = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
    if not password:
        password = "demo-" + secrets.token_urlsafe(9)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password + "\n")
    engine = open_engine(campaign_url(campaign))
    try:
        if get_user(engine, campaign.id, DEMO_USER) is None:
            add_user(engine, campaign.id, DEMO_USER, password, name=i18n.t("cli.demo_organiser"))
        else:
            set_password(engine, campaign.id, DEMO_USER, password)
    finally:
        engine.dispose()
    return DEMO_USER, password


def pin_demo_clock(campaign: Campaign) -> datetime | None:
    """The sample's deadlines are in 2025: serve it as seen an hour after the demo's late
    submission (delegate list past due, still in its grace period, not yet locked), unless
    the user pinned a time (--now / THIDUA_NOW)."""
    if os.environ.get("THIDUA_NOW") or clock.is_pinned():
        return None
    form = next((f for f in campaign.forms if f.id == "dai_bieu"), campaign.forms[0])
    moment = (form.due + form.grace / 2 + timedelta(hours=1)).astimezone(campaign.tz)
    clock.pin(moment)
    return moment
