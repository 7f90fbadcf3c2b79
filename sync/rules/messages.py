"""Texts of findings: the catalogue lookup for rules, a rule's own message, number formats.

The texts themselves live in the message catalogue (`sync/i18n/vi.po`, `en.po`), keyed by
message id (`required`, `invalid_type.year`, …). Every message says what is wrong, with the
numbers, and what to do. A rule's own `message:` replaces the built-in text; it may use the
placeholders of that message id (`{count}`, `{limit}`, …); unknown placeholders stay as written.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .. import i18n


def text(lang: str, key: str, **kw: Any) -> str:
    """The catalogue text `key` in `lang` (falls back to Vietnamese), formatted."""
    return i18n.t(key, lang, **kw)


def custom(template: str | None, default: str, **kw: Any) -> str:
    """A rule's own message (with optional placeholders) or the built-in text."""
    if not template:
        return default
    try:
        return template.format_map(i18n.Keep(kw))
    except (ValueError, IndexError, AttributeError):
        return template


def fmt_number(value: float | int, lang: str = "vi") -> str:
    """12 → "12", 12.5 → "12,5" (vi) / "12.5" (en)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value)
    out = f"{value:.2f}".rstrip("0").rstrip(".")
    return out.replace(".", ",") if lang == "vi" else out


def fmt_pct(share: float, lang: str = "vi") -> str:
    """0.25 → "25 %", 1/3 → "33,3 %" (vi) / "33.3 %" (en)."""
    pct = round(share * 100, 1)
    body = str(int(pct)) if float(pct).is_integer() else f"{pct:.1f}"
    if lang == "vi":
        body = body.replace(".", ",")
    return f"{body} %"


def fmt_value(value: Any) -> str:
    """A raw cell value as the user typed it (dates dd/mm/yyyy)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.strftime("%d/%m/%Y %H:%M")
            if value.time() != datetime.min.time()
            else value.strftime("%d/%m/%Y")
        )
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def fmt_instant(value: datetime, tz: ZoneInfo) -> str:
    """dd/mm/yyyy HH:MM in the campaign timezone (naive values are taken as already local)."""
    local = value.astimezone(tz) if value.tzinfo is not None else value
    return local.strftime("%d/%m/%Y %H:%M")


def fmt_choices(choices: tuple[str, ...] | None, limit: int = 6) -> str:
    items = list(choices or ())
    if len(items) > limit:
        return ", ".join(items[:limit]) + ", …"
    return ", ".join(items)
