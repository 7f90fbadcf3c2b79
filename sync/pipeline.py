"""The batch loop: read units from a store, validate, write feedback, update states, submit.

Callers go through `sync.operations`, which also records what a run found.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from . import i18n
from .campaign import Campaign, Form, Unit
from .consolidate import display_value
from .errors import StoreError, SubmissionError
from .feedback import build_feedback
from .form_state import FormCheck, States, content_hash, frame_rows
from .rules.engine import UnitTimes, ValidationResult, validate
from .rules.findings import Finding
from .stores.base import ROW, Store, UnitSheets

log = logging.getLogger(__name__)

Tick = Callable[[str], None]


@dataclass
class Run:
    """What one validation pass read, found and wrote."""

    campaign: Campaign
    now: datetime
    sheets: dict[str, UnitSheets]
    result: ValidationResult
    units: list[str]
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    write_errors: dict[str, str] = field(default_factory=dict)

    def checks(self, units: Collection[str] | None = None) -> list[FormCheck]:
        """What the run read and found per (unit, form) of `units` (default: the selected)."""
        frame = self.result.report.frame
        out = []
        for unit in list(units) if units is not None else self.units:
            sheets = self.sheets.get(unit)
            for form in self.campaign.forms:
                sheet = sheets.forms.get(form.id) if sheets is not None else None
                digest = None
                rows: list[list[Any]] = []
                numbers: list[int] = []
                if sheet is not None and sheets is not None and sheets.problem is None:
                    digest = content_hash(sheet.frame, form.keys)
                    rows, numbers = official_rows(self.result, form, unit)
                part = frame[(frame["unit"] == unit) & (frame["form"] == form.id)]
                findings = [
                    {k: _plain(rec.get(k)) for k in FINDING_FIELDS}
                    for rec in part.to_dict("records")
                ]
                for item in findings:
                    if item["value"] is not None:
                        item["value"] = str(item["value"])
                try:
                    s = self.result.summary(unit, form.id)
                    summary: dict[str, Any] | None = {
                        "quota": s.quota,
                        "rows": s.rows,
                        "valid_rows": s.valid_rows,
                        "errors": s.errors,
                        "warnings": s.warnings,
                        "state": s.state,
                        "shares": {k: _plain(v) for k, v in s.shares.items()},
                    }
                except KeyError:
                    summary = None
                out.append(FormCheck(unit, form.id, digest, rows, numbers, findings, summary))
        return out


FINDING_FIELDS = ("row", "column", "code", "severity", "message", "value")


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def official_rows(
    result: ValidationResult, form: Form, unit: str
) -> tuple[list[list[Any]], list[int]]:
    """A unit's rows as a submission freezes them: display values, sheet row numbers."""
    fres = result.forms.get(form.id)
    if fres is None or not len(fres.frame):
        return [], []
    typed = fres.frame[fres.frame["_unit"] == unit]
    rows = [[display_value(v) for v in values] for values in frame_rows(typed, form.keys)]
    return rows, [int(r) for r in typed[ROW]]


class SheetCache:
    """The last sheets read of every unit, kept by a long-running process (the service).

    An event names one unit; campaign-wide rules (uniqueness across units) still need the
    other units' rows, which come from here instead of costing one read each. Every read
    refreshes the cache; a full pass (consolidation) refreshes it for every unit.
    """

    def __init__(self) -> None:
        self._sheets: dict[str, UnitSheets] = {}
        self._lock = threading.Lock()
        self._fill = threading.Lock()

    def fill(
        self, units: list[Unit], read: Callable[[list[Unit]], dict[str, UnitSheets]]
    ) -> dict[str, UnitSheets]:
        """The cached sheets of `units`, reading the missing ones once even when several
        jobs start cold at the same time."""
        with self._fill:
            missing = [u for u in units if self.get(u.id) is None]
            if missing:
                self.put(read(missing))
        with self._lock:
            return {u.id: self._sheets[u.id] for u in units if u.id in self._sheets}

    def get(self, unit_id: str) -> UnitSheets | None:
        with self._lock:
            return self._sheets.get(unit_id)

    def put(self, sheets: dict[str, UnitSheets]) -> None:
        with self._lock:
            self._sheets.update(sheets)

    def __len__(self) -> int:
        return len(self._sheets)


def read_units(
    store: Store, units: Iterable[Unit], tick: Tick | None = None
) -> dict[str, UnitSheets]:
    """Read every unit; a unit that cannot be read gets a `sheet_unavailable` problem."""
    out: dict[str, UnitSheets] = {}
    for unit in units:
        try:
            out[unit.id] = store.read_unit(unit)
        except StoreError as exc:
            log.warning("read failed for %s: %s", unit.id, exc)
            out[unit.id] = UnitSheets(
                unit_id=unit.id,
                forms={},
                problem=Finding(unit.id, "", None, None, "sheet_unavailable", "error", str(exc)),
            )
        if tick:
            tick(unit.id)
    return out


