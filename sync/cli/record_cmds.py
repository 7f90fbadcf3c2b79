"""`thidua review` and `thidua extend`: the organiser's side of the official record."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from .. import clock
from ..campaign import load_campaign
from ..errors import ThiduaError
from ..operations import extend, new_run_id, review
from .app import cli, command_workspace
from .output import echo_ok

CAMPAIGN = click.argument("campaign", type=click.Path(path_type=Path))
UNIT = click.option("--unit", "unit_id", required=True, help="Mã đơn vị.")
FORM = click.option("--form", "form_id", required=True, help="Mã biểu mẫu.")
BY = click.option(
    "--by", default=None, help="Người quyết định, ghi vào nhật ký (mặc định: tài khoản máy)."
)


def _by(value: str | None) -> str:
    return value or f"cli:{getpass.getuser()}"


@cli.command("review")
@CAMPAIGN
@UNIT
@FORM
@click.option("--approve", is_flag=True, help="Duyệt bản đã nộp (bản chính thức cuối cùng).")
@click.option("--return", "reason", metavar="LÝ_DO", help="Trả lại để đơn vị sửa, kèm lý do.")
@click.option(
    "--until",
    metavar="ISO",
    help="Trả lại: mở cho đơn vị sửa đến lúc này (mặc định: lúc khoá sổ, hoặc 7 ngày nữa).",
)
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
    """Duyệt bản nộp của một đơn vị, hoặc trả lại kèm lý do để đơn vị sửa và nộp lại."""
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
        echo_ok(f"Đã duyệt «{form.title}» của {unit.name}.")
        return
    open_until = clock.parse_instant(record["until"], c.tz).astimezone(c.tz)
    echo_ok(
        f"Đã trả lại «{form.title}» cho {unit.name}: {record['reason']}. "
        f"Đơn vị sửa và nộp lại trước {open_until:%d/%m/%Y %H:%M}."
    )


@cli.command("extend")
@CAMPAIGN
@UNIT
@FORM
@click.option("--until", required=True, metavar="ISO", help="Hạn nộp mới, ví dụ 2025-05-05T17:00.")
@BY
def extend_cmd(campaign: Path, unit_id: str, form_id: str, until: str, by: str | None) -> None:
    """Gia hạn nộp một biểu mẫu cho một đơn vị (nộp trước hạn mới: «đúng hạn (gia hạn)»)."""
    c = load_campaign(campaign)
    when = clock.parse_instant(until, c.tz)
    extend(command_workspace(c), unit_id, form_id, until=when, by=_by(by), run_id=new_run_id("cli"))
    echo_ok(
        f"Đã gia hạn «{c.form(form_id).title}» cho {c.unit(unit_id).name} đến "
        f"{when.astimezone(c.tz):%d/%m/%Y %H:%M}."
    )
