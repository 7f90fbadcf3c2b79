"""Organiser accounts of the dashboard (docs/design.md: Web pages): stored in the audit database.

Passwords are hashed with argon2id (argon2-cffi); a verification re-hashes when the
parameters changed. Each account has a random `session_token` that its session cookie
names; it is replaced on logout and on a password change, so every session opened before
ends on the server side (a copied cookie stops working), and no two accounts — nor a new
account and a guess — share a session state.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from . import i18n
from .audit import AuditError
from .audit.models import User
from .errors import ThiduaError

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
ROLES = ("organiser", "leader")
"""organiser: reviews, extends, manages; leader: reads everything, changes nothing."""
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to a wrong password.
_DUMMY_HASH = _hasher.hash("thidua-no-such-user")


class UserError(ThiduaError):
    """An account cannot be created or changed (name taken, weak password…)."""


@dataclass(frozen=True)
class Account:
    """An organiser account, without its password hash."""

    id: int
    username: str
    name: str
    created_at: float
    last_login_at: float | None
    session_version: int
    session_token: str
    role: str = "organiser"

    @property
    def can_change(self) -> bool:
        """Organisers review, extend and manage; leaders only read."""
        return self.role == "organiser"

    def session_matches(self, token: object) -> bool:
        """True when a cookie's token is this account's current one (constant time)."""
        return isinstance(token, str) and hmac.compare_digest(
            token.encode(), self.session_token.encode()
        )


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        username=row.username,
        name=row.name,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        session_version=row.session_version,
        session_token=row.session_token or "",
        role=row.role or "organiser",
    )


def check_role(role: str) -> str:
    """`organiser` or `leader`, or UserError naming both."""
    value = role.strip().lower()
    if value not in ROLES:
        raise UserError.of("user.bad_role", role=role)
    return value


def check_username(username: str) -> str:
    """The normalised username, or UserError saying what a valid one looks like."""
    value = username.strip().lower()
    if not USERNAME.match(value):
        raise UserError(i18n.t("user.bad_name", username=username))
    return value


def check_password(password: str, username: str = "") -> None:
    """UserError when the password is too weak to guard leadership's data."""
    if len(password) < MIN_PASSWORD:
        raise UserError(i18n.t("user.password_too_short", minimum=MIN_PASSWORD))
    if username and username.lower() in password.lower():
        raise UserError(i18n.t("user.password_has_name"))
    if len(set(password)) < 4:
        raise UserError(i18n.t("user.password_too_simple"))


def add_user(
    engine: Engine,
    campaign: str,
    username: str,
    password: str,
    name: str = "",
    role: str = "organiser",
) -> Account:
    """Create an account; UserError when the name is taken or the password weak."""
    username = check_username(username)
    role = check_role(role)
    check_password(password, username)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(User).values(
                    campaign=campaign,
                    username=username,
                    name=name.strip() or username,
                    password_hash=_hasher.hash(password),
                    created_at=time.time(),
                    session_version=1,
                    session_token=new_session_token(),
                    role=role,
                )
            )
    except IntegrityError:
        raise UserError(i18n.t("user.exists", username=username)) from None
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("user.write_failed", exc=exc)) from exc
    found = get_user(engine, campaign, username)
    assert found is not None
    return found


def get_user(engine: Engine, campaign: str, username: str) -> Account | None:
    """The account named `username` (any case), or None."""
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(User).where(
                    (User.campaign == campaign) & (User.username == username.strip().lower())
                )
            ).first()
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("user.read_failed", exc=exc)) from exc
    return _account(row) if row is not None else None


def list_users(engine: Engine, campaign: str) -> list[Account]:
    """Every account of the campaign, by username."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(User).where(User.campaign == campaign).order_by(User.username)
            ).all()
            return [_account(r) for r in rows]
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("user.list_failed", exc=exc)) from exc


def authenticate(engine: Engine, campaign: str, username: str, password: str) -> Account | None:
    """The account when the password matches (its last login is recorded), else None."""
    where = (User.campaign == campaign) & (User.username == username.strip().lower())
    try:
        with engine.connect() as conn:
            row = conn.execute(select(User).where(where)).first()
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("user.read_failed", exc=exc)) from exc
    stored = row.password_hash if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    values: dict[str, object] = {"last_login_at": time.time()}
    if _hasher.check_needs_rehash(stored):
        values["password_hash"] = _hasher.hash(password)
    with engine.begin() as conn:
        conn.execute(update(User).where(where).values(**values))
    return _account(row)


def set_password(engine: Engine, campaign: str, username: str, password: str) -> Account:
    """Change a password; every open session of the account ends."""
    username = check_username(username)
    check_password(password, username)
    where = (User.campaign == campaign) & (User.username == username)
    with engine.begin() as conn:
        done = conn.execute(
            update(User)
            .where(where)
            .values(
                password_hash=_hasher.hash(password),
                session_version=User.session_version + 1,
                session_token=new_session_token(),
            )
        )
    if not done.rowcount:
        raise UserError(i18n.t("user.no_such_user", username=username))
    found = get_user(engine, campaign, username)
    assert found is not None
    return found


def end_sessions(engine: Engine, campaign: str, username: str) -> None:
    """Logout: every session of the account ends (its session token is replaced)."""
    where = (User.campaign == campaign) & (User.username == username.strip().lower())
    try:
        with engine.begin() as conn:
            conn.execute(
                update(User)
                .where(where)
                .values(
                    session_version=User.session_version + 1,
                    session_token=new_session_token(),
                )
            )
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("users.logout_failed", error=type(exc).__name__)) from exc


def remove_user(engine: Engine, campaign: str, username: str) -> None:
    """Delete an account; its sessions end at their next request."""
    username = check_username(username)
    with engine.begin() as conn:
        done = conn.execute(
            delete(User).where((User.campaign == campaign) & (User.username == username))
        )
    if not done.rowcount:
        raise UserError(i18n.t("user.no_such_user", username=username))
