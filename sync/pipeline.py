"""The batch loop: read units from a store, validate, write feedback, update states, submit.

Callers go through `sync.operations`, which also records what a run found.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

import pandas as pd

from . import i18n, lifecycle
from .campaign import Campaign, Deadline, Form, Unit
from .consolidate import display_value
from .errors import StoreError, SubmissionError
from .feedback import build_feedback
from .form_state import FormCheck, States, content_hash, frame_rows
from .rules.engine import UnitTimes, ValidationResult, validate
from .rules.findings import Finding
from .shared_frames import Held
from .stores.base import ROW, Store, UnitSheets

log = logging.getLogger(__name__)

Tick = Callable[[str], None]
T = TypeVar("T")
SETTLED = 5.0
"""A frame read this long after a unit's last change holds that change."""


@dataclass
class Run:
    """What one validation pass read, found and wrote."""

    campaign: Campaign
    now: datetime
    sheets: dict[str, UnitSheets]
    result: ValidationResult
    units: list[str]
    claims: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    """form → unit → keys of its campaign-wide unique rules, as read in this pass."""
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
                    summary: dict[str, Any] | None = self.result.summary(unit, form.id).as_record()
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


class Frames(Protocol):
    """Where a long-running process keeps units' last read sheets (`SheetCache` in memory,
    `sync.shared_frames.SharedSheetCache` shared by every worker)."""

    def fill(
        self, units: list[Unit], read: Callable[[list[Unit]], dict[str, UnitSheets]]
    ) -> dict[str, UnitSheets]: ...

    def get(self, unit_id: str) -> UnitSheets | None: ...

    def held(self, unit_id: str) -> Held | None: ...

    def put(
        self,
        sheets: dict[str, UnitSheets],
        markers: dict[str, str | None] | None = None,
        read_at: float | None = None,
    ) -> None: ...

    def confirm(self, unit_id: str, marker: str | None) -> None: ...


class SheetCache:
    """The last sheets read of every unit, kept by a long-running process (the service).

    An event names one unit; campaign-wide rules (uniqueness across units) still need the
    other units' rows, which come from here instead of costing one read each. Every read
    refreshes the cache; a full pass (consolidation) re-reads only the units whose
    revision moved (`current_sheets`). The service shares its frames between workers
    through the audit database (`sync.shared_frames.SharedSheetCache`, same interface).
    """

    def __init__(self) -> None:
        self._sheets: dict[str, Held] = {}
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
            return {u.id: self._sheets[u.id].sheets for u in units if u.id in self._sheets}

    def get(self, unit_id: str) -> UnitSheets | None:
        held = self.held(unit_id)
        return held.sheets if held is not None else None

    def held(self, unit_id: str) -> Held | None:
        with self._lock:
            return self._sheets.get(unit_id)

    def put(
        self,
        sheets: dict[str, UnitSheets],
        markers: dict[str, str | None] | None = None,
        read_at: float | None = None,
    ) -> None:
        stamp = time.time() if read_at is None else read_at
        with self._lock:
            for unit_id, found in sheets.items():
                marker = (markers or {}).get(unit_id)
                self._sheets[unit_id] = Held(found, marker, stamp, 0)

    def confirm(self, unit_id: str, marker: str | None) -> None:
        with self._lock:
            held = self._sheets.get(unit_id)
            if held is not None:
                self._sheets[unit_id] = Held(held.sheets, marker, held.read_at, held.version)

    def __len__(self) -> int:
        return len(self._sheets)


def current_sheets(
    store: Store, units: list[Unit], cache: Frames, tick: Tick | None = None
) -> dict[str, UnitSheets]:
    """Every unit's sheets at its current revision, reading only what moved.

    One call asks the store where every unit stands (`Store.revisions`: one Drive
    `files.list` on Google). A held frame is current when its revision is the same, when
    the last change was the service's own feedback write (it follows a read in the same
    job), or when it was read well after the last change (`SETTLED` seconds: clocks
    differ); a unit nobody holds, or changed since by someone else, is read again.
    """
    revisions = store.revisions(units)
    stale: list[Unit] = []
    for unit in units:
        held = cache.held(unit.id)
        now = revisions[unit.id]
        if held is None or now.marker is None:
            stale.append(unit)
        elif held.marker == now.marker:
            continue
        elif now.ours or (now.at is not None and held.read_at - SETTLED > now.at):
            cache.confirm(unit.id, now.marker)
        else:
            stale.append(unit)
    if stale:
        started = time.time()
        fresh = read_units(store, stale, tick)
        cache.put(fresh, {u.id: revisions[u.id].marker for u in stale}, started)
    return cache.fill(units, lambda missing: read_units(store, missing, tick))


