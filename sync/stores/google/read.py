"""Reading a unit: one `spreadsheets.get` (fields mask with grid data) → FormSheets."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from ...feedback import GUIDE_TAB, SUMMARY_TAB
from ...rules.findings import Finding
from ..base import FormSheet, UnitSheets
from ..grid import find_tab, header_cells, missing_tab, read_form_grid, renamed_candidate
from .sheetdata import Tab

if TYPE_CHECKING:
    from ...campaign import Campaign, Unit

SERVICE_TABS = frozenset({GUIDE_TAB, SUMMARY_TAB})


def content_revision(payload: dict[str, Any]) -> str:
    """A marker of what was read (changes whenever any value, note or colour changes)."""
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return "c:" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:20]


def forms_from_tabs(campaign: Campaign, unit: Unit, tabs: dict[str, Tab]) -> dict[str, FormSheet]:
    """Every form of the unit from the tabs read (missing/renamed tabs become findings)."""
    own = {f.tab for f in campaign.forms}
    forms: dict[str, FormSheet] = {}
    for form in campaign.forms_for(unit.id):
        name = find_tab(tabs, form.tab)
        if name is None:
            others = {
                t: header_cells(tab.values, form)
                for t, tab in tabs.items()
                if t not in own and t not in SERVICE_TABS
            }
            candidate = renamed_candidate(form, others)
            forms[form.id] = missing_tab(
                unit.id, form, list(tabs), candidate, lang=campaign.language
            )
        else:
            forms[form.id] = read_form_grid(
                unit.id, form, tabs[name].values, lang=campaign.language
            )
    return forms


def unavailable(unit: Unit, message: str) -> UnitSheets:
    """A unit whose spreadsheet cannot be read: the other units go on."""
    problem = Finding(
        unit=unit.id,
        form="",
        row=None,
        column=None,
        code="sheet_unavailable",
        severity="error",
        message=message,
    )
    return UnitSheets(unit_id=unit.id, forms={}, revision=None, problem=problem)
