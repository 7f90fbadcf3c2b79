"""Structured logs: one JSON line per event handled; never secrets or signatures."""

from __future__ import annotations

import json
import logging
import sys
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


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is now (test capture, redirected service output)."""

    _thidua = True

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(level: int = logging.INFO) -> None:
    """Attach the JSON formatter to the service's loggers (once)."""
    for name in (EVENT_LOGGER, "webhooks"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(getattr(h, "_thidua", False) for h in logger.handlers):
            handler = _StderrHandler()
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)
            logger.propagate = False
