"""`thidua links`: every unit's signed upload link (offline mode)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click

from .. import clock
from ..campaign import load_campaign
from ..links import campaign_secret, default_expiry, unit_links
from .app import cli
from .output import table


@cli.command()
@click.argument("campaign", type=click.Path(path_type=Path))
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    envvar="THIDUA_BASE_URL",
    help="Địa chỉ công khai của dịch vụ (biến môi trường THIDUA_BASE_URL).",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Hiệu lực (ngày, tính từ bây giờ); mặc định đến 30 ngày sau hạn chót cuối cùng.",
)
@click.option("--unit", "unit_id", default=None, help="Chỉ in đường dẫn của một đơn vị.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Dạng in: table = bảng để đọc, csv hoặc json để gửi thư hàng loạt.",
)
def links(campaign: Path, base_url: str, days: int | None, unit_id: str | None, fmt: str) -> None:
    """In đường dẫn nộp bài có chữ ký của từng đơn vị (chế độ không dùng Google)."""
    c = load_campaign(campaign)
    if not base_url.startswith(("http://", "https://")):
        raise click.BadParameter("cần bắt đầu bằng http:// hoặc https://", param_hint="--base-url")
    now = clock.now(c.tz)
    until = now + timedelta(days=days) if days else max(default_expiry(c), now + timedelta(days=7))
    items = unit_links(c, campaign_secret(c.base_dir), until)
    if unit_id is not None:
        items = [i for i in items if i.unit.id == unit_id]
        if not items:
            known = ", ".join(u.id for u in c.units)
            raise click.BadParameter(
                f"không có đơn vị '{unit_id}' (có: {known})", param_hint="--unit"
            )
    if c.google is not None:
        click.echo(
            "Lưu ý: đợt này dùng Google Trang tính — đơn vị nhập thẳng vào bảng tính của mình; "
            "đường dẫn dưới đây chỉ mở trang giải thích, không nhận tệp gửi lên.",
            err=True,
        )
    rows = [[i.unit.id, i.unit.name, i.url(base_url)] for i in items]
    if fmt == "json":
        out = [
            {
                "unit": i.unit.id,
                "name": i.unit.name,
                "url": i.url(base_url),
                "expires_at": i.expires_at.isoformat(),
            }
            for i in items
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        import csv
        import sys

        writer = csv.writer(sys.stdout)
        writer.writerow(["Mã đơn vị", "Đơn vị", "Đường dẫn"])
        writer.writerows(rows)
        return
    click.echo(table(["Mã", "Đơn vị", "Đường dẫn nộp bài"], rows, max_col=400))
    click.echo(
        f"\nHiệu lực đến {until.strftime('%H:%M ngày %d/%m/%Y')}. Gửi mỗi đơn vị đúng đường dẫn "
        "của mình: ai có đường dẫn đều nộp được thay đơn vị đó."
    )
