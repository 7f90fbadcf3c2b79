"""Which unit a spreadsheet id names — the one place this lookup lives.

local backend: a unit's "spreadsheet id" is its unit id. google: `units[].spreadsheet`
(an id or a URL) or the id recorded at provisioning (`recorded`, from the Google store).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from sync.campaign import Campaign, Unit

_URL_ID = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


def spreadsheet_id(ref: str) -> str:
    """The id inside a Google Sheets URL, or `ref` itself."""
    m = _URL_ID.search(ref)
    return m.group(1) if m else ref.strip()


class SpreadsheetIndex:
    """spreadsheet id → unit for one campaign."""

    def __init__(
        self,
        campaign: Campaign,
        recorded: Mapping[str, str] | None = None,
        refresh: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        """`recorded`/`refresh`: unit id → spreadsheet id, for stores whose sheets have ids
        (`KnowsSpreadsheetIds`); None: events name the unit id itself (local folder)."""
        self.campaign = campaign
        self._refresh = refresh
        self._build(recorded)

    def _build(self, recorded: Mapping[str, str] | None) -> None:
        campaign = self.campaign
        self._by_id: dict[str, Unit] = {}
        if recorded is not None:
            for unit_id, sid in recorded.items():
                try:
                    self._by_id.setdefault(spreadsheet_id(sid), campaign.unit(unit_id))
                except KeyError:
                    continue
        else:
            self._by_id = {u.id: u for u in campaign.units}
        self._sid = {u.id: sid for sid, u in self._by_id.items()}

    def unit_for(self, spreadsheet: str) -> Unit | None:
        """The unit whose spreadsheet this is, or None.

        On a miss the ids recorded at provisioning are re-read (a small file; lookups happen
        only for correctly signed events), so spreadsheets provisioned while the service
        runs are found without a restart.
        """
        found = self._by_id.get(spreadsheet)
        if found is None and self._refresh is not None:
            self._build(self._refresh())
            found = self._by_id.get(spreadsheet)
        return found

    def spreadsheet_of(self, unit_id: str) -> str | None:
        """The spreadsheet id of a unit (None when not provisioned yet)."""
        return self._sid.get(unit_id)
