"""Commands on unit sheets: provision, validate, consolidate, status, submit."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .. import i18n, operations
from ..audit import campaign_url, open_engine
from ..audit.jobs import addon_pings
from ..campaign import Campaign, load_campaign
from ..consolidate import FIX_TAB, SUMMARY_TAB
from ..csv_safe import SafeDictWriter
from ..errors import StoreError, ThiduaError
from ..feedback import state_fields, summary_label
from ..keys import addon_settings, server_secret
from ..operations import Workspace, new_run_id
from ..pipeline import Run
from ..progress import progress
from ..rules.findings import FINDING_COLUMNS, _plain
from ..stores import open_store
from ..stores.capabilities import ExportsXlsx
from .app import EXIT_FINDINGS, cli, command_workspace
from .output import echo_ok, table
from .output import progress as bar

CAMPAIGN = click.argument("campaign", type=click.Path(path_type=Path))


def _units(c: Campaign, unit: str | None) -> list[str] | None:
    if unit is None:
        return None
    try:
        c.unit(unit)
    except KeyError:
        raise ThiduaError(
            i18n.t("cli.no_such_unit", unit=unit, units=", ".join(u.id for u in c.units))
        ) from None
    return [unit]


def _form(c: Campaign, form: str | None) -> None:
    if form is not None:
        try:
            c.form(form)
        except KeyError:
            raise ThiduaError(
                i18n.t("cli.no_such_form", form=form, forms=", ".join(f.id for f in c.forms))
            ) from None


def _ticker(c: Campaign) -> Callable[[str], None]:
    ticker = iter(bar([u.id for u in c.units], i18n.t("cli.bar_read")))

    def tick(_unit: str) -> None:
        next(ticker, None)

    return tick


def _run(ws: Workspace, units: list[str] | None, feedback: bool) -> Run:
    return operations.check_units(
        ws, units, feedback=feedback, run_id=new_run_id("cli"), tick=_ticker(ws.campaign)
    )


@cli.command()
@CAMPAIGN
@click.option(
    "--service-url",
)
@click.option(
    "--check-addon",
    is_flag=True,
)
def provision(campaign: Path, service_url: str | None, check_addon: bool) -> None:
    """Create (or complete) each unit's spreadsheet from the form templates.

    Help text: `cli.help.provision` in sync/i18n."""
    c = load_campaign(campaign)
    if check_addon:
        _check_addon(c)
        return
    store = open_store(c)
    if hasattr(store, "addon_settings"):  # a Google store: the add-on's key and address
        settings = _addon_settings(c, service_url or (c.google.service_url if c.google else None))
        store.addon_settings = lambda unit: settings[unit.id]
    failed = 0
    for unit in bar(list(c.units), i18n.t("cli.bar_provision")):
        try:
            report = store.provision(unit)
        except StoreError as exc:
            failed += 1
            click.secho(f"✗ {unit.id}: {exc}", fg="red", err=True)
            continue
        click.echo(f"{'+' if report.created else '·'} {unit.id}: {report.location}")
        for action in report.actions:
            click.echo(f"    {action}")
    if failed:
        raise ThiduaError(i18n.t("cli.provision_failed", failed=failed, count=len(c.units)))
    echo_ok(i18n.t("cli.provision_done", count=len(c.units)))


def _addon_settings(c: Campaign, url: str | None) -> dict[str, dict[str, str]]:
    """Each unit's own key and the service address, written into its spreadsheet's
    developer metadata where the add-on copied from the template reads them."""
    if url:
        if not url.startswith("https://"):
            raise ThiduaError(i18n.t("cli.provision_bad_url", url=url))
        url = url.rstrip("/")
    else:
        click.secho(i18n.t("cli.provision_no_url"), fg="yellow", err=True)
    engine = open_engine(campaign_url(c))
    try:
        return addon_settings(engine, server_secret(c.base_dir), c.id, [u.id for u in c.units], url)
    finally:
        engine.dispose()


def _check_addon(c: Campaign) -> None:
    """Per unit: has the add-on reached the service (a `ping` when the menu is opened or
    the automatic check switched on, or any signed add-on event)? Exit 1 while some unit
    still has to click."""
    if c.google is None:
        raise ThiduaError(i18n.t("cli.addon_local"))
    engine = open_engine(campaign_url(c))
    try:
        pings = addon_pings(engine, c.id)
    finally:
        engine.dispose()
    missing = 0
    for unit in c.units:
        at = pings.get(unit.id)
        if at is None:
            missing += 1
            click.echo(i18n.t("cli.addon_missing", unit=unit.id, name=unit.name))
        else:
            when = datetime.fromtimestamp(at, c.tz).strftime("%H:%M %d/%m/%Y")
            click.echo(i18n.t("cli.addon_seen", unit=unit.id, name=unit.name, when=when))
    if missing:
        click.secho(
            i18n.t("cli.addon_some_missing", missing=missing, count=len(c.units)), fg="yellow"
        )
        raise SystemExit(EXIT_FINDINGS)
    echo_ok(i18n.t("cli.addon_all", count=len(c.units)))


@cli.command()
@CAMPAIGN
@click.option("--unit", "unit_id")
@click.option("--form", "form_id")
@click.option("--no-feedback", is_flag=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
def validate(
    campaign: Path, unit_id: str | None, form_id: str | None, no_feedback: bool, fmt: str
) -> None:
    """Check the units' data and write feedback into their spreadsheets.

    Help text: `cli.help.validate` in sync/i18n."""
    c = load_campaign(campaign)
    units = _units(c, unit_id)
    _form(c, form_id)
    run = _run(command_workspace(c), units, feedback=not no_feedback)
    frame = run.result.report.frame
    frame = frame[frame["unit"].isin(run.units)]
    if form_id:
        frame = frame[frame["form"] == form_id]
    summaries = [
        s
        for s in run.result.summaries
        if s.unit in run.units and (not form_id or s.form == form_id)
    ]
    errors = int((frame["severity"] == "error").sum())
    findings = [
        _finding_dict({str(k): v for k, v in rec.items()}) for rec in frame.to_dict("records")
    ]
    if fmt == "json":
        payload = {
            "campaign": c.id,
            "now": run.now.isoformat(),
            "valid": errors == 0,
            "findings": findings,
            "units": [
                {
                    "unit": s.unit,
                    "form": s.form,
                    "rows": s.rows,
                    "valid_rows": s.valid_rows,
                    "errors": s.errors,
                    "warnings": s.warnings,
                    "state": s.state,
                }
                for s in summaries
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = SafeDictWriter(buffer, FINDING_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(findings)
        click.echo(buffer.getvalue(), nl=False)
    else:
        _print_table(c, run, findings, summaries)
    for unit, message in run.write_errors.items():
        click.secho(
            i18n.t("cli.feedback_failed", unit=unit, message=message), fg="yellow", err=True
        )
    if errors:
        raise click.exceptions.Exit(EXIT_FINDINGS)


def _finding_dict(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(rec.get(k)) for k in FINDING_COLUMNS}


def _print_table(
    c: Campaign, run: Run, findings: list[dict[str, Any]], summaries: list[Any]
) -> None:
    names = {u.id: u.name for u in c.units}
    forms = {f.id: f for f in c.forms}
    if findings:
        rows = []
        for f in findings:
            form = forms.get(f["form"])
            header = form.header_of(f["column"]) if form is not None else f["column"] or ""
            sev = (
                i18n.t("severity.error") if f["severity"] == "error" else i18n.t("severity.warning")
            )
            title = form.title if form is not None else f["form"]
            rows.append([f["unit"], title, f["row"] or "", header, sev, f["message"]])
        click.echo(
            table(
                [
                    i18n.t("cli.col.unit"),
                    i18n.t("cli.col.form"),
                    i18n.t("cli.col.rows"),
                    i18n.t("cli.col.column"),
                    i18n.t("cli.col.severity"),
                    i18n.t("cli.col.message"),
                ],
                rows,
                max_col=90,
            )
        )
        click.echo()
    rows = [
        [
            s.unit,
            names.get(s.unit, s.unit),
            forms[s.form].title if s.form in forms else s.form,
            "" if s.quota is None else s.quota,
            s.rows,
            s.valid_rows,
            s.errors,
            s.warnings,
            summary_label(s, c.language),
        ]
        for s in summaries
    ]
    click.echo(
        table(
            [
                i18n.t("cli.col.id"),
                i18n.t("cli.col.unit"),
                i18n.t("cli.col.form"),
                i18n.t("cli.col.quota"),
                i18n.t("cli.col.rows"),
                i18n.t("cli.col.valid"),
                i18n.t("severity.error"),
                i18n.t("severity.warning"),
                i18n.t("cli.col.state"),
            ],
            rows,
        )
    )
    errors = sum(1 for f in findings if f["severity"] == "error")
    warnings = len(findings) - errors
    click.echo()
    if run.written or run.unchanged:
        click.echo(
            i18n.t("cli.feedback_written", written=len(run.written), unchanged=len(run.unchanged))
        )
    if errors:
        click.secho(i18n.t("cli.errors_left", errors=errors, warnings=warnings), fg="red")
    else:
        echo_ok(i18n.t("cli.no_errors", warnings=warnings))


@cli.command()
@CAMPAIGN
@click.option("--out", type=click.Path(path_type=Path))
def consolidate(campaign: Path, out: Path | None) -> None:
    """Write the consolidated tables (Summary, one per form, To fix).

    Help text: `cli.help.consolidate` in sync/i18n."""
    c = load_campaign(campaign)
    ws = command_workspace(c)
    export = ws.store if isinstance(ws.store, ExportsXlsx) else None
    if out is not None and export is None:
        raise ThiduaError.of("cli.no_xlsx_export", kind=c.backend.kind)
    done = operations.consolidate(ws, write=out is None, run_id=new_run_id("cli"), tick=_ticker(c))
    tables = done.tables
    if out is not None and export is not None:
        try:
            export.export_xlsx(tables, out)
        except OSError as exc:
            raise ThiduaError(i18n.t("cli.cannot_write", path=out, reason=exc.strerror)) from exc
        location = str(out)
    else:
        location = str(done.location)
    echo_ok(i18n.t("cli.consolidated_written", location=location))
    summary, to_fix = tables.tables[SUMMARY_TAB], tables.tables[FIX_TAB]
    click.echo(i18n.t("cli.consolidated_counts", rows=len(summary), findings=len(to_fix)))


@cli.command()
@CAMPAIGN
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
def status(campaign: Path, fmt: str) -> None:
    """Completion and on-time rates by form, rolled up by parent unit (help text: `cli.help.status`)."""
    c = load_campaign(campaign)
    run = _run(command_workspace(c), None, feedback=False)
    items = progress(c, run.result.summaries)
    if fmt == "json":
        payload = {
            "campaign": c.id,
            "now": run.now.isoformat(),
            "progress": [p.as_dict() for p in items],
            "units": [
                {
                    "unit": s.unit,
                    "form": s.form,
                    "rows": s.rows,
                    "errors": s.errors,
                    **state_fields(s, c.language, c.tz),
                }
                for s in run.result.summaries
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    tz = c.tz
    for form in c.forms:
        due = form.due.astimezone(tz).strftime("%d/%m/%Y %H:%M")
        click.secho(i18n.t("cli.status_form", form=form.title, due=due), bold=True)
        rows = [
            [
                "  " * p.depth + p.group_name,
                p.expected,
                p.started,
                p.valid,
                p.submitted,
                p.on_time,
                p.late,
                f"{p.completeness * 100:.0f} %",
                f"{p.timeliness * 100:.0f} %",
            ]
            for p in items
            if p.form == form.id
        ]
        click.echo(
            table(
                [
                    i18n.t("cli.col.group"),
                    i18n.t("cli.col.units"),
                    i18n.t("cli.col.started"),
                    i18n.t("cli.col.valid"),
                    i18n.t("cli.col.submitted"),
                    i18n.t("cli.col.on_time"),
                    i18n.t("cli.col.late"),
                    i18n.t("cli.col.complete"),
                    i18n.t("cli.col.on_time_pct"),
                ],
                rows,
            )
        )
        click.echo()


@cli.command("submit")
@CAMPAIGN
@click.option("--unit", "unit_id", required=True)
@click.option("--form", "form_id", required=True)
def submit_cmd(campaign: Path, unit_id: str, form_id: str) -> None:
    """Submit a unit's form: fix the official copy (it must have no errors).

    Help text: `cli.help.submit` in sync/i18n."""
    c = load_campaign(campaign)
    done = operations.submit(command_workspace(c), unit_id, form_id, run_id=new_run_id("cli"))
    late, now, corrected = done.late, done.at, done.corrected
    when = now.astimezone(c.tz).strftime("%d/%m/%Y %H:%M")
    form = c.form(form_id)
    what = i18n.t("cli.submitted.corrected") if corrected else i18n.t("cli.col.submitted")
    unit = c.unit(unit_id).name
    if late:
        click.secho(
            i18n.t("cli.submitted.late", what=what, form=form.title, unit=unit, at=when),
            fg="yellow",
        )
    else:
        echo_ok(i18n.t("cli.submitted.on_time", what=what, form=form.title, unit=unit, at=when))
