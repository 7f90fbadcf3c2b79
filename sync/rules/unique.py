"""`unique`: duplicate keys within a unit or across the campaign → `duplicate` (+ `likely_duplicate`).

Every row of a duplicate group gets a finding naming the other row(s) of the group
("Trùng … với dòng 7 của LĐLĐ huyện Tam Đường"); at most three are named, then "và N dòng
khác". Text keys match ignoring case and extra spaces; rows whose keys differ only by
diacritics (Nguyễn Văn An / Nguyen Van An) get a `likely_duplicate` warning. Rows with an
empty or invalid key cell are not compared (they already have a column finding).
Campaign scope compares against all rows given, including units not being validated,
and the earliest claim owns a key: a row in its unit's submitted snapshot before live rows,
then the unit that had it first (first-seen times from the audit database), then
campaign-file order. The owner's row gets a `duplicate` *warning* naming the other units;
the others get the error, so a unit's submission is never blocked by another typing later.
A key stays held by a unit's submitted snapshot when the unit deletes the row from its live
sheet afterwards: another unit's row with it still gets the error (naming "danh sách đã nộp
của …") until the holder resubmits without it.
"""

from __future__ import annotations

from itertools import pairwise
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ..campaign.rulespec import RuleSpecBase
from ..normalize import OK, loose_keys
from . import messages as M
from .base import FindingParts, FormContext
from .registry import RuleKind, register


class UniqueRule(RuleSpecBase):
    kind: Literal["unique"]
    columns: list[str] = Field(min_length=1)
    scope: Literal["unit", "campaign"] = "unit"

    placeholders: ClassVar[frozenset[str]] = frozenset({"what", "others"})

    def reads(self) -> set[str]:
        return set(self.columns)


_SHOWN = 3


def _codes(ctx: FormContext, key: str, loose: bool) -> np.ndarray:
    """Per-row integer key of one column (-1 = not comparable), computed once per run."""
    col = ctx.columns[key]
    loose = loose and col.type in ("text", "choice")
    cached = ctx.cache.get(("unique_codes", key, loose))
    if cached is not None:
        return cached
    match = col.match_values()
    if loose:
        missing = np.array([m is None for m in match], dtype=bool)
        loose_match = np.empty(len(match), dtype=object)
        loose_match[:] = loose_keys(np.where(missing, "", match))
        loose_match[missing] = None
        match = loose_match
    ucodes, _ = pd.factorize(match, use_na_sentinel=True)
    ucodes = np.where(col.unique_status == OK, ucodes, -1)
    codes = ucodes[col.codes]
    ctx.cache[("unique_codes", key, loose)] = codes
    return codes


_SPAN = 1 << 62  # combined codes stay below this before they are renumbered


def combined_key(ctx: FormContext, keys: list[str], by_unit: bool, loose: bool) -> np.ndarray:
    """One int64 code per row for the tuple of key columns (-1 when any part is missing).

    Codes are dense (0..groups-1) in order of first appearance; parts are combined by
    multiplication and renumbered only at the end (or when the product could overflow).
    """
    parts = [_codes(ctx, k, loose) for k in keys]
    if by_unit:
        unit_codes, _ = pd.factorize(ctx.unit_ids)
        parts.insert(0, unit_codes)
    valid = np.logical_and.reduce([p >= 0 for p in parts])
    combined = np.zeros(ctx.size, dtype=np.int64)
    span = 1
    for part in parts:
        width = int(part.max()) + 2 if len(part) else 1
        if span * width >= _SPAN:
            combined, _ = pd.factorize(combined)
            combined = combined.astype(np.int64)
            span = int(combined.max()) + 1 if len(combined) else 1
        combined = combined * width + (part + 1)
        span *= width
    combined, _ = pd.factorize(combined)
    return np.where(valid, combined.astype(np.int64), -1)


