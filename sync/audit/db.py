"""The audit database: engine, migrations on open, SQLite tuning.

SQLite file by default (`.thidua/audit.sqlite3` beside the campaign file), PostgreSQL by URL
(`postgresql+psycopg://…`). Migrations (Alembic, inside this package) run on open.

See docs/design.md, Change events and the service.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from .. import i18n
from ..errors import StoreError
from .models import FormStateRow

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
_migrate_lock = threading.Lock()


class AuditError(StoreError):
    """The audit database cannot be opened, migrated or written."""


def default_url(campaign_dir: Path) -> str:
    """SQLite file `.thidua/audit.sqlite3` beside the campaign file."""
    return f"sqlite:///{(campaign_dir / '.thidua' / 'audit.sqlite3').resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, `synchronous=NORMAL` and a busy timeout."""
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 10},
                pool_size=8,
                max_overflow=16,
            )
            # pysqlite's own transaction handling would defer BEGIN; take control of it so
            # writers take the lock at BEGIN (IMMEDIATE) and never deadlock on upgrade.
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "connect", _no_pysqlite_begin)
            event.listen(engine, "begin", _begin_immediate)
            return engine
        if url.startswith("postgresql"):
            return create_engine(url, pool_size=8, max_overflow=16, pool_pre_ping=True)
        return create_engine(url, poolclass=NullPool)
    except (SQLAlchemyError, ValueError, OSError) as exc:
        raise AuditError(i18n.t("audit.open_failed", url=_safe(url), exc=exc)) from exc


def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _safe(url: str) -> str:
    """The URL without a password, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; serialised in-process)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with _migrate_lock, engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(74110815)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise AuditError(i18n.t("audit.upgrade_failed", exc=exc)) from exc


def open_engine(url: str) -> Engine:
    """An engine with the schema migrated to the newest revision."""
    engine = make_engine(url)
    migrate(engine)
    return engine


def ping(engine: Engine) -> bool:
    """True when the database answers."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        log.warning("database ping failed: %s", type(exc).__name__)
        return False


def upsert_form_state(
    conn: Any, campaign: str, unit: str, form: str, values: dict[str, Any]
) -> None:
    """Insert or update one `form_states` row atomically (INSERT … ON CONFLICT DO UPDATE):
    validations of different units run in parallel and each may touch every unit's row."""
    from sqlalchemy import insert, update

    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        from sqlalchemy.dialects import postgresql, sqlite

        module: Any = postgresql if dialect == "postgresql" else sqlite
        stmt = module.insert(FormStateRow).values(campaign=campaign, unit=unit, form=form, **values)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=["campaign", "unit", "form"], set_=values)
        )
        return
    where = (
        (FormStateRow.campaign == campaign)
        & (FormStateRow.unit == unit)
        & (FormStateRow.form == form)
    )
    if conn.execute(update(FormStateRow).where(where).values(**values)).rowcount == 0:
        conn.execute(insert(FormStateRow).values(campaign=campaign, unit=unit, form=form, **values))
