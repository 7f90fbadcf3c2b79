"""`thidua user add|list|passwd|remove`: organiser accounts of the dashboard."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from .. import i18n
from ..audit import campaign_url, open_engine
from ..campaign import load_campaign
from ..users import ROLES, add_user, list_users, remove_user, set_password
from .app import cli
from .output import echo_ok, table

CAMPAIGN = click.argument("campaign", type=click.Path(path_type=Path))
USERNAME = click.argument("username")
PASSWORD_STDIN = click.option(
    "--password-stdin",
    is_flag=True,
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = click.prompt(
        i18n.t("cli.password_prompt"),
        hide_input=True,
        confirmation_prompt=i18n.t("cli.password_again"),
    )
    return value


@cli.group()
def user() -> None:
    """Accounts of the dashboard (organisers, leaders) (help text: `cli.help.user`)."""


@user.command("add")
@CAMPAIGN
@USERNAME
@click.option("--name", default="")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="organiser",
    show_default=True,
)
@PASSWORD_STDIN
def user_add(campaign: Path, username: str, name: str, role: str, password_stdin: bool) -> None:
    """Create the account USERNAME (password ≥ 10 characters, stored as an argon2 hash).

    Help text: `cli.help.user.add` in sync/i18n."""
    c = load_campaign(campaign)
    engine = open_engine(campaign_url(c))
    try:
        account = add_user(engine, c.id, username, _password(password_stdin), name, role)
    finally:
        engine.dispose()
    role = i18n.t(f"cli.role.{account.role}")
    echo_ok(i18n.t("cli.user_added", username=account.username, name=account.name, role=role))


@user.command("list")
@CAMPAIGN
def user_list(campaign: Path) -> None:
    """List the accounts and their last sign-in (help text: `cli.help.user.list`)."""
    c = load_campaign(campaign)
    engine = open_engine(campaign_url(c))
    try:
        accounts = list_users(engine, c.id)
    finally:
        engine.dispose()
    if not accounts:
        click.echo(i18n.t("cli.no_users"))
        return

    def when(ts: float | None) -> str:
        if ts is None:
            return i18n.t("cli.never_logged_in")
        return datetime.fromtimestamp(ts, c.tz).strftime("%d/%m/%Y %H:%M")

    click.echo(
        table(
            [
                i18n.t("cli.col.username"),
                i18n.t("cli.col.name"),
                i18n.t("cli.col.role"),
                i18n.t("cli.col.created"),
                i18n.t("cli.col.last_login"),
            ],
            [
                [
                    a.username,
                    a.name,
                    i18n.t(f"cli.role.{a.role}"),
                    when(a.created_at),
                    when(a.last_login_at),
                ]
                for a in accounts
            ],
        )
    )


@user.command("passwd")
@CAMPAIGN
@USERNAME
@PASSWORD_STDIN
def user_passwd(campaign: Path, username: str, password_stdin: bool) -> None:
    """Change USERNAME's password; every earlier session of the account ends.

    Help text: `cli.help.user.passwd` in sync/i18n."""
    c = load_campaign(campaign)
    engine = open_engine(campaign_url(c))
    try:
        set_password(engine, c.id, username, _password(password_stdin))
    finally:
        engine.dispose()
    echo_ok(i18n.t("cli.user_password_changed", username=username.strip().lower()))


@user.command("remove")
@CAMPAIGN
@USERNAME
def user_remove(campaign: Path, username: str) -> None:
    """Delete the account USERNAME (help text: `cli.help.user.remove`)."""
    c = load_campaign(campaign)
    engine = open_engine(campaign_url(c))
    try:
        remove_user(engine, c.id, username)
    finally:
        engine.dispose()
    echo_ok(i18n.t("cli.user_removed", username=username.strip().lower()))
