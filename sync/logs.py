"""Structured event lines: one per event handled (`thidua.events` logger).

The service attaches a JSON formatter to this logger (`webhooks.logs.configure`); the
fields never hold secrets or signatures.
"""

from __future__ import annotations

import logging
import time
from typing import Any

EVENT_LOGGER = "thidua.events"


def log_event(msg: str, level: int = logging.INFO, **fields: Any) -> None:
    """One structured line on the events logger."""
    logger = logging.getLogger(EVENT_LOGGER)
    if logger.isEnabledFor(level):
        fields.setdefault("at", round(time.time(), 3))
        logger.log(level, msg, extra={"fields": fields})
