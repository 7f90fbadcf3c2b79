"""`thidua review` and `thidua extend`: the organiser's side of the official record."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from .. import clock, i18n
from ..campaign import load_campaign
from ..errors import ThiduaError
from ..operations import extend, new_run_id, review
from .app import cli, command_workspace
from .output import echo_ok

CAMPAIGN = click.argument("campaign", type=click.Path(path_type=Path))
UNIT = click.option("--unit", "unit_id", required=True)
FORM = click.option("--form", "form_id", required=True)
BY = click.option("--by", default=None)


def _by(value: str | None) -> str:
    return value or f"cli:{getpass.getuser()}"


@cli.command("review")
@CAMPAIGN
@UNIT
@FORM
@click.option("--approve", is_flag=True)
@click.option("--return", "reason")
@click.option("--until", metavar="ISO")
@BY
def review_cmd(
    campaign: Path,
    unit_id: str,
    form_id: str,
    approve: bool,
    reason: str | None,
    until: str | None,
    by: str | None,
) -> None:
    """Approve a unit's submission, or return it with a reason for the unit to correct and resubmit.

    Help text: `cli.help.review` in sync/i18n."""
    if approve == (reason is not None):
        raise ThiduaError.of("cli.review_approve_or_return")
    if until is not None and approve:
        raise ThiduaError.of("cli.review_until_with_return")
    c = load_campaign(campaign)
    done = review(
        command_workspace(c),
        unit_id,
        form_id,
        decision="approved" if approve else "returned",
        reason=reason or "",
        until=clock.parse_instant(until, c.tz) if until else None,
        by=_by(by),
        run_id=new_run_id("cli"),
    )
    record = done.review
    form, unit = c.form(form_id), c.unit(unit_id)
    if approve:
        echo_ok(i18n.t("cli.review.approved", form=form.title, unit=unit.name))
        return
    open_until = clock.parse_instant(record["until"], c.tz).astimezone(c.tz)
    echo_ok(
        i18n.t(
            "cli.review.returned",
            form=form.title,
            unit=unit.name,
            reason=record["reason"],
            until=f"{open_until:%d/%m/%Y %H:%M}",
        )
    )


@cli.command("extend")
@CAMPAIGN
@UNIT
@FORM
@click.option("--until", required=True, metavar="ISO")
@BY
def extend_cmd(campaign: Path, unit_id: str, form_id: str, until: str, by: str | None) -> None:
    """Extend the deadline of one form for one unit (submitting before it counts as «on time (extended)»).

    Help text: `cli.help.extend` in sync/i18n."""
    c = load_campaign(campaign)
    when = clock.parse_instant(until, c.tz)
    extend(command_workspace(c), unit_id, form_id, until=when, by=_by(by), run_id=new_run_id("cli"))
    echo_ok(
        i18n.t(
            "cli.extended",
            form=c.form(form_id).title,
            unit=c.unit(unit_id).name,
            until=f"{when.astimezone(c.tz):%d/%m/%Y %H:%M}",
        )
    )
