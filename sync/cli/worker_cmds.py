"""`thidua worker`: an RQ worker process running queued jobs (scale-out; no web part)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .. import i18n
from ..campaign.loader import campaign_ref
from ..errors import ThiduaError
from .app import CampaignPath, cli

CAMPAIGN = click.argument("campaign", type=CampaignPath(path_type=Path, exists=True))
"""A campaign file (.yaml, .xlsx) or a Google Sheet URL / id."""


@cli.command()
@CAMPAIGN
@click.option("--burst", is_flag=True)
def worker(campaign: Path, burst: bool) -> None:
    """Run the job worker over Redis/RQ (needs THIDUA_REDIS_URL and PostgreSQL).

    Help text: `cli.help.worker` in sync/i18n."""
    url = os.environ.get("THIDUA_REDIS_URL")
    if not url:
        raise ThiduaError(i18n.t("cli.worker_needs_redis"))
    from rq import Queue, Worker

    from ..operations import rq as rq_queue

    os.environ["THIDUA_CAMPAIGN"] = campaign_ref(campaign)
    redis = rq_queue.connect(url)
    name = os.environ.get("THIDUA_RQ_QUEUE", rq_queue.DEFAULT_QUEUE)
    click.echo(i18n.t("cli.rq_worker", name=name, campaign=campaign))
    Worker([Queue(name, connection=redis)], connection=redis).work(burst=burst)
