"""The `thidua` command group, exit codes and error handling; commands live in `*_cmds.py`.

`thidua` is a thin click CLI over the library (docs/design.md: Command line).

Exit status: 0 fine, 1 validation errors found, 2 usage or configuration error.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from .. import clock, i18n
from ..audit import campaign_url, open_engine
from ..campaign import Campaign
from ..campaign.loader import is_remote_ref
from ..errors import ConfigError, ThiduaError
from ..operations import Workspace, open_workspace
from . import language

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def hoist_global_options(args: list[str]) -> list[str]:
    """`thidua validate c.yaml --now X` → `thidua --now X validate c.yaml`: `--now` is
    accepted after the subcommand too (it applies to every command)."""
    out: list[str] = []
    hoisted: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out += args[i:]
            break
        if arg == "--now" and i + 1 < len(args):
            hoisted += args[i : i + 2]
            i += 2
            continue
        if arg.startswith("--now="):
            hoisted.append(arg)
        else:
            out.append(arg)
        i += 1
    return hoisted + out


def command_workspace(campaign: Campaign) -> Workspace:
    """The campaign's workspace for one command; its database connections are closed when
    the command ends (a PostgreSQL server does not keep idle connections of finished
    commands)."""
    engine = open_engine(campaign_url(campaign))
    click.get_current_context().call_on_close(engine.dispose)
    return open_workspace(campaign, engine=engine)


class ThiduaGroup(click.Group):
    """Turns project errors into a message and exit 2, never a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.secho(i18n.t("cli.config_error"), fg="red", err=True)
            for issue in exc.issues:
                click.echo(f"  {issue}", err=True)
            ctx.exit(EXIT_USAGE)
        except ThiduaError as exc:
            click.secho(i18n.t("cli.error", exc=exc), fg="red", err=True)
            ctx.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo(i18n.t("cli.stopped"), err=True)
            ctx.exit(130)


class CampaignPath(click.Path):
    """A campaign file that must exist, or a Google Sheet URL / id (kept as given)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and is_remote_ref(value):
            return value
        return super().convert(value, param, ctx)


def _choose_language(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    language.choose(value, ctx.find_root().command)


@click.group("thidua", cls=ThiduaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--now",
    envvar="THIDUA_NOW",
)
@click.option("-v", "--verbose", is_flag=True)
@click.option(
    "--lang",
    type=click.Choice(language.LANGUAGES),
    envvar="THIDUA_LANG",
    is_eager=True,
    expose_value=False,
    callback=_choose_language,
)
@click.version_option(package_name="thidua-sync", prog_name="thidua")
def cli(now: str | None, verbose: bool) -> None:
    """thidua — collect, check and consolidate lists for emulation and awards.

    Help text: `cli.help.thidua` in sync/i18n."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    clock.pin(now)
