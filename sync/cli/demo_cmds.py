"""`thidua demo` and the hidden `run-sample` used by `make run`."""

from __future__ import annotations

from pathlib import Path

import click

from ..demo import print_summary, run_demo
from . import cli


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path("thidua-demo"))
def demo(directory: Path) -> None:
    """Chạy trọn vòng một lần trên backend local với dữ liệu mẫu (mặc định ./thidua-demo)."""
    result = run_demo(directory, say=click.echo)
    print_summary(result, say=click.echo)


@cli.command("run-sample", hidden=True)
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Chỉ chuẩn bị đợt mẫu, không chạy dịch vụ.")
@click.pass_context
def run_sample(ctx: click.Context, directory: Path, port: int, no_serve: bool) -> None:
    """`make run`: prepare the sample campaign in DIRECTORY if absent, then serve it."""
    if not (directory / "campaign.yaml").exists() or not (directory / "workbooks").exists():
        result = run_demo(directory, say=click.echo)
        print_summary(result, say=click.echo)
    else:
        click.echo(f"Đợt mẫu đã có ở {directory} (xoá thư mục để tạo lại).")
    click.echo(f"Sổ của các đơn vị: {directory / 'workbooks'}")
    if no_serve:
        return
    from .service_cmds import serve

    ctx.invoke(serve, campaign=directory / "campaign.yaml", port=port)
