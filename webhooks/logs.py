"""Structured logs: one JSON line per event handled; never secrets or signatures."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Any

from sync.logs import EVENT_LOGGER, log_event

__all__ = ["EVENT_LOGGER", "JsonFormatter", "configure", "log_event"]

_FORBIDDEN = {"secret", "signature", "token", "x-thidua-signature", "x-goog-channel-token"}


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
    for name in (EVENT_LOGGER, "webhooks"):
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
