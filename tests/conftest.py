"""Shared fixtures. Service fixtures (flaskr style: `app`, `client`, `runner`) and the
PostgreSQL / Redis availability logic: skip with a reason when a service is not reachable,
fail instead when THIDUA_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_HOST = os.environ.get("THIDUA_TEST_PG_HOST", "127.0.0.1")
REDIS_URL = os.environ.get("THIDUA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_service(name: str, reason: str) -> None:
    """Skip (or fail when THIDUA_REQUIRE_SERVICES=1): `name` is not reachable."""
    message = f"{name} not reachable: {reason}"
    if os.environ.get("THIDUA_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (THIDUA_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def _pg_admin() -> tuple[object, str]:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - dev extra installs it
        require_service("PostgreSQL", f"psycopg not installed ({exc})")
    last = ""
    for user in ("postgres", "root"):
        try:
            conn = psycopg.connect(
                host=PG_HOST, dbname="test", user=user, autocommit=True, connect_timeout=3
            )
            return conn, user
        except psycopg.Error as exc:
            last = str(exc).strip()
    require_service("PostgreSQL", f"{PG_HOST}:5432 database 'test': {last}")
    raise AssertionError("unreachable")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (dropped afterwards)."""
    admin, user = _pg_admin()
    name = f"thidua_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    try:
        yield f"postgresql+psycopg://{user}@{PG_HOST}:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis (the tests use their own queue names)."""
    try:
        import redis
    except ImportError as exc:  # pragma: no cover
        require_service("Redis", f"redis not installed ({exc})")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service("Redis", f"{REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every database test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))


# --- the service (flaskr style) -------------------------------------------------------------


@pytest.fixture
def campaign_file(tmp_path: Path) -> Path:
    """A two-unit local campaign with provisioned workbooks."""
    from tests.service_helpers import make_campaign

    return make_campaign(tmp_path / "campaign")


@pytest.fixture
def service_config(campaign_file: Path, db_url: str) -> dict[str, object]:
    """Test settings: short debounces, no background thread (tests tick the worker)."""
    from tests.service_helpers import SECRET

    return {
        "TESTING": True,
        "CAMPAIGN": str(campaign_file),
        "SECRET": SECRET,
        "DATABASE_URL": db_url,
        "WORKER": "none",
        "DEBOUNCE_SECONDS": 0.5,
        "CONSOLIDATE_DEBOUNCE_SECONDS": 1.0,
        "RATE_PER_MINUTE": 1000.0,
        "REDIS_URL": None,
    }


@pytest.fixture
def app(service_config: dict[str, object]) -> Iterator[object]:
    from webhooks import create_app

    application = create_app(service_config)
    yield application
    application.extensions["thidua"].close()


@pytest.fixture
def client(app: object) -> object:
    return app.test_client()  # type: ignore[attr-defined]


@pytest.fixture
def runner(app: object) -> object:
    return app.test_cli_runner()  # type: ignore[attr-defined]
