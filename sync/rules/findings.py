"""Findings (frozen data objects with a stable `code`) and the report that collects them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, fields
from typing import Any

import pandas as pd

FINDING_COLUMNS = ["unit", "form", "row", "column", "code", "severity", "message", "value"]


@dataclass(frozen=True)
class Finding:
    """One problem found: unit-level when `row` is None, cell-level when `column` is set."""

    unit: str
    form: str
    row: int | None
    column: str | None
    code: str
    severity: str
    message: str
    value: Any = None

    def key(self) -> tuple[Any, ...]:
        """(unit, row, column, code, severity): what rule tests compare."""
        return (self.unit, self.row, self.column, self.code, self.severity)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})


class Report:
    """Findings of a validation run; built from DataFrames (vectorised rules) or objects."""

    def __init__(self, parts: Iterable[pd.DataFrame | Finding] = ()) -> None:
        self._frames: list[pd.DataFrame] = []
        self._objects: list[Finding] = []
        self._frame: pd.DataFrame | None = None
        for part in parts:
            self.add(part)

    def add(self, part: pd.DataFrame | Finding | Iterable[Finding]) -> None:
        self._frame = None
        if isinstance(part, pd.DataFrame):
            if len(part):
                self._frames.append(part[FINDING_COLUMNS])
        elif isinstance(part, Finding):
            self._objects.append(part)
        else:
            self._objects.extend(part)

    @classmethod
    def of_sorted(cls, frame: pd.DataFrame) -> Report:
        """A report of findings already in report order (another report's `frame`, or a
        selection of its rows): kept as it is, without sorting again."""
        report = cls()
        if len(frame):
            report._frames = [frame]
            report._frame = frame
        return report

    def extend(self, other: Report) -> None:
        self.add(other.frame)

    @property
    def frame(self) -> pd.DataFrame:
        """All findings as a DataFrame with FINDING_COLUMNS, in a stable order."""
        if self._frame is None:
            frames = list(self._frames)
            if self._objects:
                frames.append(
                    pd.DataFrame([astuple(f) for f in self._objects], columns=FINDING_COLUMNS)
                )
            if not frames:
                self._frame = empty_frame()
            else:
                frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
                frame = frame.astype({"row": "Int64"})
                order = frame.assign(_r=frame["row"].fillna(-1), _c=frame["column"].fillna(""))
                order = order.sort_values(["unit", "form", "_r", "_c", "code"], kind="stable")
                self._frame = order.drop(columns=["_r", "_c"]).reset_index(drop=True)
        return self._frame

    def __len__(self) -> int:
        return len(self.frame)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    @property
    def findings(self) -> list[Finding]:
        frame = self.frame
        out = []
        for rec in frame.itertuples(index=False, name=None):
            unit, form, row, column, code, severity, message, value = rec
            out.append(
                Finding(
                    unit=unit,
                    form=form,
                    row=None if pd.isna(row) else int(row),
                    column=None
                    if column is None or (isinstance(column, float) and pd.isna(column))
                    else column,
                    code=code,
                    severity=severity,
                    message=message,
                    value=_plain(value),
                )
            )
        return out

    def rows(self) -> list[tuple[Any, ...]]:
        """Flattened (unit, row, column, code, severity) tuples, in report order."""
        return [f.key() for f in self.findings]

    @property
    def errors(self) -> int:
        return int((self.frame["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        return int((self.frame["severity"] == "warning").sum())

    @property
    def valid(self) -> bool:
        return self.errors == 0

    def select(self, unit: str | None = None, form: str | None = None) -> Report:
        frame = self.frame
        if unit is not None:
            frame = frame[frame["unit"] == unit]
        if form is not None:
            frame = frame[frame["form"] == form]
        return Report.of_sorted(frame.reset_index(drop=True))


def _plain(value: Any) -> Any:
    """JSON-friendly value for a finding (numpy scalars, NaN, timestamps)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return value