def read_units(
    store: Store, units: Iterable[Unit], tick: Tick | None = None
) -> dict[str, UnitSheets]:
    """Read every unit; a unit that cannot be read gets a `sheet_unavailable` problem.

    A remote store's reads wait on the network (and on the quota budget), so up to
    `store.concurrency` of them are in flight at once."""

    def one(unit: Unit) -> UnitSheets:
        try:
            return store.read_unit(unit)
        except StoreError as exc:
            log.warning("read failed for %s: %s", unit.id, exc)
            return UnitSheets(
                unit_id=unit.id,
                forms={},
                problem=Finding(unit.id, "", None, None, "sheet_unavailable", "error", str(exc)),
            )

    out: dict[str, UnitSheets] = {}
    for unit, found in _each(store, list(units), one):
        out[unit.id] = found
        if tick:
            tick(unit.id)
    return out


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()
os.register_at_fork(after_in_child=_POOLS.clear)  # a forked child has none of the threads


def io_pool(workers: int) -> ThreadPoolExecutor:
    """One lasting pool per size for network waits: starting threads for every pass cost
    more than the reads themselves under load (each start waits for the GIL)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="thidua-io")
        return pool


def _each(store: Store, units: list[Unit], work: Callable[[Unit], T]) -> Iterable[tuple[Unit, T]]:
    """`work` on every unit, in order; concurrently on stores that wait on the network
    (at most `store.concurrency` at once across every pass of the process)."""
    if min(store.concurrency, len(units)) <= 1:
        for unit in units:
            yield unit, work(unit)
        return
    yield from zip(units, io_pool(store.concurrency).map(work, units), strict=True)


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
            for form in campaign.forms_for(problem.unit):
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
            if not form.applies(unit_id):
                continue
            times[(unit_id, form.id)] = unit_times(states, form, unit_id)
    return times


def referenced_forms(campaign: Campaign) -> set[str]:
    """Forms that cross-form rules (`registered_in`) judge against."""
    out: set[str] = set()
    for form in campaign.forms:
        for rule in form.rules:
            out |= {ref.form for ref in getattr(rule, "references", list)()}
    return out


def official_records(
    campaign: Campaign, states: States, data: dict[str, pd.DataFrame], now: datetime
) -> dict[str, tuple[pd.DataFrame, dict[str, tuple[str, str]]]]:
    """Per referenced form, the rows that count for each unit and which version they are:
    its latest submitted snapshot; once its own deadline has locked without a submission,
    the last valid state before the lock (`submission: implicit`) or nothing; otherwise its
    live rows. Rows typed after the lock never count."""
    tz = campaign.tz
    out: dict[str, tuple[pd.DataFrame, dict[str, tuple[str, str]]]] = {}
    for form_id in sorted(referenced_forms(campaign)):
        form = campaign.form(form_id)
        live = data.get(form_id)
        parts: list[pd.DataFrame] = []
        versions: dict[str, tuple[str, str]] = {}
        for unit in campaign.units_for(form_id):
            st = states.get(unit.id, form_id)
            rows: list[list[Any]] | None = None
            if st.submitted_at and st.snapshot is not None:
                rows, numbers = st.snapshot, st.snapshot_rows
                versions[unit.id] = ("submitted", _day(st.submitted_at, tz))
            else:
                own = unit_deadline(states, campaign)(unit.id, form_id)
                if own.lock and now > own.closes:
                    numbers = None
                    found = (
                        states.snapshot_of(unit.id, form_id, st.valid_hash)
                        if form.submission == "implicit" and st.valid_hash
                        else None
                    )
                    if found is not None:
                        rows, numbers = found
                        versions[unit.id] = ("last_valid", _day(st.valid_at, tz))
                    else:
                        rows = []
                        versions[unit.id] = ("none", _day(own.closes.isoformat(), tz))
            if rows is None:
                if live is not None:
                    parts.append(live[live["_unit"] == unit.id])
                continue
            if rows:
                frame = pd.DataFrame(rows, columns=form.keys, dtype=object)
                frame.insert(0, ROW, numbers or list(range(2, 2 + len(rows))))
                frame.insert(0, "_unit", unit.id)
                parts.append(frame)
        frame = (
            pd.concat(parts, ignore_index=True)
            if parts
            else pd.DataFrame({"_unit": [], ROW: []}, dtype=object)
        )
        out[form_id] = (frame, versions)
    return out


def _day(stamp: str | None, tz: Any) -> str:
    return datetime.fromisoformat(stamp).astimezone(tz).strftime("%d/%m/%Y") if stamp else ""


def unit_times(states: States, form: Form, unit: str) -> UnitTimes:
    """The official record of one unit's form as the rules engine needs it."""
    key = (unit, form.id)
    return lifecycle.times(
        form, unit, states.get(unit, form.id), states.reviews.get(key), states.extensions.get(key)
    )