def assemble(
    campaign: Campaign, sheets: dict[str, UnitSheets]
) -> tuple[dict[str, pd.DataFrame], list[Finding]]:
    """One frame per form with `_unit` and `_row`; structure findings from the stores."""
    data: dict[str, pd.DataFrame] = {}
    extra: list[Finding] = []
    for form in campaign.forms:
        parts = []
        for unit_id, unit_sheets in sheets.items():
            sheet = unit_sheets.forms.get(form.id)
            if sheet is None:
                continue
            extra.extend(sheet.findings)
            if len(sheet.frame):
                parts.append(sheet.frame.assign(_unit=unit_id))
        if parts:
            frame = pd.concat(parts, ignore_index=True)
            data[form.id] = frame[["_unit", ROW, *[k for k in form.keys if k in frame.columns]]]
    for unit_sheets in sheets.values():
        if unit_sheets.problem is not None:
            problem = unit_sheets.problem
            for form in campaign.forms:
                extra.append(
                    Finding(
                        problem.unit,
                        form.id,
                        None,
                        None,
                        problem.code,
                        problem.severity,
                        problem.message,
                    )
                )
    return data, extra


def observe(
    campaign: Campaign, states: States, sheets: dict[str, UnitSheets], now: datetime
) -> dict[tuple[str, str], UnitTimes]:
    """Update content hashes and change times; return the times the deadline rule needs."""
    times: dict[tuple[str, str], UnitTimes] = {}
    for unit_id, unit_sheets in sheets.items():
        for form in campaign.forms:
            sheet = unit_sheets.forms.get(form.id)
            if sheet is not None and unit_sheets.problem is None:
                digest = content_hash(sheet.frame, form.keys)
                states.observe(unit_id, form.id, digest, len(sheet.frame), False, now)
            st = states.get(unit_id, form.id)
            times[(unit_id, form.id)] = UnitTimes(
                last_change_at=st.last_change, submitted_at=st.submitted
            )
    return times


def run_validation(
    campaign: Campaign,
    store: Store,
    *,
    now: datetime,
    states: States,
    units: Collection[str] | None = None,
    feedback: bool = True,
    tick: Tick | None = None,
    cache: SheetCache | None = None,
) -> Run:
    """Validate the campaign and write feedback for the selected units.

    Uniqueness is campaign-wide, so every unit's rows are needed: the selected units are
    always read; the others come from `cache` when it has them, else they are read too.
    """
    selected = [u.id for u in campaign.units if units is None or u.id in units]
    if cache is None:
        fresh = read_units(store, campaign.units, tick)
    else:
        fresh = read_units(store, [u for u in campaign.units if u.id in selected], tick)
        cache.put(fresh)
        others = [u for u in campaign.units if u.id not in fresh]
        fresh.update(cache.fill(others, lambda units: read_units(store, units, tick)))
    sheets = {u.id: fresh[u.id] for u in campaign.units if u.id in fresh}
    data, extra = assemble(campaign, sheets)
    times = observe(campaign, states, sheets, now)
    result = validate(campaign, data, now=now, times=times, units=selected, extra=extra)
    for s in result.summaries:
        if s.rows and s.errors == 0:
            st = states.get(s.unit, s.form)
            st.first_valid_at = st.first_valid_at or now.isoformat()
    run = Run(campaign, now, sheets, result, selected)
    if feedback:
        for unit_id in selected:
            if sheets[unit_id].problem is not None:
                continue
            unit = campaign.unit(unit_id)
            try:
                changed = store.write_feedback(unit, build_feedback(campaign, unit_id, result))
            except StoreError as exc:
                log.warning("feedback not written for %s: %s", unit_id, exc)
                run.write_errors[unit_id] = str(exc)
                continue
            (run.written if changed else run.unchanged).append(unit_id)
    states.save()
    return run


def submit(
    campaign: Campaign,
    store: Store,
    unit_id: str,
    form_id: str,
    *,
    now: datetime,
    states: States,
    cache: SheetCache | None = None,
) -> tuple[bool, Run]:
    """Freeze the unit's current rows as the official snapshot. Returns (late, run).

    Refused (SubmissionError, Vietnamese message) when the form is locked, the unit has no
    rows, or the rows still have errors.
    """
    try:
        unit = campaign.unit(unit_id)
    except KeyError:
        raise SubmissionError(i18n.t("submit.no_such_unit", unit=unit_id)) from None
    try:
        form = campaign.form(form_id)
    except KeyError:
        raise SubmissionError(i18n.t("submit.no_such_form", form=form_id)) from None
    if form.lock and now > form.closes:
        closes = form.closes.astimezone(campaign.tz).strftime("%d/%m/%Y %H:%M")
        raise SubmissionError(i18n.t("submit.locked", form=form.title, closes=closes))
    run = run_validation(campaign, store, now=now, states=states, units=[unit.id], cache=cache)
    summary = next(s for s in run.result.summaries if s.unit == unit.id and s.form == form.id)
    if run.sheets[unit.id].problem is not None:
        raise SubmissionError(str(run.sheets[unit.id].problem.message))  # type: ignore[union-attr]
    if summary.rows == 0:
        raise SubmissionError(i18n.t("submit.no_rows", unit=unit.name, form=form.title))
    if summary.errors:
        raise SubmissionError(
            i18n.t("submit.has_errors", form=form.title, unit=unit.name, errors=summary.errors)
        )
    sheet = run.sheets[unit.id].forms[form.id]
    digest = content_hash(sheet.frame, form.keys)
    snapshot, numbers = official_rows(run.result, form, unit.id)
    states.submit(unit.id, form.id, digest, snapshot, numbers, now)
    states.save()
    return now > form.due, run
