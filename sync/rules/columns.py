"""Column checks: required, invalid_type, invalid_choice, out_of_range, pattern_mismatch.

Computed per unique raw value (status and message), then spread to rows with a take:
no per-row Python. A cell with invalid_type (or invalid_choice) gets no further checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..campaign.campaign import Column
from ..normalize import (
    BAD_CHOICE,
    BAD_TYPE,
    EMPTY,
    OK,
    OUT_OF_RANGE,
    STATUS_CODES,
    NormalizedColumn,
)
from ..vietnamese import NAMES as LEGACY_NAMES
from . import messages as M
from .base import FindingParts, FormContext
from .base import json_value as _json


def _bound(value: Any) -> str:
    return M.fmt_value(value) if value is not None else ""


def _message(ctx: FormContext, column: Column, status: int, raw: Any) -> str:
    lang = ctx.lang
    value = M.fmt_value(raw)
    if status == EMPTY:
        return M.text(lang, "required", header=column.header)
    if status == BAD_TYPE:
        return M.text(lang, f"invalid_type.{column.type}", value=value, header=column.header)
    if status == BAD_CHOICE:
        return M.text(
            lang,
            "invalid_choice",
            value=value,
            header=column.header,
            choices=M.fmt_choices(column.choices),
        )
    if status == OUT_OF_RANGE:
        low, high = column.min, column.max
        key = (
            "both"
            if low is not None and high is not None
            else ("min" if low is not None else "max")
        )
        return M.text(
            lang,
            f"out_of_range.{key}",
            header=column.header,
            value=value,
            min=_bound(low),
            max=_bound(high),
        )
    hint = M.text(lang, "pattern_hint", help=column.help) if column.help else ""
    return M.text(lang, "pattern_mismatch", value=value, header=column.header, hint=hint)


def check(ctx: FormContext) -> FindingParts:
    """Findings of every column of the form, for the evaluated rows."""
    parts: FindingParts = []
    for column in ctx.form.columns:
        norm = ctx.columns[column.key]
        parts.extend(_check_column(ctx, column, norm))
        parts.extend(_legacy(ctx, column, norm))
        parts.extend(_formulas(ctx, column, norm))
    return parts


FORMULA_RE = re.compile(r"[=@]\s*[^\W\d_]|[+-][^\W\d_]")
"""Text that a spreadsheet would run: =HYPERLINK(…), @SUM(…), +A1, -Nguyễn."""


_TEXT_START = re.compile("\x00[=+@-]")


def formula_hits(texts: np.ndarray) -> np.ndarray:
    """Per text: looks like a formula. One search over the texts joined finds those that
    start with = + @ - (a NUL then the sign); only those few are matched one by one."""
    hit = np.zeros(len(texts), dtype=bool)
    big = "\x00" + "\x00".join(texts)
    index, seen = -1, 0
    for m in _TEXT_START.finditer(big):
        index += big.count("\x00", seen, m.start() + 1)
        seen = m.start() + 1
        hit[index] = FORMULA_RE.match(texts[index]) is not None
    return hit


def _per_unique(
    ctx: FormContext,
    column: Column,
    norm: NormalizedColumn,
    hit: np.ndarray,
    code: str,
    severity: str,
    message: Callable[[int], str],
) -> FindingParts:
    """Row findings for the unique values flagged in `hit` (messages built once per value)."""
    if not hit.any():
        return []
    pos = np.flatnonzero(hit[norm.codes] & ctx.evaluated)
    if not len(pos):
        return []
    codes = norm.codes[pos]
    msg = np.empty(len(hit), dtype=object)
    val = np.empty(len(hit), dtype=object)
    for u in np.unique(codes):
        msg[u] = message(int(u))
        val[u] = _json(norm.uniques[u])
    return [ctx.cell_findings(pos, column.key, code, severity, msg[codes], val[codes])]


def _legacy(ctx: FormContext, column: Column, norm: NormalizedColumn) -> FindingParts:
    """`legacy_encoding` (warning): the cell was typed in TCVN3 or VNI; checks used Unicode."""
    if norm.unique_legacy is None:
        return []
    hit = np.array([e is not None for e in norm.unique_legacy], dtype=bool)

    def message(u: int) -> str:
        return M.text(
            ctx.lang,
            "legacy_encoding",
            encoding=LEGACY_NAMES[str(norm.unique_legacy[u])],  # type: ignore[index]
            value=M.fmt_value(norm.uniques[u]),
            fixed=norm.unique_text[u],
        )

    return _per_unique(ctx, column, norm, hit, "legacy_encoding", "warning", message)


def _formulas(ctx: FormContext, column: Column, norm: NormalizedColumn) -> FindingParts:
    """`formula_text`: a text cell that looks like a formula (error in name columns)."""
    severity = column.formula_severity
    if severity is None or not len(norm.unique_text):
        return []
    hit = formula_hits(norm.unique_text)

    def message(u: int) -> str:
        text = str(norm.unique_text[u])
        return M.text(ctx.lang, "formula_text", value=text, header=column.header, sign=text[0])

    return _per_unique(ctx, column, norm, hit, "formula_text", severity, message)


def _check_column(ctx: FormContext, column: Column, norm: NormalizedColumn) -> FindingParts:
    ustatus = norm.unique_status
    reportable = ustatus != OK
    if not column.required:
        reportable &= ustatus != EMPTY
    if not reportable.any():
        return []
    row_bad = reportable[norm.codes] & ctx.evaluated
    pos = np.flatnonzero(row_bad)
    if not len(pos):
        return []
    codes = norm.codes[pos]
    # messages and values only for the unique values that occur in a finding
    used = np.unique(codes)
    msg = np.empty(len(ustatus), dtype=object)
    val = np.empty(len(ustatus), dtype=object)
    for u in used:
        raw = norm.uniques[u]
        msg[u] = _message(ctx, column, int(ustatus[u]), raw)
        val[u] = _json(raw)
    status_rows = ustatus[codes]
    parts = []
    for status in np.unique(status_rows):
        sel = status_rows == status
        code = "required" if status == EMPTY else STATUS_CODES[int(status)]
        parts.append(
            ctx.cell_findings(pos[sel], column.key, code, "error", msg[codes[sel]], val[codes[sel]])
        )
    return parts


__all__ = ["check"]
