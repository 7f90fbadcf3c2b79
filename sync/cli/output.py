"""Small output helpers: aligned tables, progress bars that stay quiet off a terminal."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

import click
from tqdm import tqdm

from .. import i18n

T = TypeVar("T")


def width(text: str) -> int:
    """Display width: combining marks take no room, wide East Asian characters two."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("\n", " ")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_col: int = 60) -> str:
    """A plain aligned text table."""
    body = [[_cell(v) for v in row] for row in rows]
    cells = [list(headers), *body]
    clipped = [[c if width(c) <= max_col else c[: max_col - 1] + "…" for c in row] for row in cells]
    widths = [max(width(row[i]) for row in clipped if i < len(row)) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(clipped):
        parts = [c + " " * (widths[i] - width(c)) for i, c in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def progress(items: Sequence[T], desc: str) -> Iterator[T]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    quiet = not sys.stderr.isatty()
    yield from tqdm(
        items, desc=desc, disable=quiet, leave=False, unit=i18n.t("cli.unit_word"), file=sys.stderr
    )


def echo_ok(message: str) -> None:
    click.secho(message, fg="green")
