"""Shared context of the rule modules: one normalised form and helpers to emit findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from .. import i18n
from ..campaign.campaign import Campaign, Form, Unit
from ..campaign.policies import resolve_quota
from ..campaign.rulespec import RuleSpecBase, Test, condition_tests, is_group
from ..normalize import (
    EMPTY,
    OK,
    TEXT_TYPES,
    Invalid,
    NormalizedColumn,
    match_key,
    match_keys,
    normalize_text,
    parser_for,
)
from . import messages as M


@dataclass(frozen=True)
class Reference:
    """A form's official record: the rows that count per unit, and which version they are.

    `versions`: unit → (kind, when) with kind `submitted` (its official snapshot),
    `last_valid` (implicit submission: the last valid state before its lock) or `none`
    (locked without a submission: nothing counts).
    """

    context: FormContext
    versions: Mapping[str, tuple[str, str]]


FindingParts = list[pd.DataFrame]
"""Rule modules return DataFrames with FINDING_COLUMNS plus `_pos` (row position or -1)."""


class CountSpec(RuleSpecBase):
    """A limit that is the unit's quota (`quota: true`) or a fixed `value`."""

    quota: bool = False
    value: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_source(self) -> CountSpec:
        if self.quota == (self.value is not None):
            raise ValueError(i18n.t("campaign.quota_or_value"))
        return self


