"""`thidua remind`: e-mail units that have not submitted, still have errors, or were returned."""

from __future__ import annotations

from pathlib import Path

import click

from .. import clock, i18n, operations
from ..audit import campaign_url, open_engine
from ..campaign import load_campaign
from ..reminders import REASONS, SETUP_HINT, Status, link_maker, plan, send, smtp_settings
from .app import EXIT_USAGE, cli
from .output import echo_ok, table

RESULTS = {
    "planned": "sẽ gửi",
    "sent": "đã gửi",
    "failed": "LỖI",
    "skipped": "bỏ qua",
}


@cli.command()
@click.argument("campaign", type=click.Path(path_type=Path))
@click.option("--form", "form_id", help="Chỉ nhắc về một biểu mẫu (mã biểu mẫu).")
@click.option("--unit", "unit_id", help="Chỉ nhắc một đơn vị (mã đơn vị).")
@click.option("--dry-run", is_flag=True, help="Chỉ in danh sách sẽ nhắc, không gửi thư.")
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    envvar="THIDUA_BASE_URL",
    help="Địa chỉ công khai của dịch vụ, cho đường dẫn nộp bài trong thư (THIDUA_BASE_URL).",
)
def remind(
    campaign: Path, form_id: str | None, unit_id: str | None, dry_run: bool, base_url: str
) -> None:
    """Gửi thư nhắc (tiếng Việt) tới editors của các đơn vị chưa nộp, còn lỗi hoặc bị trả lại.

    Cần THIDUA_SMTP_URL (ví dụ smtp://user:pass@mail.example.vn:587?starttls=1) và
    THIDUA_MAIL_FROM; thiếu thì thoát với mã 2. Mỗi thư được ghi vào cơ sở dữ liệu kiểm
    toán; một đơn vị không bị nhắc hai lần về một biểu mẫu trong vòng một ngày.
    """
    c = load_campaign(campaign)
    if form_id is not None and form_id not in {f.id for f in c.forms}:
        raise click.BadParameter(
            i18n.t("cli.remind_no_such_form", form=form_id, forms=", ".join(f.id for f in c.forms)),
            param_hint="--form",
        )
    if unit_id is not None and unit_id not in {u.id for u in c.units}:
        raise click.BadParameter(
            i18n.t("cli.remind_no_such_unit", unit=unit_id), param_hint="--unit"
        )
    settings = smtp_settings()
    if settings is None and not dry_run:
        click.secho(SETUP_HINT, fg="red", err=True)
        raise click.exceptions.Exit(EXIT_USAGE)
    now = clock.now(c.tz)
    engine = open_engine(campaign_url(c))
    try:
        ws = operations.open_workspace(c, engine=engine)
        run = operations.check_units(
            ws, feedback=False, now=now, run_id=operations.new_run_id("remind")
        )
        statuses = {(s.unit, s.form): Status(s.state, s.errors) for s in run.result.summaries}
        reminders = plan(c, statuses, now, link_maker(c, ws.store, base_url), form_id, unit_id)
        outcome = send(c, engine, reminders, now, settings, "cli", dry_run=dry_run)
    finally:
        engine.dispose()
    if not outcome.reminders:
        echo_ok("Không có đơn vị nào cần nhắc.")
        return
    click.echo(
        table(
            [
                i18n.t("cli.col.id"),
                i18n.t("cli.col.unit"),
                i18n.t("cli.col.form"),
                "Lý do",
                i18n.t("severity.error"),
                "Gửi tới",
                "Kết quả",
            ],
            [
                [
                    r.unit.id,
                    r.unit.name,
                    r.form.title,
                    REASONS[r.reason],
                    r.errors or "",
                    ", ".join(r.recipients),
                    RESULTS[r.result] + (f": {r.detail}" if r.detail else ""),
                ]
                for r in outcome.reminders
            ],
            max_col=70,
        )
    )
    click.echo()
    if dry_run:
        click.echo(f"Chạy thử: {outcome.count('planned')} thư sẽ được gửi (chưa gửi thư nào).")
        return
    summary = (
        f"Đã gửi {outcome.count('sent')} thư, bỏ qua {outcome.count('skipped')} "
        f"(đã nhắc trong ngày), lỗi {outcome.count('failed')}."
    )
    if outcome.count("failed"):
        click.secho(summary, fg="yellow")
    else:
        echo_ok(summary)
