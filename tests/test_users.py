"""Organiser accounts: the library (argon2id hashes) and `thidua user …` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from sync.audit import open_engine
from sync.audit.models import User
from sync.cli import cli
from sync.users import (
    UserError,
    add_user,
    authenticate,
    list_users,
    remove_user,
    set_password,
)

GOOD = "Mot-mat-khau-du-dai"


@pytest.fixture
def engine(db_url: str) -> Any:
    eng = open_engine(db_url)
    yield eng
    eng.dispose()


def test_password_is_stored_as_an_argon2id_hash(engine: Any) -> None:
    add_user(engine, "c1", "Ban.ToChuc", GOOD, name="Ban Tổ chức")
    with engine.connect() as conn:
        stored = conn.execute(select(User.username, User.password_hash)).one()
    assert stored.username == "ban.tochuc"  # usernames are case-insensitive
    assert stored.password_hash.startswith("$argon2id$") and GOOD not in stored.password_hash


def test_authenticate(engine: Any) -> None:
    add_user(engine, "c1", "bantochuc", GOOD)
    assert authenticate(engine, "c1", "BANTOCHUC", GOOD) is not None
    assert authenticate(engine, "c1", "bantochuc", GOOD + "x") is None
    assert authenticate(engine, "c1", "nobody", GOOD) is None
    assert authenticate(engine, "c2", "bantochuc", GOOD) is None  # another campaign
    (account,) = list_users(engine, "c1")
    assert account.last_login_at is not None


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("a", GOOD, "Tên đăng nhập 'a' không hợp lệ"),
        ("nguyễn", GOOD, "không hợp lệ"),
        ("bantochuc", "ngan", "Mật khẩu quá ngắn: cần ít nhất 10 ký tự."),
        ("bantochuc", "xx-bantochuc-xx", "Mật khẩu không được chứa tên đăng nhập."),
        ("bantochuc", "aaaaaaaaaaaa", "Mật khẩu quá đơn giản"),
    ],
)
def test_bad_accounts_are_refused(engine: Any, username: str, password: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        add_user(engine, "c1", username, password)
    assert list_users(engine, "c1") == []


def test_duplicate_username(engine: Any) -> None:
    add_user(engine, "c1", "bantochuc", GOOD)
    with pytest.raises(UserError, match="đã có"):
        add_user(engine, "c1", "BanToChuc", GOOD)
    add_user(engine, "c2", "bantochuc", GOOD)  # the same name in another campaign is fine


def test_password_change_bumps_the_session_version(engine: Any) -> None:
    before = add_user(engine, "c1", "bantochuc", GOOD)
    after = set_password(engine, "c1", "bantochuc", "Mat-khau-thu-hai")
    assert after.session_version == before.session_version + 1
    assert authenticate(engine, "c1", "bantochuc", GOOD) is None
    assert authenticate(engine, "c1", "bantochuc", "Mat-khau-thu-hai") is not None
    remove_user(engine, "c1", "bantochuc")
    with pytest.raises(UserError, match="Không có tài khoản"):
        remove_user(engine, "c1", "bantochuc")


def test_user_commands(campaign_file: Path, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("THIDUA_DATABASE_URL", f"sqlite:///{tmp_path / 'users.sqlite3'}")
    run = CliRunner().invoke
    c = str(campaign_file)
    added = run(
        cli,
        ["user", "add", c, "bantochuc", "--name", "Ban Tổ chức", "--password-stdin"],
        input=GOOD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "Đã tạo tài khoản 'bantochuc' (Ban Tổ chức, ban tổ chức)." in added.output
    again = run(cli, ["user", "add", c, "bantochuc", "--password-stdin"], input=GOOD + "\n")
    assert again.exit_code == 2 and "đã có" in again.output
    weak = run(cli, ["user", "add", c, "lanhdao", "--password-stdin"], input="123\n")
    assert weak.exit_code == 2 and "Mật khẩu quá ngắn" in weak.output
    prompted = run(
        cli,
        ["user", "add", c, "lanhdao", "--role", "leader"],
        input="Lanh-dao-2025-ok\nLanh-dao-2025-ok\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert "(lanhdao, lãnh đạo, chỉ xem)" in prompted.output
    bad_role = run(cli, ["user", "add", c, "x2", "--role", "boss", "--password-stdin"], input=GOOD)
    assert bad_role.exit_code == 2 and "organiser" in bad_role.output
    listed = run(cli, ["user", "list", c])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split()[:3] == ["Tên", "đăng", "nhập"]
    assert [ln.split()[0] for ln in lines[2:]] == ["bantochuc", "lanhdao"]
    assert "chưa đăng nhập" in lines[2]
    assert "ban tổ chức" in lines[2] and "lãnh đạo, chỉ xem" in lines[3]
    changed = run(
        cli, ["user", "passwd", c, "lanhdao", "--password-stdin"], input="Moi-hon-2025-x\n"
    )
    assert changed.exit_code == 0
    removed = run(cli, ["user", "remove", c, "lanhdao"])
    assert removed.exit_code == 0 and "Đã xoá tài khoản 'lanhdao'." in removed.output
    missing = run(cli, ["user", "remove", c, "lanhdao"])
    assert missing.exit_code == 2 and "Không có tài khoản 'lanhdao'." in missing.output


def test_migrations_match_the_models(db_url: str) -> None:
    """The Alembic revisions create exactly the tables the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sync.audit.models import Base

    eng = open_engine(db_url)
    try:
        with eng.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        eng.dispose()
    assert diff == []
