"""`thidua` speaks Vietnamese, click's own texts included; English on request (--lang en)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sync.cli import cli, language

# click's own English texts that must never reach a Vietnamese user.
ENGLISH = re.compile(
    r"Usage:|Options:|Commands:|Show this message|Show the version|Error:|No such|Missing "
    r"|\[required\]|\[default:|Try '|Aborted|is not one of|is not a valid|does not exist"
    r"|\bPath\b|\[OPTIONS\]|COMMAND \[ARGS\]|\bTEXT\b|\bINTEGER\b|\bPATH\b|\bCAMPAIGN\b|\bDIRECTORY\b"
)


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


ALL = _commands(cli)


@pytest.fixture
def runner() -> CliRunner:
    language.choose(None, cli)
    yield CliRunner()
    language.choose(None, cli)


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "thidua")
def test_help_of_every_command_is_vietnamese(runner: CliRunner, path: tuple[str, ...]) -> None:
    result = runner.invoke(cli, [*path, "--help"], env={"THIDUA_LANG": ""})
    assert result.exit_code == 0, result.output
    assert "Cách dùng: thidua" in result.output and "Tuỳ chọn:" in result.output
    assert "Xem hướng dẫn này rồi thoát." in result.output
    assert not ENGLISH.search(result.output), result.output


VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "thidua")
def test_help_of_every_command_is_english_with_lang_en(
    runner: CliRunner, path: tuple[str, ...]
) -> None:
    """`--lang en` switches the help texts (from the catalogue) and metavars too."""
    result = runner.invoke(cli, ["--lang", "en", *path, "--help"], env={"THIDUA_LANG": ""})
    assert result.exit_code == 0, result.output
    assert "Usage: thidua" in result.output and "Show this message and exit." in result.output
    english = result.output.replace("Thi đua", "").replace("Nguyễn Văn A", "")
    assert not VIETNAMESE.search(english), result.output


def test_help_texts_come_from_the_catalogue(runner: CliRunner) -> None:
    from sync import i18n
    from sync.cli.language import help_id

    en = runner.invoke(cli, ["review", "--help"], env={"THIDUA_LANG": "en"}).output
    vi = runner.invoke(cli, ["--lang", "vi", "review", "--help"]).output
    assert "--return LÝ_DO" in vi and "--return REASON" in en
    for lang, output in (("vi", vi), ("en", en)):
        for key in (help_id(("review",)), help_id(("review",), "approve")):
            assert " ".join(i18n.t(key, lang).split()[:4]) in " ".join(output.split())


def test_every_option_has_help() -> None:
    missing = []
    for path in ALL:
        command: click.Command = cli
        for name in path:
            assert isinstance(command, click.Group)
            command = command.commands[name]
        missing += [
            f"{' '.join(path)} {p.name}"
            for p in command.params
            if isinstance(p, click.Option) and not p.help
        ]
    assert missing == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["valdate"], "Lỗi: Không có lệnh 'valdate'."),
        (["validate"], "Lỗi: Thiếu tham số 'TỆP_ĐỢT'."),
        (["validate", "x.yaml", "--format", "xml"], "'xml' không thuộc các giá trị"),
        (["validate", "x.yaml", "--colour"], "Không có tuỳ chọn '--colour'."),
        (["allocate", "x.yaml", "--total", "5"], "Thiếu tuỳ chọn '--form'."),
        (["allocate", "x.yaml", "--form", "f", "--total", "nhiều"], "không phải là một số"),
        (["allocate", "x.yaml", "--form", "f", "--total", "-1"], "nằm ngoài khoảng"),
        (["serve", "khong-co.yaml"], "Không tìm thấy 'khong-co.yaml'."),
        (["user", "add"], "Thiếu tham số 'TỆP_ĐỢT'."),
    ],
)
def test_usage_errors_are_vietnamese(runner: CliRunner, args: list[str], expected: str) -> None:
    result = runner.invoke(cli, args, env={"THIDUA_LANG": ""})
    assert result.exit_code == 2
    assert expected in result.output
    assert "Cách dùng: thidua" in result.output and "Xem hướng dẫn: 'thidua" in result.output
    assert not ENGLISH.search(result.output), result.output


def test_abort_is_vietnamese(runner: CliRunner, tmp_path: Path) -> None:
    init = runner.invoke(cli, ["init", str(tmp_path / "dot")])
    assert init.exit_code == 0, init.output
    # the password prompt meets the end of input (Ctrl+D)
    result = runner.invoke(cli, ["user", "add", str(tmp_path / "dot" / "campaign.yaml"), "an"])
    assert result.exit_code == 1
    assert "Đã huỷ." in result.output and "Aborted" not in result.output


@pytest.mark.parametrize("how", ["option", "environment"])
def test_english_on_request(runner: CliRunner, how: str) -> None:
    args, env = (["--lang", "en"], {}) if how == "option" else ([], {"THIDUA_LANG": "en"})
    result = runner.invoke(cli, [*args, "validate", "--help"], env=env)
    assert result.exit_code == 0
    assert "Usage: thidua validate [OPTIONS] CAMPAIGN" in result.output
    assert "Show this message and exit." in result.output
    missing = runner.invoke(cli, [*args, "nosuch"], env=env)
    assert "Error: No such command 'nosuch'." in missing.output


def test_service_logs_readable_on_a_terminal_json_otherwise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json
    from datetime import datetime

    from webhooks import logs

    try:
        logs.configure(kind="text")
        logs.log_event("event handled", unit="H-TAMDUONG", note="hai từ", signature="x")
        line = capsys.readouterr().err.strip()
        when = datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S")  # local time, not epoch
        assert abs((datetime.now() - when).total_seconds()) < 60
        assert line.endswith("INFO    event handled unit=H-TAMDUONG note='hai từ'")
        logs.configure(kind="auto")  # stderr is not a terminal under pytest
        logs.log_event("event handled", unit="H-TAMDUONG")
        record = json.loads(capsys.readouterr().err)
        assert record["msg"] == "event handled" and record["unit"] == "H-TAMDUONG"
    finally:
        logs.configure(kind="json")


def test_serve_has_a_log_format_option(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["serve", "--help"])
    assert "--log-format [auto|text|json]" in result.output
