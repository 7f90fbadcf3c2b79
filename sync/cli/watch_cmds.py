"""`thidua watch start|renew|stop|poll`: Drive change signals for the Google backend."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import i18n
from ..audit import campaign_url, open_engine
from ..audit.jobs import JobStore
from ..campaign import Campaign, load_campaign
from ..campaign.model import parse_duration
from ..errors import ThiduaError
from ..stores import open_store
from ..stores.capabilities import WatchesChanges, WatchReport
from .app import EXIT_USAGE, cli

if TYPE_CHECKING:
    from sqlalchemy import Engine

CAMPAIGN = click.argument("campaign", type=click.Path(path_type=Path))


def watching_store(c: Campaign) -> WatchesChanges:
    """The campaign's store, when it signals changes (the commands mean nothing otherwise)."""
    store = open_store(c)
    if not isinstance(store, WatchesChanges):
        raise ThiduaError(i18n.t("cli.watch_needs_google", kind=c.backend.kind))
    return store


def _seconds(text: str) -> float:
    raw = text.strip().lower()
    try:
        if raw.endswith("s"):
            return float(raw[:-1])
        if raw.replace(".", "", 1).isdigit():
            return float(raw)
        return parse_duration(raw).total_seconds()
    except (ValueError, TypeError):
        raise ThiduaError(i18n.t("cli.bad_interval", text=text)) from None


def _setup(campaign: Path) -> tuple[Campaign, WatchesChanges, Engine]:
    c = load_campaign(campaign)
    store = watching_store(c)
    return c, store, open_engine(campaign_url(c))


def _report(ctx: click.Context, report: WatchReport, done: str) -> None:
    if report.created:
        click.echo(
            i18n.t("cli.watch_created", count=len(report.created), units=", ".join(report.created))
        )
    if report.kept:
        click.echo(i18n.t("cli.watch_kept", count=len(report.kept), units=", ".join(report.kept)))
    if report.stopped:
        click.echo(
            i18n.t("cli.watch_closed", count=len(report.stopped), units=", ".join(report.stopped))
        )
    for unit, message in report.failed.items():
        click.secho(f"✗ {unit}: {message}", fg="red", err=True)
    if report.failed:
        click.secho(
            i18n.t("cli.watch_failed", count=len(report.failed)),
            fg="red",
            err=True,
        )
        ctx.exit(EXIT_USAGE)
    click.echo(done)


@cli.group()
def watch() -> None:
    """Receive change notifications from Google Drive (push channels, or polling).

    Help text: `cli.help.watch` in sync/i18n."""


@watch.command()
@CAMPAIGN
@click.option(
    "--base-url",
    metavar="URL",
)
@click.option("--ttl", default="24h", show_default=True)
@click.pass_context
def start(ctx: click.Context, campaign: Path, base_url: str | None, ttl: str) -> None:
    """Open a notification channel (files.watch) for each unit's spreadsheet.

    Help text: `cli.help.watch.start` in sync/i18n."""
    _c, store, engine = _setup(campaign)
    report = store.change_channels(engine).start(base_url, ttl=_seconds(ttl))
    _report(ctx, report, i18n.t("cli.watch_started"))


@watch.command()
@CAMPAIGN
@click.option("--margin", default="1h", show_default=True)
@click.option("--ttl", default="24h", show_default=True)
@click.pass_context
def renew(ctx: click.Context, campaign: Path, margin: str, ttl: str) -> None:
    """Replace the channels about to expire (open the new channel first, then stop the old one).

    Help text: `cli.help.watch.renew` in sync/i18n."""
    _c, store, engine = _setup(campaign)
    report = store.change_channels(engine).renew(ttl=_seconds(ttl), margin=_seconds(margin))
    _report(ctx, report, "Xong.")


@watch.command()
@CAMPAIGN
@click.pass_context
def stop(ctx: click.Context, campaign: Path) -> None:
    """Stop all the campaign's notification channels (when the campaign ends).

    Help text: `cli.help.watch.stop` in sync/i18n."""
    _c, store, engine = _setup(campaign)
    report = store.change_channels(engine).stop()
    _report(ctx, report, i18n.t("cli.watch_stopped"))


@watch.command()
@CAMPAIGN
@click.option("--interval", default="30s", show_default=True)
@click.option("--once", is_flag=True)
def poll(campaign: Path, interval: str, once: bool) -> None:
    """Poll Drive regularly (one files.list call each time) and queue checks of the units that changed.

    Help text: `cli.help.watch.poll` in sync/i18n."""
    c, store, engine = _setup(campaign)
    every = _seconds(interval)
    if every <= 0:
        raise ThiduaError(i18n.t("cli.interval_not_positive", interval=interval))
    jobs = JobStore(engine, c.id)
    if not once:
        click.echo(i18n.t("cli.poll_every", every=f"{every:g}"))
    while True:
        started = time.monotonic()
        since = store.poll_since(time.time() - every)
        changes, newest = store.changes_since(since)
        queued = 0
        for change in changes:
            digest = hashlib.sha256(
                f"poll:{change.spreadsheet}:{change.modified}".encode()
            ).hexdigest()
            _id, duplicate = jobs.add_event(
                source="poll",
                spreadsheet=change.spreadsheet,
                unit=change.unit,
                kind="change",
                payload={"modifiedTime": change.modified},
                digest=digest,
            )
            queued += not duplicate
        if newest != since:
            store.save_poll_since(newest)
        click.echo(i18n.t("cli.poll_changes", changed=len(changes), queued=queued))
        if once:
            return
        time.sleep(max(0.0, every - (time.monotonic() - started)))
