"""Structured logs: one JSON line per event handled; never secrets, keys, signatures or
cell values.

Errors (`log_error`) carry the exception's class and its message — without SQL
statements and parameters (which may hold what units typed), with URL passwords and
registered secrets masked — and are rate-limited: the same error is written once per
`ERROR_EVERY` seconds with the count of repeats suppressed, so a failing loop does not
write five lines a second.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from datetime import datetime
from typing import Any

from sync.logs import EVENT_LOGGER, log_event

__all__ = [
    "EVENT_LOGGER",
    "JsonFormatter",
    "configure",
    "log_error",
    "log_event",
    "register_secret",
    "safe_message",
]
ERROR_LOGGER = "thidua.errors"
_FORBIDDEN = {
    "secret",
    "signature",
    "token",
    "key",
    "password",
    "cookie",
    "x-thidua-signature",
    "x-goog-channel-token",
}
ERROR_EVERY = 60.0
"""Seconds between two lines of the same error (THIDUA_ERROR_LOG_SECONDS)."""
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
_SQL_TAIL = re.compile(r"\s*\[(SQL|parameters|Background on this error)[:\s].*", re.S)
_secrets: set[str] = set()
_seen: dict[tuple[str, str, str], list[float]] = {}
_seen_lock = threading.Lock()


def register_secret(value: str) -> None:
    """A value never to appear in a log line (the server's key, unit keys…)."""
    if value and len(value) >= 8:
        _secrets.add(value)


def safe_message(exc: BaseException, limit: int = 300) -> str:
    """The exception's message for logs: the driver's own message for database errors
    (not the SQL and its parameters), URL passwords and registered secrets masked."""
    inner = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's exception
    text = str(inner if inner is not None else exc)
    text = _SQL_TAIL.sub("", text)
    text = _URL_PASSWORD.sub(r"\1***@", text)
    for secret in _secrets:
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text[:limit]


def log_error(msg: str, exc: BaseException, level: int = logging.ERROR, **fields: Any) -> bool:
    """One error line (class, safe message, fields), at most once per ERROR_EVERY seconds
    for the same (msg, class, message); returns whether it was written."""
    error = type(exc).__name__
    message = safe_message(exc)
    key = (msg, error, message)
    now = time.monotonic()
    with _seen_lock:
        seen = _seen.get(key)
        if seen is not None and now - seen[0] < ERROR_EVERY:
            seen[1] += 1
            return False
        repeated = int(seen[1]) if seen is not None else 0
        _seen[key] = [now, 0]
        if len(_seen) > 1000:  # forget the oldest
            for old in sorted(_seen, key=lambda k: _seen[k][0])[:500]:
                _seen.pop(old, None)
    extra = {**fields, "error": error, "message": message}
    if repeated:
        extra["repeated"] = repeated
    logger = logging.getLogger(ERROR_LOGGER)
    logger.log(level, msg, extra={"fields": extra})
    return True


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", …extra fields}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update({k: v for k, v in fields.items() if k.lower() not in _FORBIDDEN})
        if record.exc_info and record.exc_info[0] is not None:
            data["exc_type"] = record.exc_info[0].__name__
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a person at a terminal: `2025-04-21 10:32:05 INFO message key=value …` (local time)."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).astimezone()
        parts = [f"{when:%Y-%m-%d %H:%M:%S}", f"{record.levelname:<7}", record.getMessage()]
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                if key.lower() in _FORBIDDEN or key == "at":
                    continue
                text = str(value)
                parts.append(f"{key}={text!r}" if " " in text else f"{key}={text}")
        if record.exc_info and record.exc_info[0] is not None:
            parts.append(f"exc_type={record.exc_info[0].__name__}")
        return " ".join(parts)


LOG_FORMATS = ("auto", "text", "json")


def formatter_for(kind: str) -> logging.Formatter:
    """`text` or `json`; `auto` is text when stderr is a terminal, JSON otherwise."""
    if kind == "auto":
        kind = "text" if sys.stderr.isatty() else "json"
    return TextFormatter() if kind == "text" else JsonFormatter()


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is now (test capture, redirected service output)."""

    _thidua = True

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(level: int = logging.INFO, kind: str = "json") -> None:
    """Attach a formatter (LOG_FORMATS) to the service's loggers (once; later calls switch it)."""
    formatter = formatter_for(kind)
    for name in (EVENT_LOGGER, ERROR_LOGGER, "webhooks"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        ours: list[logging.Handler] = [h for h in logger.handlers if getattr(h, "_thidua", False)]
        if not ours:
            fresh = _StderrHandler()
            logger.addHandler(fresh)
            logger.propagate = False
            ours = [fresh]
        for handler in ours:
            handler.setFormatter(formatter)
