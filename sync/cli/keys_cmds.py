"""`thidua keys`: each unit's own Apps Script key (Script Property THIDUA_UNIT_KEY)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import i18n
from ..audit import campaign_url, open_engine
from ..campaign import load_campaign
from ..keys import rotate, server_secret, unit_keys
from .app import cli
from .output import table


@cli.command()
@click.argument("campaign", type=click.Path(path_type=Path))
@click.option("--unit", "unit_id", default=None)
@click.option("--rotate", "do_rotate", is_flag=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
def keys(campaign: Path, unit_id: str | None, do_rotate: bool, fmt: str) -> None:
    """Print each unit's own Apps Script key (property THIDUA_UNIT_KEY) (help text: `cli.help.keys`)."""
    c = load_campaign(campaign)
    known = [u.id for u in c.units]
    if unit_id is not None and unit_id not in known:
        raise click.BadParameter(
            i18n.t("cli.keys.unknown_unit", unit=unit_id, known=", ".join(known)),
            param_hint="--unit",
        )
    if do_rotate and unit_id is None:
        raise click.UsageError(i18n.t("cli.keys.rotate_needs_unit"))
    secret = server_secret(c.base_dir)
    engine = open_engine(campaign_url(c))
    try:
        if do_rotate:
            assert unit_id is not None
            rotate(engine, secret, c.id, unit_id)
        items = unit_keys(engine, secret, c.id, [unit_id] if unit_id else known)
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(
            json.dumps(
                [{"unit": i.unit, "key": i.key} for i in items], ensure_ascii=False, indent=2
            )
        )
    else:
        names = {u.id: u.name for u in c.units}
        rows = [[i.unit, names[i.unit], i.key] for i in items]
        headers = [i18n.t(f"cli.keys.header_{h}") for h in ("unit", "name", "key")]
        click.echo(table(headers, rows, max_col=200))
    if do_rotate:
        click.secho(i18n.t("cli.keys.rotated", unit=unit_id), fg="green", err=True)
