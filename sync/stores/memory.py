"""The in-memory store: the local store's semantics in dicts, for fast tests.

A unit's "sheet" is a dict tab → list of rows (row i is sheet row i + 1, header included);
notes and colours live beside it, keyed by (row, 0-based column).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openpyxl.utils import get_column_letter

from .. import i18n
from ..errors import SheetNotFound
from ..feedback import GUIDE_TAB, SUMMARY_TAB
from ..rules.findings import Finding
from .base import ProvisionReport, Store, UnitSheets
from .grid import (
    find_tab,
    header_cells,
    locate_header,
    missing_tab,
    read_form_grid,
    renamed_candidate,
)
from .layout import feedback_targets, guide_rows, plain_value, plan_columns, status_header_text

if TYPE_CHECKING:
    from ..campaign import Campaign, Form, Unit
    from ..consolidate import Consolidated
    from ..feedback import UnitFeedback


@dataclass
class MemoryBook:
    """One unit's spreadsheet in memory."""

    tabs: dict[str, list[list[Any]]] = field(default_factory=dict)
    notes: dict[str, dict[tuple[int, int], tuple[str, str]]] = field(default_factory=dict)
    """tab → (row, column) → (severity, text): the note and colour on a wrong cell."""
    marks: dict[str, dict[int, str]] = field(default_factory=dict)
    """tab → row → severity of the status cell colour."""
    version: int = 0


def _set(rows: list[list[Any]], row: int, col: int, value: Any) -> None:
    while len(rows) < row:
        rows.append([])
    line = rows[row - 1]
    while len(line) <= col:
        line.append(None)
    line[col] = value


def _get(rows: list[list[Any]], row: int, col: int) -> Any:
    if row > len(rows) or col >= len(rows[row - 1]):
        return None
    return rows[row - 1][col]


