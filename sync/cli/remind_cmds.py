"""`thidua remind`: e-mail units that have not submitted, still have errors, or were returned."""

from __future__ import annotations

from pathlib import Path

import click

from .. import clock, i18n, operations
from ..audit import campaign_url, open_engine
from ..campaign import load_campaign
from ..reminders import Status, link_maker, plan, reason_text, send, setup_hint, smtp_settings
from .app import EXIT_USAGE, cli
from .output import echo_ok, table

RESULTS = ("planned", "sent", "failed", "skipped")
"""What happened to a reminder; words: `cli.remind.result.<result>`."""


@cli.command()
@click.argument("campaign", type=click.Path(path_type=Path))
@click.option("--form", "form_id")
@click.option("--unit", "unit_id")
@click.option("--dry-run", is_flag=True)
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    envvar="THIDUA_BASE_URL",
)
def remind(
    campaign: Path, form_id: str | None, unit_id: str | None, dry_run: bool, base_url: str
) -> None:
    """E-mail reminders (in the campaign's language) to the editors of units that have not submitted, still have errors or were returned.

    Help text: `cli.help.remind` in sync/i18n."""
    c = load_campaign(campaign)
    if form_id is not None and form_id not in {f.id for f in c.forms}:
        raise click.BadParameter(
            i18n.t("cli.remind_no_such_form", form=form_id, forms=", ".join(f.id for f in c.forms)),
            param_hint="--form",
        )
    if unit_id is not None and unit_id not in {u.id for u in c.units}:
        raise click.BadParameter(
            i18n.t("cli.remind_no_such_unit", unit=unit_id), param_hint="--unit"
        )
    settings = smtp_settings()
    if settings is None and not dry_run:
        click.secho(setup_hint(), fg="red", err=True)
        raise click.exceptions.Exit(EXIT_USAGE)
    now = clock.now(c.tz)
    engine = open_engine(campaign_url(c))
    try:
        ws = operations.open_workspace(c, engine=engine)
        run = operations.check_units(
            ws, feedback=False, now=now, run_id=operations.new_run_id("remind")
        )
        statuses = {(s.unit, s.form): Status(s.state, s.errors) for s in run.result.summaries}
        reminders = plan(c, statuses, now, link_maker(c, ws.store, base_url), form_id, unit_id)
        outcome = send(c, engine, reminders, now, settings, "cli", dry_run=dry_run)
    finally:
        engine.dispose()
    if not outcome.reminders:
        echo_ok(i18n.t("cli.remind.nobody"))
        return
    click.echo(
        table(
            [
                i18n.t("cli.col.id"),
                i18n.t("cli.col.unit"),
                i18n.t("cli.col.form"),
                i18n.t("cli.remind.col.reason"),
                i18n.t("severity.error"),
                i18n.t("cli.remind.col.to"),
                i18n.t("cli.remind.col.result"),
            ],
            [
                [
                    r.unit.id,
                    r.unit.name,
                    r.form.title,
                    reason_text(r.reason),
                    r.errors or "",
                    ", ".join(r.recipients),
                    i18n.t(f"cli.remind.result.{r.result}") + (f": {r.detail}" if r.detail else ""),
                ]
                for r in outcome.reminders
            ],
            max_col=70,
        )
    )
    click.echo()
    if dry_run:
        click.echo(i18n.t("cli.remind.dry_run", count=outcome.count("planned")))
        return
    summary = i18n.t(
        "cli.remind.summary",
        sent=outcome.count("sent"),
        skipped=outcome.count("skipped"),
        failed=outcome.count("failed"),
    )
    if outcome.count("failed"):
        click.secho(summary, fg="yellow")
    else:
        echo_ok(summary)
