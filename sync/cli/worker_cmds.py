"""`thidua worker`: an RQ worker process running queued jobs (scale-out; no web part)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import ThiduaError
from .app import cli

CAMPAIGN = click.argument("campaign", type=click.Path(path_type=Path, exists=True))


@cli.command()
@CAMPAIGN
@click.option("--burst", is_flag=True, help="Chạy hết việc đang chờ rồi thoát.")
def worker(campaign: Path, burst: bool) -> None:
    """Chạy tiến trình xử lý việc qua Redis/RQ (cần THIDUA_REDIS_URL và PostgreSQL)."""
    url = os.environ.get("THIDUA_REDIS_URL")
    if not url:
        raise ThiduaError(
            "Chưa đặt THIDUA_REDIS_URL: tiến trình worker chỉ dùng khi mở rộng với Redis. "
            "Chế độ mặc định đã có sẵn luồng xử lý trong `thidua serve`."
        )
    from rq import Queue, Worker

    from ..operations import rq as rq_queue

    os.environ["THIDUA_CAMPAIGN"] = str(campaign.resolve())
    redis = rq_queue.connect(url)
    name = os.environ.get("THIDUA_RQ_QUEUE", rq_queue.DEFAULT_QUEUE)
    click.echo(f"Worker RQ: hàng đợi '{name}', đợt {campaign}")
    Worker([Queue(name, connection=redis)], connection=redis).work(burst=burst)
