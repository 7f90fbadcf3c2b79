"""`thidua links`: every unit's signed upload link (offline mode)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click

from .. import clock, i18n
from ..campaign import load_campaign
from ..links import campaign_secret, default_expiry, unit_links
from .app import cli
from .output import table


@cli.command()
@click.argument("campaign", type=click.Path(path_type=Path))
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    envvar="THIDUA_BASE_URL",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
)
@click.option("--unit", "unit_id", default=None)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
def links(campaign: Path, base_url: str, days: int | None, unit_id: str | None, fmt: str) -> None:
    """Print each unit's signed upload link (the mode without Google) (help text: `cli.help.links`)."""
    c = load_campaign(campaign)
    if not base_url.startswith(("http://", "https://")):
        raise click.BadParameter(i18n.t("cli.bad_base_url"), param_hint="--base-url")
    now = clock.now(c.tz)
    until = now + timedelta(days=days) if days else max(default_expiry(c), now + timedelta(days=7))
    items = unit_links(c, campaign_secret(c.base_dir), until)
    if unit_id is not None:
        items = [i for i in items if i.unit.id == unit_id]
        if not items:
            known = ", ".join(u.id for u in c.units)
            raise click.BadParameter(
                i18n.t("cli.links_no_such_unit", unit=unit_id, units=known), param_hint="--unit"
            )
    if c.google is not None:
        click.echo(
            i18n.t("cli.links_google_note"),
            err=True,
        )
    rows = [[i.unit.id, i.unit.name, i.url(base_url)] for i in items]
    if fmt == "json":
        out = [
            {
                "unit": i.unit.id,
                "name": i.unit.name,
                "url": i.url(base_url),
                "expires_at": i.expires_at.isoformat(),
            }
            for i in items
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        import sys

        from ..csv_safe import writer as csv_writer

        writer = csv_writer(sys.stdout)
        writer.writerow([i18n.t("cli.col.unit_id"), i18n.t("cli.col.unit"), i18n.t("cli.col.link")])
        writer.writerows(rows)
        return
    click.echo(
        table(
            [i18n.t("cli.col.id"), i18n.t("cli.col.unit"), i18n.t("cli.col.upload_link")],
            rows,
            max_col=400,
        )
    )
    click.echo(i18n.t("cli.links_valid_until", until=until.strftime(i18n.t("format.time_on_day"))))
