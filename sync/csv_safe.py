"""CSV that spreadsheet apps open as data, never as formulas (OWASP "CSV injection").

Every CSV the product writes goes through `writer` (or `safe_cell`): a text cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so Excel and
LibreOffice show it as text instead of running it (`=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)`).
Numbers stay numbers: an int or float is written as is (`-2`), and so is a text cell that
is a plain number (`-2`, `+84`, `1.5e3`), which no app turns into a formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import IO, Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value` as a CSV cell that cannot become a formula; numbers unchanged."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, Decimal)):
        return value
    text = str(value)
    if text.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


class SafeWriter:
    """`csv.writer` whose rows are neutralised cell by cell."""

    def __init__(self, stream: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """`csv.DictWriter` whose values (and header) are neutralised."""

    def __init__(self, stream: IO[str], fieldnames: list[str], **kwargs: Any) -> None:
        self.fieldnames = fieldnames
        self._writer = SafeWriter(stream, **kwargs)

    def writeheader(self) -> None:
        self._writer.writerow(self.fieldnames)

    def writerow(self, rec: Mapping[str, Any]) -> None:
        self._writer.writerow(rec.get(k) for k in self.fieldnames)

    def writerows(self, recs: Iterable[Mapping[str, Any]]) -> None:
        for rec in recs:
            self.writerow(rec)


def writer(stream: IO[str], **kwargs: Any) -> SafeWriter:
    """The one way to write CSV in this product."""
    return SafeWriter(stream, **kwargs)
