"""`thidua export`: the official list of a form as a Word document."""

from __future__ import annotations

from pathlib import Path

import click

from .. import clock, i18n, operations
from ..campaign import load_campaign
from ..errors import ThiduaError
from ..operations import new_run_id, open_workspace
from .app import cli
from .output import echo_ok
from .sheet_cmds import CAMPAIGN, _units


@cli.command()
@CAMPAIGN
@click.option("--form", "form_id", required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["docx"]),
    default="docx",
    show_default=True,
)
@click.option("--out", type=click.Path(path_type=Path))
@click.option("--unit")
@click.option(
    "--hop-le",
    "all_valid",
    is_flag=True,
)
def export(
    campaign: Path, form_id: str, fmt: str, out: Path | None, unit: str | None, all_valid: bool
) -> None:
    """Export a form's official list to a Word file (Decree 30/2020 layout).

    Help text: `cli.help.export` in sync/i18n."""
    from ..audit import campaign_url, open_engine
    from ..audit.records import official_rows_of
    from ..official import build_official_list
    from ..official_docx import write_docx

    c = load_campaign(campaign)
    try:
        form = c.form(form_id)
    except KeyError:
        raise ThiduaError(
            i18n.t("cli.no_such_form", form=form_id, forms=", ".join(f.id for f in c.forms))
        ) from None
    _units(c, unit)
    engine = open_engine(campaign_url(c))
    operations.consolidate(open_workspace(c, engine=engine), write=False, run_id=new_run_id("cli"))
    rows, submitted, errors = official_rows_of(engine, c.id, form.id, all_valid)
    engine.dispose()
    doc = build_official_list(
        c, form, rows, submitted, errors, clock.now(c.tz), all_valid=all_valid, unit=unit
    )
    target = out or Path(f"{c.id}-{form.id}{'-' + unit if unit else ''}.{fmt}")
    try:
        write_docx(doc, target)
    except OSError as exc:
        raise ThiduaError(i18n.t("cli.cannot_write", path=target, reason=exc.strerror)) from exc
    echo_ok(i18n.t("cli.export_done", target=target, rows=doc.row_count, units=len(doc.groups)))
    if doc.error_rows:
        click.secho(i18n.t("cli.export_error_rows", rows=doc.error_rows), fg="yellow")