@dataclass
class FormContext:
    """One form of one validation run: all rows given, normalised once."""

    campaign: Campaign
    form: Form
    columns: dict[str, NormalizedColumn]
    unit_ids: np.ndarray  # object, per row
    rows: np.ndarray  # int64 sheet row numbers
    evaluated: np.ndarray  # bool per row: unit is being validated
    units: list[str]  # evaluated unit ids in campaign order
    counts: dict[str, int]  # rows per evaluated unit
    unit_codes: np.ndarray  # per row: index into `units`, -1 for other units
    others: Mapping[str, FormContext] = field(default_factory=dict)
    official: Mapping[str, Reference] = field(default_factory=dict)
    """Other forms' official records (what cross-form rules judge against), by form id."""
    claims: Mapping[str, Mapping[str, tuple[float, bool]]] = field(default_factory=dict)
    """Campaign-wide unique keys: key → unit → (first seen, in its submitted snapshot)."""
    keys: dict[str, set[str]] = field(default_factory=dict)
    """Out: unit → campaign-wide unique keys of its rows in this pass (become claims)."""
    cache: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    """Per-run results that several rules share (e.g. a column's duplicate-key codes)."""
    _quotas: dict[str, int | None] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.campaign.language

    @property
    def size(self) -> int:
        return len(self.rows)

    @cached_property
    def _unit_map(self) -> dict[str, Unit]:
        return {u.id: u for u in self.campaign.units}

    def unit_name(self, unit: str) -> str:
        found = self._unit_map.get(unit)
        return found.name if found is not None else unit

    def quota(self, unit: str) -> int | None:
        """The unit's quota for this form (as `Campaign.quota`, without its linear lookup)."""
        if unit not in self._quotas:
            found = self._unit_map.get(unit)
            if found is None:
                self._quotas[unit] = None
            else:
                value = found.quotas.get(self.form.id, self.form.quota)
                self._quotas[unit] = resolve_quota(value, found, self.campaign.policies)
        return self._quotas[unit]

    def header(self, key: str) -> str:
        try:
            return self.form.column(key).header
        except KeyError:
            return key

    def per_unit(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Count of (masked) evaluated rows per unit, aligned with `self.units`."""
        codes = self.unit_codes if mask is None else self.unit_codes[mask]
        codes = codes[codes >= 0]
        return np.bincount(codes, minlength=len(self.units))

    # ------------------------------------------------------------------ conditions
    def condition_mask(self, condition: Mapping[str, Any]) -> np.ndarray:
        """Rows where the condition holds (docs/campaign-file.md, «Điều kiện»)."""
        mask = np.ones(self.size, dtype=bool)
        for key, wanted in condition.items():
            if is_group(key, wanted):
                parts = [self.condition_mask(sub) for sub in wanted]
                if key == "all":
                    mask &= np.logical_and.reduce(parts) if parts else True
                else:
                    mask &= np.logical_or.reduce(parts) if parts else False
            else:
                mask &= self._test_mask(condition_tests({key: wanted})[0])
        return mask

    def _test_mask(self, test: Test) -> np.ndarray:
        col = self.columns.get(test.column)
        if col is None:
            return np.zeros(self.size, dtype=bool)
        status = col.unique_status
        if test.op == "empty":
            empty = status == EMPTY
            hits = empty if test.empty else ~empty
        else:
            targets = set(comparable_values(col, test.values))
            targets.discard(None)
            present = (status == OK) | ((status == EMPTY) & (col.type == "bool"))
            keys = comparable_values(col)
            found = np.fromiter((k in targets for k in keys), dtype=bool, count=len(keys))
            hits = present & (found if test.op == "in" else ~found)
        return hits[col.codes]

    def describe(self, condition: Mapping[str, Any]) -> str:
        """«Giới tính» = Nữ và «Dân tộc» khác Kinh."""
        parts = []
        for key, wanted in condition.items():
            if is_group(key, wanted):
                joiner = M.text(self.lang, "condition_join" if key == "all" else "or")
                inner = joiner.join(self.describe(sub) for sub in wanted)
                parts.append(inner if len(wanted) < 2 else f"({inner})")
                continue
            test = condition_tests({key: wanted})[0]
            header = self.header(test.column)
            if test.op == "empty":
                parts.append(
                    M.text(
                        self.lang,
                        "condition.empty" if test.empty else "condition.filled",
                        header=header,
                    )
                )
                continue
            shown = M.text(self.lang, "or").join(M.fmt_value(v) for v in test.values)
            if test.op == "in":
                parts.append(f"«{header}» = {shown}")
            else:
                parts.append(M.text(self.lang, "condition.not", header=header, values=shown))
        return M.text(self.lang, "condition_join").join(parts)

    def values_label(self, condition: Mapping[str, Any]) -> str:
        """The values of a condition, for labels: {gioi_tinh: Nữ} → "Nữ"."""
        parts = []
        for key, wanted in condition.items():
            if is_group(key, wanted):
                joiner = "/" if key == "any" else ", "
                parts.append(joiner.join(self.values_label(sub) for sub in wanted))
                continue
            test = condition_tests({key: wanted})[0]
            header = self.header(test.column)
            if self.lang == "vi":  # inside a label: "Tỷ lệ dân tộc khác Kinh"
                header = header[:1].lower() + header[1:]
            if test.op == "empty":
                key_text = "condition.label_empty" if test.empty else "condition.label_filled"
                parts.append(M.text(self.lang, key_text, header=header))
                continue
            shown = "/".join(M.fmt_value(v) for v in test.values)
            parts.append(
                shown
                if test.op == "in"
                else M.text(self.lang, "condition.label_not", header=header, values=shown)
            )
        return ", ".join(parts)

    # ------------------------------------------------------------------ findings
    def cell_findings(
        self,
        pos: np.ndarray,
        column: str | None,
        code: str,
        severity: str,
        messages: Sequence[str] | np.ndarray | str,
        values: Sequence[Any] | np.ndarray | None = None,
    ) -> pd.DataFrame:
        """Row-level findings at row positions `pos`."""
        n = len(pos)
        frame = pd.DataFrame(
            {
                "unit": self.unit_ids[pos],
                "form": np.full(n, self.form.id, dtype=object),
                "row": self.rows[pos],
                "column": np.full(n, column, dtype=object),
                "code": np.full(n, code, dtype=object),
                "severity": np.full(n, severity, dtype=object),
                "message": np.full(n, messages, dtype=object)
                if isinstance(messages, str)
                else np.asarray(messages, dtype=object),
                "value": np.full(n, None, dtype=object)
                if values is None
                else np.asarray(values, dtype=object),
                "_pos": pos.astype(np.int64),
            }
        )
        return frame

    def unit_findings(self, items: list[dict[str, Any]]) -> pd.DataFrame:
        """Unit-level findings from dicts with unit, code, severity, message[, value, column]."""
        n = len(items)

        def column(values: list[Any]) -> np.ndarray:
            out = np.empty(n, dtype=object)
            for i, value in enumerate(values):  # item by item: a value may be a sequence
                out[i] = value
            return out

        return pd.DataFrame(
            {
                "unit": column([it["unit"] for it in items]),
                "form": np.full(n, self.form.id, dtype=object),
                "row": np.full(n, None, dtype=object),
                "column": column([it.get("column") for it in items]),
                "code": column([it["code"] for it in items]),
                "severity": column([it["severity"] for it in items]),
                "message": column([it["message"] for it in items]),
                "value": column([it.get("value") for it in items]),
                "_pos": np.full(n, -1, dtype=np.int64),
            }
        )


def comparable_values(col: NormalizedColumn, raw: Sequence[Any] | None = None) -> list[Any]:
    """Keys to compare values of a column by: per unique value, or for `raw` values as
    written in a rule (text by match key, other types parsed like a cell; None if unparsable).
    """
    if raw is None:
        if col.type in TEXT_TYPES:
            return match_keys(col.unique_text)
        return list(col.unique_values)
    return [_condition_value(col, v) for v in raw]


def _condition_value(col: NormalizedColumn, raw: Any) -> Any:
    """A `where:` value parsed like a cell of the column (for comparison)."""
    if col.type in TEXT_TYPES:
        return match_key(normalize_text(raw))
    try:
        return parser_for(col.type, None)(raw)
    except (Invalid, KeyError):
        return None


def json_value(value: Any) -> Any:
    """Raw value in a JSON-friendly form (dates as ISO text)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if value != value else value
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if hasattr(value, "isoformat"):
        iso = value.isoformat()
        return iso[:10] if iso.endswith("T00:00:00") else iso
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