def check(ctx: FormContext, rule: UniqueRule) -> FindingParts:
    if ctx.size == 0:
        return []
    by_unit = rule.scope == "unit"
    exact = combined_key(ctx, rule.columns, by_unit, loose=False)
    what = ", ".join(f"«{ctx.header(k)}»" for k in rule.columns)
    parts: FindingParts = []
    counts = np.bincount(exact[exact >= 0]) if (exact >= 0).any() else np.zeros(0, np.int64)
    dup = np.zeros(ctx.size, dtype=bool)
    ok = exact >= 0
    dup[ok] = counts[exact[ok]] > 1
    owners = np.zeros(ctx.size, dtype=bool)
    held: dict[int, str] = {}
    if not by_unit:
        keys = row_keys(ctx, rule.columns, ok)
        _remember(ctx, keys, ok)
        if dup.any():
            owners = _owners(ctx, exact, dup, keys)
        held = _held_by_submissions(ctx, keys, ok)
        for p in held:
            owners[p] = False
    if held:
        pos = np.array(sorted(p for p in held if not dup[p]), dtype=np.int64)
        if len(pos):
            parts.append(_emit_held(ctx, rule, pos, held, what))
    if (dup & ~owners).any():
        parts.append(
            _emit(ctx, rule, exact, dup & ~owners, None, "duplicate", rule.severity, what, dup)
        )
    if owners.any():
        parts.append(
            _emit(
                ctx, rule, exact, owners, None, "duplicate", "warning", what, dup, "duplicate_owner"
            )
        )
    if any(ctx.columns[k].type in ("text", "choice") for k in rule.columns):
        loose = combined_key(ctx, rule.columns, by_unit, loose=True)
        sel = loose >= 0
        if sel.any():
            width = int(exact.max()) + 2
            pairs = pd.unique(loose[sel] * width + (exact[sel] + 1))
            distinct = np.bincount(pairs // width, minlength=int(loose.max()) + 1)
            likely = np.zeros(ctx.size, dtype=bool)
            likely[sel] = distinct[loose[sel]] > 1
            likely &= ~dup  # an exact duplicate already has its finding
            if likely.any():
                parts.append(
                    _emit(
                        ctx,
                        rule,
                        loose,
                        likely,
                        exact,
                        "likely_duplicate",
                        "warning",
                        what,
                    )
                )
    return parts


def row_keys(ctx: FormContext, columns: list[str], ok: np.ndarray) -> np.ndarray:
    """A stable text key per row (16 hex digits of a hash of the matched values; "" when
    not comparable): what the audit database remembers as a claim.

    The same numbers as `pd.util.hash_pandas_object` of the per-row texts joined by U+001F
    (keys stored by earlier versions stay valid); the texts are made per unique value and
    hashed without pandas' categorising pass.
    """
    joined: np.ndarray | None = None
    for k in columns:
        col = ctx.columns[k]
        texts = np.empty(len(col.match_values()), dtype=object)
        texts[:] = [str(v) for v in col.match_values()]
        part = texts[col.codes]
        joined = part if joined is None else joined + "\x1f" + part
    if joined is None or not len(joined):
        return np.full(ctx.size, "", dtype=object)
    hashed = pd.util.hash_array(joined, categorize=False).astype(np.uint64, copy=False)
    # 16 hex digits (big-endian) per row, cut from one hex text of all hashes
    text = hashed.astype(">u8").tobytes().hex()
    out = np.empty(len(hashed), dtype=object)
    out[:] = [text[i : i + 16] for i in range(0, len(text), 16)]
    out[~ok] = ""
    return out


def _remember(ctx: FormContext, keys: np.ndarray, ok: np.ndarray) -> None:
    """Add each comparable row's key to its unit's set in `ctx.keys` (grouped by unit)."""
    if not ok.any():
        return
    codes, units = pd.factorize(ctx.unit_ids[ok])
    order = np.argsort(codes, kind="stable")
    sorted_keys = keys[ok][order].tolist()
    bounds = [0, *(np.flatnonzero(np.diff(codes[order])) + 1).tolist(), len(order)]
    for start, end in pairwise(bounds):
        unit = str(units[codes[order[start]]])
        ctx.keys.setdefault(unit, set()).update(sorted_keys[start:end])


def _owners(ctx: FormContext, exact: np.ndarray, dup: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Rows that own their duplicate key across units: the earliest claim (submitted
    snapshot, then first seen, then campaign order), when it is its unit's only such row."""
    order = {u.id: i for i, u in enumerate(ctx.campaign.units)}
    out = np.zeros(ctx.size, dtype=bool)
    pos = np.flatnonzero(dup)
    groups: dict[int, list[int]] = {}
    for p in pos:
        groups.setdefault(int(exact[p]), []).append(int(p))
    for members in groups.values():
        units = {str(ctx.unit_ids[p]) for p in members}
        if len(units) < 2:
            continue

        def rank(p: int) -> tuple[int, float, int, int]:
            unit = str(ctx.unit_ids[p])
            seen, submitted = ctx.claims.get(str(keys[p]), {}).get(unit, (float("inf"), False))
            return (0 if submitted else 1, seen, order.get(unit, len(order)), int(ctx.rows[p]))

        first = min(members, key=rank)
        owner_unit = ctx.unit_ids[first]
        if sum(1 for p in members if ctx.unit_ids[p] == owner_unit) == 1:
            out[first] = True
    return out


def _held_by_submissions(ctx: FormContext, keys: np.ndarray, ok: np.ndarray) -> dict[int, str]:
    """Rows whose key another unit holds in its submitted snapshot without the row being in
    its live sheet any more (it deleted the row after submitting): position → holder unit.
    A row's own unit holding the key in its submission too keeps it when it was seen first."""
    out: dict[int, str] = {}
    if not ctx.claims:
        return out
    for p in np.flatnonzero(ok & ctx.evaluated):
        key = str(keys[p])
        claim = ctx.claims.get(key)
        if not claim:
            continue
        unit = str(ctx.unit_ids[p])
        seen, submitted = claim.get(unit, (float("inf"), False))
        holders = [
            (at, other)
            for other, (at, sub) in claim.items()
            if sub
            and other != unit
            and key not in ctx.keys.get(other, ())
            and not (submitted and seen <= at)
        ]
        if holders:
            out[int(p)] = min(holders)[1]
    return out


def _emit_held(
    ctx: FormContext, rule: UniqueRule, pos: np.ndarray, held: dict[int, str], what: str
) -> pd.DataFrame:
    """`duplicate` errors on rows whose key another unit's submitted snapshot holds."""
    lang = ctx.lang
    msgs = []
    for p in pos:
        ref = M.text(lang, "row_ref_submitted", unit=ctx.unit_name(held[int(p)]))
        default = M.text(lang, "duplicate", what=what, others=ref)
        msgs.append(M.custom(rule.message, default, what=what, others=ref))
    values = [
        " | ".join(str(ctx.columns[k].unique_text[ctx.columns[k].codes[p]]) for k in rule.columns)
        for p in pos
    ]
    return ctx.cell_findings(pos, rule.columns[0], "duplicate", rule.severity, msgs, values)


def _emit(
    ctx: FormContext,
    rule: UniqueRule,
    group: np.ndarray,
    flagged: np.ndarray,
    distinct_from: np.ndarray | None,
    code: str,
    severity: str,
    what: str,
    members_of: np.ndarray | None = None,
    message: str | None = None,
) -> pd.DataFrame:
    """Findings for flagged rows (of evaluated units), naming the other rows of their group.

    `distinct_from`: when given, only group members with a different value there count as
    "other" rows (likely duplicates: same loose key, different exact key). `members_of`:
    the rows that make up the groups (default: the flagged ones); `message`: the message
    key (default: the code).
    """
    pos = np.flatnonzero(flagged if members_of is None else members_of)
    order = np.argsort(group[pos], kind="stable")
    pos = pos[order]
    gvals = group[pos]
    bounds = np.flatnonzero(np.diff(gvals)) + 1
    out_pos: list[int] = []
    msgs: list[str] = []
    lang = ctx.lang
    key = message or code
    for members in np.split(pos, bounds):
        for p in members:
            if not flagged[p]:
                continue
            if not ctx.evaluated[p]:
                continue
            if distinct_from is None:
                others = members[members != p]
            else:
                others = members[distinct_from[members] != distinct_from[p]]
            if not len(others):
                continue
            refs = [_ref(ctx, int(p), int(q)) for q in others[:_SHOWN]]
            if len(others) > _SHOWN:
                refs.append(M.text(lang, "more", count=len(others) - _SHOWN))
            default = M.text(lang, key, what=what, others=", ".join(refs))
            msgs.append(M.custom(rule.message, default, what=what, others=", ".join(refs)))
            out_pos.append(int(p))
    arr = np.asarray(out_pos, dtype=np.int64)
    values = [
        " | ".join(str(ctx.columns[k].unique_text[ctx.columns[k].codes[p]]) for k in rule.columns)
        for p in out_pos
    ]
    return ctx.cell_findings(arr, rule.columns[0], code, severity, msgs, values)


def _ref(ctx: FormContext, here: int, other: int) -> str:
    row = int(ctx.rows[other])
    if ctx.unit_ids[other] == ctx.unit_ids[here]:
        return M.text(ctx.lang, "row_ref", row=row)
    return M.text(ctx.lang, "row_ref_unit", row=row, unit=ctx.unit_name(str(ctx.unit_ids[other])))


register(
    RuleKind(
        spec=UniqueRule,
        check=check,
        codes=("duplicate", "likely_duplicate"),
        messages=(
            "duplicate",
            "duplicate_owner",
            "likely_duplicate",
            "row_ref",
            "row_ref_unit",
            "row_ref_submitted",
            "more",
        ),
    )
)
