"""`registered_in`: rows (with `match`) or the unit (without) must appear in another form.

With `match`: each row of a unit must match a row of the same unit in the other form on
the match columns (text compared ignoring case and extra spaces) → row-level
`not_registered` on the first match column; rows with an empty match cell are skipped
(they already have a column finding when required). Without `match`: a unit with rows
here but none in the other form gets a unit-level `not_registered`.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ..campaign.rulespec import FormRef, RuleSpecBase
from . import messages as M
from .base import FindingParts, FormContext
from .registry import RuleKind, register


class RegisteredInRule(RuleSpecBase):
    kind: Literal["registered_in"]
    form: str
    match: list[str] = Field(default_factory=list)
    """Columns that identify a row in both forms; empty means the unit must have any row there."""

    placeholders: ClassVar[frozenset[str]] = frozenset({"other", "what"})

    def references(self) -> list[FormRef]:
        return [FormRef(form=self.form, columns=tuple(self.match))]


def _title(ctx: FormContext, form_id: str) -> str:
    try:
        return ctx.campaign.form(form_id).title
    except KeyError:
        return form_id


def _version(ctx: FormContext, rule: RegisteredInRule, unit: str) -> str:
    """Which version of the other form counted for the unit ("" when its live rows)."""
    ref = ctx.official.get(rule.form)
    found = ref.versions.get(unit) if ref is not None else None
    if found is None:
        return ""
    kind, when = found
    return M.text(ctx.lang, f"version.{kind}", when=when)


def _with_version(message: str, version: str) -> str:
    return f"{message} ({version})" if version else message


def check(ctx: FormContext, rule: RegisteredInRule) -> FindingParts:
    """Judged on the other form's official record when the pipeline gives it (`ctx.official`):
    per unit its submitted snapshot, or after its lock only what counted; else live rows."""
    ref = ctx.official.get(rule.form)
    other = ref.context if ref is not None else ctx.others.get(rule.form)
    lang = ctx.lang
    title = _title(ctx, rule.form)
    if not rule.match:
        present = set(other.unit_ids.tolist()) if other is not None else set()
        items = []
        for unit in ctx.units:
            if ctx.counts[unit] == 0 or unit in present:
                continue
            default = M.text(lang, "not_registered.unit", other=title)
            items.append(
                {
                    "unit": unit,
                    "code": "not_registered",
                    "severity": rule.severity,
                    "message": _with_version(
                        M.custom(rule.message, default, other=title), _version(ctx, rule, unit)
                    ),
                }
            )
        return [ctx.unit_findings(items)] if items else []
    if ctx.size == 0:
        return []
    here_keys = _keys(ctx, rule.match)
    there_keys = _keys(other, rule.match) if other is not None else None
    n_here = ctx.size
    valid = np.ones(n_here, dtype=bool)
    combined = np.zeros(n_here, dtype=np.int64)
    combined_there = np.zeros(0 if other is None else other.size, dtype=np.int64)
    valid_there = np.ones(len(combined_there), dtype=bool)
    for i in range(len(rule.match) + 1):
        a = here_keys[i]
        b = there_keys[i] if there_keys is not None else np.empty(0, dtype=object)
        codes, uniq = pd.factorize(np.concatenate([a, b]), use_na_sentinel=True)
        width = len(uniq) + 1
        ca, cb = codes[:n_here], codes[n_here:]
        valid &= ca >= 0
        valid_there &= cb >= 0
        combined = combined * width + ca + 1
        combined_there = combined_there * width + cb + 1
    registered = np.isin(combined, combined_there[valid_there])
    pos = np.flatnonzero(valid & ~registered & ctx.evaluated)
    if not len(pos):
        return []
    what = ", ".join(f"«{ctx.header(k)}»" for k in rule.match)
    default = M.text(lang, "not_registered", other=title, what=what)
    message = M.custom(rule.message, default, other=title, what=what)
    versions = {u: _version(ctx, rule, u) for u in ctx.units}
    messages = [_with_version(message, versions.get(str(u), "")) for u in ctx.unit_ids[pos]]
    first = ctx.columns[rule.match[0]]
    values = first.unique_text[first.codes[pos]]
    return [
        ctx.cell_findings(pos, rule.match[0], "not_registered", rule.severity, messages, values)
    ]


def _keys(ctx: FormContext, match: list[str]) -> list[np.ndarray]:
    """Per-row comparable values (object, None when empty): unit id first, then match columns."""
    out = [ctx.unit_ids.astype(object)]
    for key in match:
        col = ctx.columns[key]
        out.append(col.match_values()[col.codes])  # None where not OK
    return out


register(
    RuleKind(
        spec=RegisteredInRule,
        check=check,
        codes=("not_registered",),
        messages=(
            "not_registered",
            "not_registered.unit",
            "version.submitted",
            "version.last_valid",
            "version.none",
        ),
    )
)
