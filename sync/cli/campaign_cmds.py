"""Commands on the campaign file: init, check, convert, allocate."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from .. import campaign_xlsx, clock, i18n
from ..campaign import builtin_dir, builtin_names, load_campaign
from ..campaign.loader import campaign_file, is_workbook
from ..errors import AllocationError, ConfigError, ThiduaError
from ..quotas import allocate, allocation_units, exact_shares
from .app import cli
from .output import echo_ok, table

CAMPAIGN_ARG = click.argument("campaign", type=click.Path(path_type=Path))


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--example", default="laichau-2025", show_default=True)
@click.option("--force", is_flag=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "xlsx"]),
    default="yaml",
    show_default=True,
)
@click.option(
    "--copy-template",
    "copy_templates",
    multiple=True,
)
def init(
    directory: Path, example: str, force: bool, fmt: str, copy_templates: tuple[str, ...]
) -> None:
    """Create a new campaign folder from a sample campaign (help text: `cli.help.init`)."""
    names = builtin_names("samples")
    if example not in names:
        raise ThiduaError(i18n.t("cli.no_such_example", example=example, examples=", ".join(names)))
    target = directory / f"campaign.{fmt}"
    if target.exists() and not force:
        raise ThiduaError(i18n.t("cli.target_exists", target=target))
    source = builtin_dir("samples") / example
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for item in source.iterdir():
            if item.is_file() and not (fmt == "xlsx" and item.name == "campaign.yaml"):
                shutil.copy2(item, directory / item.name)
    except OSError as exc:
        raise ThiduaError(
            i18n.t("cli.cannot_create", directory=directory, reason=exc.strerror)
        ) from exc
    if fmt == "xlsx":
        campaign_xlsx.convert(source / "campaign.yaml", target, copy_templates)
    echo_ok(i18n.t("cli.init_done", target=target, example=example))
    click.echo(i18n.t("cli.init_next", target=target))


@cli.command()
@click.argument("campaign", type=click.Path(path_type=Path))
def check(campaign: Path) -> None:
    """Check a campaign file and its templates (help text: `cli.help.check`)."""
    file = campaign_file(campaign)
    try:
        c = load_campaign(campaign)
    except ConfigError as exc:
        if is_workbook(file) and file.is_file():
            copy = campaign_xlsx.checked_copy_path(file)
            try:
                campaign_xlsx.annotate(file, exc.issues, copy)
            except (OSError, ValueError, KeyError, ConfigError):
                pass  # the messages below still say everything
            else:
                click.echo(i18n.t("cli.checked_copy", path=copy), err=True)
        raise
    if is_workbook(file):
        campaign_xlsx.checked_copy_path(file).unlink(missing_ok=True)
    tz = c.tz
    echo_ok("OK")
    click.echo(f"{c.info.title}")
    click.echo(
        i18n.t(
            "cli.check_organizer",
            organizer=c.info.organizer,
            timezone=c.info.timezone,
            backend=c.backend.kind,
        )
    )
    roots = len(c.children(None))
    click.echo(i18n.t("cli.check_counts", units=len(c.units), roots=roots, forms=len(c.forms)))
    rows = []
    for form in c.forms:
        quotas = [q for q in c.quotas(form.id).values() if q is not None]
        opens = form.opens.astimezone(tz).strftime("%d/%m/%Y") if form.opens else ""
        due = form.due.astimezone(tz).strftime("%d/%m/%Y %H:%M")
        rows.append(
            [
                form.id,
                form.title,
                opens,
                due,
                _duration(form.grace),
                i18n.t("word.yes") if form.lock else i18n.t("word.no"),
                sum(quotas) if quotas else "",
            ]
        )
    click.echo(
        table(
            [
                i18n.t("cli.col.id"),
                i18n.t("cli.col.form"),
                i18n.t("cli.col.opens"),
                i18n.t("cli.col.due"),
                i18n.t("cli.col.grace"),
                i18n.t("cli.col.lock"),
                i18n.t("cli.col.total_quota"),
            ],
            rows,
        )
    )
    now = clock.now(tz)
    click.echo(i18n.t("cli.now", now=f"{now:%d/%m/%Y %H:%M}"))


def _duration(value: object) -> str:
    seconds = int(value.total_seconds())  # type: ignore[attr-defined]
    if not seconds:
        return ""
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    return (i18n.t("cli.duration_days", days=days) if days else "") + (
        i18n.t("cli.duration_hours", hours=hours) if hours else ""
    )


@cli.command("convert")
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option(
    "--copy-template",
    "copy_templates",
    multiple=True,
)
@click.option("--force", is_flag=True)
def convert_cmd(src: Path, dst: Path, copy_templates: tuple[str, ...], force: bool) -> None:
    """Convert a campaign between YAML and a workbook (help text: `cli.help.convert`)."""
    src = campaign_file(src)
    if dst.exists() and not force:
        raise ThiduaError(i18n.t("cli.target_exists", target=dst))
    warnings = campaign_xlsx.convert(src, dst, copy_templates)
    for warning in warnings:
        click.secho(i18n.t("cli.warning", warning=warning), fg="yellow", err=True)
    echo_ok(i18n.t("cli.converted", src=src, dst=dst))


@cli.command("allocate")
@CAMPAIGN_ARG
@click.option("--form", "form_id", required=True)
@click.option("--total", required=True, type=click.IntRange(min=0))
@click.option(
    "--by",
    type=click.Choice(["staff"]),
    default="staff",
    show_default=True,
)
@click.option(
    "--min",
    "minimum",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
)
@click.option("--max", "maximum", type=click.IntRange(min=0))
@click.option("--units", "unit_ids")
@click.option("--level")
@click.option(
    "--write",
    is_flag=True,
)
def allocate_cmd(
    campaign: Path,
    form_id: str,
    total: int,
    by: str,
    minimum: int,
    maximum: int | None,
    unit_ids: str | None,
    level: str | None,
    write: bool,
) -> None:
    """Split a total over the units in proportion to their staff (largest remainder method).

    Help text: `cli.help.allocate` in sync/i18n."""
    c = load_campaign(campaign, pending_quotas=[form_id])
    try:
        c.form(form_id)
    except KeyError:
        raise ThiduaError(
            i18n.t("cli.no_such_form", form=form_id, forms=", ".join(f.id for f in c.forms))
        ) from None
    ids = [i.strip() for i in unit_ids.split(",") if i.strip()] if unit_ids else None
    units = allocation_units(c, form_id, ids, level)
    missing = [u.id for u in units if u.staff is None]
    if missing:
        raise AllocationError(i18n.t("cli.units_without_staff", units=", ".join(missing)))
    weights = {u.id: float(u.staff or 0) for u in units}
    parts = allocate(weights, total, minimum, order=[u.id for u in units], maximum=maximum)
    exact = exact_shares(weights, total)
    rows: list[list[object]] = [
        [u.id, u.name, u.staff, f"{exact[u.id]:.2f}".replace(".", ","), parts[u.id]] for u in units
    ]
    rows.append(
        ["", i18n.t("cli.total"), sum(u.staff or 0 for u in units), str(total), sum(parts.values())]
    )
    click.echo(
        table(
            [
                i18n.t("cli.col.id"),
                i18n.t("cli.col.unit"),
                i18n.t("cli.col.staff"),
                i18n.t("cli.col.exact_share"),
                i18n.t("cli.col.quota"),
            ],
            rows,
        )
    )
    if write:
        if c.origin is not None:
            raise ThiduaError(i18n.t("cli.cannot_write_remote", origin=c.origin))
        if is_workbook(c.source):
            campaign_xlsx.write_quotas(c.source, form_id, parts)
        else:
            write_quotas(c.source, form_id, parts)
        echo_ok(i18n.t("cli.quotas_written", form=form_id, path=c.source))


def write_quotas(path: Path, form_id: str, parts: dict[str, int]) -> None:
    """Update units[].quotas.<form> in place, keeping comments and key order."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(i18n.t("cli.cannot_read", path=path, reason=exc.strerror)) from exc
    for unit in data["units"]:
        if unit["id"] not in parts:
            continue
        quotas = unit.get("quotas")
        if quotas is None:
            quotas = CommentedMap()
            quotas.fa.set_flow_style()
            unit["quotas"] = quotas
        quotas[form_id] = parts[unit["id"]]
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            yaml.dump(data, fh)
        tmp.replace(path)
    except OSError as exc:
        raise ConfigError(i18n.t("cli.cannot_write", path=path, reason=exc.strerror)) from exc
    load_campaign(path)  # the written file must still be valid
