"""The `thidua` command line (docs/design.md: Command line) through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.cli import cli

COMMANDS = sorted(name for name, cmd in cli.commands.items() if not cmd.hidden)
NOW_BEFORE = "2025-04-10T09:00+07:00"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def campaign(tmp_path: Path, runner: CliRunner) -> Path:
    result = runner.invoke(cli, ["init", str(tmp_path / "dot")])
    assert result.exit_code == 0, result.output
    return tmp_path / "dot" / "campaign.yaml"


def test_contract_commands_exist() -> None:
    for name in [
        "init",
        "check",
        "provision",
        "validate",
        "consolidate",
        "status",
        "submit",
        "allocate",
        "demo",
    ]:
        assert name in COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(runner: CliRunner, name: str) -> None:
    result = runner.invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Cách dùng:" in result.output and len(result.output.splitlines()) > 3


def test_group_help_documents_exit_codes(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "0 = không có lỗi, 1 = dữ liệu còn lỗi, 2 = lỗi cách dùng" in result.output


def test_check_ok_summary(runner: CliRunner, campaign: Path) -> None:
    result = runner.invoke(cli, ["--now", NOW_BEFORE, "check", str(campaign)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK")
    assert (
        "đơn vị" in result.output
        and "dai_bieu" in result.output
        and "20/04/2025 17:00" in result.output
    )


def test_check_config_error_exit_2_names_path(runner: CliRunner, campaign: Path) -> None:
    text = campaign.read_text(encoding="utf-8").replace(
        "timezone: Asia/Ho_Chi_Minh", "timezone: Mars/Base", 1
    )
    campaign.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["check", str(campaign)])
    assert result.exit_code == 2
    assert "campaign.timezone" in result.output and "Traceback" not in result.output


def test_missing_file_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "không tìm thấy" in result.output


def test_bad_now_exit_2(runner: CliRunner, campaign: Path) -> None:
    result = runner.invoke(cli, ["--now", "yesterday", "check", str(campaign)])
    assert result.exit_code == 2
    assert "không hợp lệ" in result.output


def test_allocate_prints_and_writes_keeping_comments(runner: CliRunner, campaign: Path) -> None:
    before = campaign.read_text(encoding="utf-8")
    comments = [line.strip() for line in before.splitlines() if line.strip().startswith("#")]
    result = runner.invoke(
        cli,
        [
            "allocate",
            str(campaign),
            "--form",
            "dai_bieu",
            "--total",
            "100",
            "--min",
            "2",
            "--write",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Tổng" in result.output
    after = campaign.read_text(encoding="utf-8")
    assert [line.strip() for line in after.splitlines() if line.strip().startswith("#")] == comments
    from sync.campaign import load_campaign

    c = load_campaign(campaign)
    quotas = [c.quota(u.id, "dai_bieu") for u in c.units]
    assert sum(q or 0 for q in quotas) == 100 and min(q or 0 for q in quotas) >= 2


def test_allocate_cannot_cover_minimum(runner: CliRunner, campaign: Path) -> None:
    result = runner.invoke(
        cli, ["allocate", str(campaign), "--form", "dai_bieu", "--total", "3", "--min", "1"]
    )
    assert result.exit_code == 2
    assert "không đủ cho mức tối thiểu" in result.output


def test_validate_json_shape_and_exit_codes(runner: CliRunner, campaign: Path) -> None:
    assert runner.invoke(cli, ["provision", str(campaign)]).exit_code == 0
    empty = runner.invoke(cli, ["--now", NOW_BEFORE, "validate", str(campaign), "--format", "json"])
    payload = json.loads(empty.output)
    assert set(payload) == {"campaign", "now", "valid", "findings", "units"}
    assert payload["now"].startswith("2025-04-10T09:00")
    for unit in payload["units"]:
        assert set(unit) == {"unit", "form", "rows", "valid_rows", "errors", "warnings", "state"}
    for finding in payload["findings"]:
        assert set(finding) == {
            "unit",
            "form",
            "row",
            "column",
            "code",
            "severity",
            "message",
            "value",
        }
    assert empty.exit_code == (0 if payload["valid"] else 1)


def test_unknown_unit_exit_2(runner: CliRunner, campaign: Path) -> None:
    result = runner.invoke(cli, ["validate", str(campaign), "--unit", "NOPE"])
    assert result.exit_code == 2
    assert "Không có đơn vị 'NOPE'" in result.output