class MemoryStore(Store):
    """Unit sheets and the consolidated output as Python lists."""

    kind = "memory"

    def __init__(self, campaign: Campaign) -> None:
        super().__init__(campaign)
        self.books: dict[str, MemoryBook] = {}
        self.consolidated: dict[str, list[list[Any]]] = {}
        self.total_rows: dict[str, list[int]] = {}
        self.writes = 0

    # -- provisioning -------------------------------------------------------------------
    def _new_tab(self, form: Form) -> list[list[Any]]:
        rows: list[list[Any]] = [[line] for line in form.title_block]
        rows += [[] for _ in range(form.header_row - 1 - len(rows))]
        rows.append([*form.headers, form.status_header])
        return rows

    def provision(self, unit: Unit) -> ProvisionReport:
        report = ProvisionReport(unit_id=unit.id, location=self.location(unit))
        book = self.books.get(unit.id)
        if book is None:
            book = MemoryBook()
            book.tabs[GUIDE_TAB] = guide_rows(self.campaign, unit)
            for form in self.campaign.forms_for(unit.id):
                book.tabs[form.tab] = self._new_tab(form)
            self.books[unit.id] = book
            report.created = True
            tabs = ", ".join(f"'{f.tab}'" for f in self.campaign.forms_for(unit.id))
            report.actions.append(i18n.t("plan.create_local", workbook=report.location, tabs=tabs))
            book.version += 1
            return report
        guide = guide_rows(self.campaign, unit)
        if book.tabs.get(GUIDE_TAB) != guide:
            book.tabs = {GUIDE_TAB: guide, **{k: v for k, v in book.tabs.items() if k != GUIDE_TAB}}
            report.actions.append(i18n.t("plan.update_tab", tab=GUIDE_TAB))
        for form in self.campaign.forms_for(unit.id):
            name = find_tab(book.tabs, form.tab)
            if name is None:
                book.tabs[form.tab] = self._new_tab(form)
                report.actions.append(i18n.t("plan.add_tab", tab=form.tab))
                continue
            rows = book.tabs[name]
            layout = locate_header(rows, form)
            plan = plan_columns(form, rows, layout)
            if plan is None:
                continue
            for key, idx in plan.placements.items():
                _set(rows, layout.header_row, idx, form.column(key).header)
                report.actions.append(
                    i18n.t(
                        "plan.add_column",
                        column=form.column(key).header,
                        tab=name,
                        letter=get_column_letter(idx + 1),
                    )
                )
            if plan.old_status is not None or layout.status is None:
                if plan.old_status is not None and plan.old_status not in plan.placements.values():
                    _set(rows, layout.header_row, plan.old_status, None)
                _set(rows, layout.header_row, plan.status, form.status_header)
                if layout.status is None:
                    report.actions.append(
                        i18n.t("plan.add_status_column", column=form.status_header, tab=name)
                    )
        if report.actions:
            book.version += 1
        else:
            report.actions.append(i18n.t("plan.no_change"))
        return report

    def location(self, unit: Unit) -> str:
        return f"memory://{self.campaign.id}/{unit.id}"

    # -- test helpers -------------------------------------------------------------------
    def book(self, unit_id: str) -> MemoryBook:
        try:
            return self.books[unit_id]
        except KeyError:
            raise SheetNotFound(i18n.t("memory.no_workbook", unit=unit_id)) from None

    def put_rows(
        self,
        unit_id: str,
        form_id: str,
        rows: Sequence[Mapping[str, Any] | Sequence[Any] | None],
        start_row: int | None = None,
    ) -> None:
        """Simulate a unit typing: rows (dicts by key, lists in column order, None = blank)
        written from `start_row` (default: just below the header), by header position."""
        form = self.campaign.form(form_id)
        book = self.book(unit_id)
        name = find_tab(book.tabs, form.tab) or form.tab
        tab = book.tabs.setdefault(name, self._new_tab(form))
        layout = locate_header(tab, form)
        row_number = start_row or layout.header_row + 1
        for row in rows:
            if row is not None:
                values = (
                    row if isinstance(row, Mapping) else dict(zip(form.keys, row, strict=False))
                )
                for key, value in values.items():
                    if key in layout.columns:
                        _set(tab, row_number, layout.columns[key], value)
            row_number += 1
        book.version += 1

    # -- reading ------------------------------------------------------------------------
    def read_unit(self, unit: Unit) -> UnitSheets:
        book = self.books.get(unit.id)
        if book is None:
            problem = Finding(
                unit=unit.id,
                form="",
                row=None,
                column=None,
                code="sheet_unavailable",
                severity="error",
                message=(i18n.t("memory.unit_no_workbook", unit=unit.name, unit_id=unit.id)),
            )
            return UnitSheets(unit_id=unit.id, forms={}, revision=None, problem=problem)
        forms = {}
        for form in self.campaign.forms_for(unit.id):
            name = find_tab(book.tabs, form.tab)
            if name is None:
                own = {f.tab for f in self.campaign.forms}
                others = {t: header_cells(r, form) for t, r in book.tabs.items() if t not in own}
                candidate = renamed_candidate(form, others)
                forms[form.id] = missing_tab(
                    unit.id, form, list(book.tabs), candidate, lang=self.campaign.language
                )
            else:
                forms[form.id] = read_form_grid(
                    unit.id, form, book.tabs[name], lang=self.campaign.language
                )
        return UnitSheets(unit_id=unit.id, forms=forms, revision=self.revision(unit))

    def revision(self, unit: Unit) -> str | None:
        book = self.books.get(unit.id)
        return None if book is None else str(book.version)

    # -- feedback -----------------------------------------------------------------------
    def write_feedback(self, unit: Unit, feedback: UnitFeedback) -> bool:
        book = self.book(unit.id)
        changed = False
        for form in self.campaign.forms:
            name = find_tab(book.tabs, form.tab)
            if name is None or form.id not in feedback.forms:
                continue
            rows = book.tabs[name]
            layout = locate_header(rows, form)
            if layout.status is None:
                plan = plan_columns(form, rows, layout)
                assert plan is not None
                _set(rows, layout.header_row, plan.status, form.status_header)
                layout.status = plan.status
                changed = True
            status, notes = feedback_targets(form, layout, feedback.forms[form.id])
            col = layout.status
            title = status_header_text(form, feedback.forms[form.id])
            if _get(rows, layout.header_row, col) != title:
                _set(rows, layout.header_row, col, title)
                changed = True
            for number in range(layout.header_row + 1, max(len(rows), *status, 0) + 1):
                wanted = status[number].text if number in status else None
                if _get(rows, number, col) != wanted:
                    _set(rows, number, col, wanted)
                    changed = True
            marks = {r: s.severity for r, s in status.items() if s.severity}
            if book.marks.get(name, {}) != marks:
                book.marks[name] = marks
                changed = True
            if book.notes.get(name, {}) != notes:
                book.notes[name] = notes
                changed = True
        summary = [list(r) for r in feedback.summary]
        if book.tabs.get(SUMMARY_TAB) != summary:
            book.tabs[SUMMARY_TAB] = summary
            changed = True
        if changed:
            book.version += 1
            self.writes += 1
        return changed

    # -- consolidated -------------------------------------------------------------------
    def write_consolidated(self, consolidated: Consolidated) -> str:
        tz = self.campaign.tz
        self.consolidated = {}
        for tab, frame in consolidated.tables.items():
            rows: list[list[Any]] = [[str(c) for c in frame.columns]]
            for rec in frame.itertuples(index=False, name=None):
                rows.append([plain_value(v, tz) for v in rec])
            self.consolidated[tab] = rows
        self.total_rows = {k: list(v) for k, v in consolidated.total_rows.items()}
        return f"memory://{self.campaign.id}/Tong-hop"

    def read_consolidated(self) -> dict[str, list[list[Any]]]:
        return {tab: [list(r) for r in rows] for tab, rows in self.consolidated.items()}
