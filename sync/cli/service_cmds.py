"""`thidua serve` and `thidua worker`: the only place `sync` imports `webhooks`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import ThiduaError
from . import cli

CAMPAIGN = click.argument("campaign", type=click.Path(path_type=Path, exists=True))


@cli.command()
@CAMPAIGN
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe.")
@click.option("--port", default=8000, show_default=True, type=int, help="Cổng lắng nghe.")
@click.option("--threads", default=8, show_default=True, type=int, help="Số luồng phục vụ.")
def serve(campaign: Path, host: str, port: int, threads: int) -> None:
    """Chạy dịch vụ nhận sự kiện thay đổi, kiểm tra và tổng hợp (waitress)."""
    from waitress import serve as waitress_serve

    from webhooks import create_app

    app = create_app({"CAMPAIGN": str(campaign.resolve())})
    svc = app.extensions["thidua"]
    click.echo(f"Dịch vụ thidua cho đợt «{svc.campaign.info.title}» tại http://{host}:{port}")
    if not app.config.get("SECRET") and not os.environ.get("THIDUA_SECRET"):
        secret_file = svc.campaign.base_dir / ".thidua" / "secret"
        click.echo(f"Khoá bí mật ký sự kiện: {secret_file} (đặt THIDUA_SECRET để dùng khoá khác)")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="thidua")
    finally:
        svc.close()


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

    from webhooks.queue import rq as rq_queue

    os.environ["THIDUA_CAMPAIGN"] = str(campaign.resolve())
    redis = rq_queue.connect(url)
    name = os.environ.get("THIDUA_RQ_QUEUE", rq_queue.DEFAULT_QUEUE)
    click.echo(f"Worker RQ: hàng đợi '{name}', đợt {campaign}")
    Worker([Queue(name, connection=redis)], connection=redis).work(burst=burst)