def unit_deadline(states: States, campaign: Campaign) -> Callable[[str, str], Deadline]:
    """unit, form → the unit's own deadline (override, extension, return)."""

    def of(unit: str, form_id: str) -> Deadline:
        key = (unit, form_id)
        return lifecycle.deadline(
            campaign.form(form_id), unit, states.extensions.get(key), states.reviews.get(key)
        )

    return of


def run_validation(
    campaign: Campaign,
    store: Store,
    *,
    now: datetime,
    states: States,
    units: Collection[str] | None = None,
    feedback: bool = True,
    tick: Tick | None = None,
    cache: Frames | None = None,
) -> Run:
    """Validate the campaign and write feedback for the selected units.

    Uniqueness is campaign-wide, so every unit's rows are needed: the selected units are
    always read; the others come from `cache` when it has them, else they are read too.
    """
    selected = [u.id for u in campaign.units if units is None or u.id in units]
    if cache is None:
        fresh = read_units(store, campaign.units, tick)
    elif units is None:
        fresh = current_sheets(store, list(campaign.units), cache, tick)
    else:
        fresh = read_units(store, [u for u in campaign.units if u.id in selected], tick)
        cache.put(fresh)
        others = [u for u in campaign.units if u.id not in fresh]
        fresh.update(cache.fill(others, lambda units: read_units(store, units, tick)))
    sheets = {u.id: fresh[u.id] for u in campaign.units if u.id in fresh}
    data, extra = assemble(campaign, sheets)
    times = observe(campaign, states, sheets, now)
    claims = states.claims()
    result = validate(
        campaign,
        data,
        now=now,
        times=times,
        units=selected,
        extra=extra,
        official=official_records(campaign, states, data, now),
        claims=claims,
    )
    stamp = now.timestamp()
    states.save_claims(
        [
            (form_id, key, unit, stamp)
            for form_id, by_unit in result.keys.items()
            for unit, keys in by_unit.items()
            for key in keys
            if unit not in claims.get(form_id, {}).get(key, {})
        ]
    )
    for s in result.summaries:
        if s.rows and s.errors == 0:
            st = states.get(s.unit, s.form)
            st.first_valid_at = st.first_valid_at or now.isoformat()
            if s.deadline is None or now <= s.deadline.closes:
                st.valid_hash, st.valid_at = st.content_hash, now.isoformat()
    run = Run(campaign, now, sheets, result, selected, claims=result.keys)
    if feedback:
        targets = [campaign.unit(u) for u in selected if sheets[u].problem is None]
        prepared = {u.id: build_feedback(campaign, u.id, result) for u in targets}

        def write(unit: Unit) -> bool | StoreError:
            try:
                return store.write_feedback(unit, prepared[unit.id])
            except StoreError as exc:
                return exc

        for unit, outcome in _each(store, targets, write):
            if isinstance(outcome, StoreError):
                log.warning("feedback not written for %s: %s", unit.id, outcome)
                run.write_errors[unit.id] = str(outcome)
                continue
            (run.written if outcome else run.unchanged).append(unit.id)
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
    cache: Frames | None = None,
) -> tuple[bool, Run]:
    """Freeze the unit's current rows as the official snapshot. Returns (late, run);
    `late` is the timeliness of the unit's *first* submission (a correction keeps it).

    Refused (SubmissionError, Vietnamese message) when the form does not apply to the unit,
    is locked for it (unless returned), is approved, has no rows, or still has errors.
    """
    try:
        unit = campaign.unit(unit_id)
    except KeyError:
        raise SubmissionError(i18n.t("submit.no_such_unit", unit=unit_id)) from None
    try:
        form = campaign.form(form_id)
    except KeyError:
        raise SubmissionError(i18n.t("submit.no_such_form", form=form_id)) from None
    key = (unit.id, form.id)
    lifecycle.accept_submission(
        campaign,
        form,
        unit.id,
        states.get(unit.id, form.id),
        now,
        states.reviews.get(key),
        states.extensions.get(key),
    )
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
    first = states.get(unit.id, form.id).first_submitted or now
    on_time = first <= unit_times(states, form, unit.id).deadline.due  # type: ignore[union-attr]
    state = states.submit(unit.id, form.id, digest, snapshot, numbers, now, on_time=on_time)
    states.save()
    # The run's summary and the unit's sheet show the submission at once (no second read).
    summary.state = "submitted_on_time" if on_time else "submitted_late"
    summary.on_time = on_time
    summary.corrections = max(0, len(state.history) - 1)
    summary.changed_since_submit = False
    summary.submitted_at = now
    if unit.id in run.written or unit.id in run.unchanged:
        try:
            store.write_feedback(unit, build_feedback(campaign, unit.id, run.result))
        except StoreError as exc:
            log.warning("feedback after submission not written for %s: %s", unit.id, exc)
    claimed = run.claims.get(form.id, {}).get(unit.id)
    if claimed is not None:
        states.save_claims([], [(form.id, unit.id, claimed)])
    return not on_time, run
