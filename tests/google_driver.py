"""Store-contract driver for the Google store: plays the unit through the fake server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync.campaign import Campaign, Unit
from sync.feedback import SUMMARY_TAB
from sync.stores.google import Budget, GoogleStore, Limits, MemoryBudget
from sync.stores.google.sheetdata import READ_FIELDS, Tab, parse_tabs
from sync.stores.grid import norm
from tests.fake_google import FakeGoogle

SERVICE_ACCOUNT = "fake-sa@thidua-fake.iam.gserviceaccount.com"


UNLIMITED = Limits(10**9, 10**9, 10**9, 10**9)


def make_google_store(
    campaign: Campaign,
    tmp_path: Path,
    fake: FakeGoogle | None = None,
    *,
    accounts: int = 1,
    budget: Budget | None = None,
    sleep: Callable[[float], None] | None = None,
    user: str | None = None,
) -> GoogleStore:
    """A GoogleStore on a fresh fake; pacing off, retries without real sleeping (unless
    given a `budget` and a `sleep`); `accounts` service accounts share the load; `user`:
    act as someone else (a unit's staff typing)."""
    fake = fake or FakeGoogle()
    emails = [user or SERVICE_ACCOUNT] + [
        f"fake-sa-{i}@thidua-fake.iam.gserviceaccount.com" for i in range(2, accounts + 1)
    ]
    store = GoogleStore(
        campaign,
        clients=[fake.gspread_client(user=email) for email in emails],
        account_emails=emails,
        budget=budget or MemoryBudget(UNLIMITED),
        registry_path=tmp_path / ".thidua" / "google.json",
        requests_per_minute=1e9,
        sleep=sleep or (lambda _s: None),
        new_tab_rows=100,
    )
    store.fake = fake  # type: ignore[attr-defined]
    return store


class GoogleDriver:
    """Plays the unit on the Google store (same methods as the contract's Driver)."""

    def __init__(self, store: GoogleStore) -> None:
        self.store = store
        self.campaign = store.campaign

    def _sid(self, unit: Unit) -> str:
        sid = self.store.spreadsheet_id(unit)
        assert sid is not None
        return sid

    def _tabs(self, unit: Unit) -> dict[str, Tab]:
        return parse_tabs(self.store.api.get(self._sid(unit), READ_FIELDS, "test"))

    def type_rows(self, unit: Unit, form_id: str, rows: dict[int, dict[str, Any]]) -> None:
        for number, values in rows.items():
            self.store.put_rows(unit.id, form_id, [values], start_row=number)

    def tabs(self, unit: Unit) -> list[str]:
        return [t.title for t in sorted(self._tabs(unit).values(), key=lambda t: t.index)]

    def header(self, unit: Unit, form_id: str) -> list[Any]:
        form = self.campaign.form(form_id)
        values = self._tabs(unit)[form.tab].values
        return list(values[form.header_row - 1]) if len(values) >= form.header_row else []

    def set_header(self, unit: Unit, form_id: str, position: int, text: str) -> None:
        form = self.campaign.form(form_id)
        tab = self._tabs(unit)[form.tab]
        cell = {"userEnteredValue": {"stringValue": text}}
        start = {"sheetId": tab.sheet_id, "rowIndex": form.header_row - 1, "columnIndex": position}
        request = {
            "updateCells": {
                "start": start,
                "rows": [{"values": [cell]}],
                "fields": "userEnteredValue",
            }
        }
        self.store.api.batch_update(self._sid(unit), [request], "test")

    def rename_tab(self, unit: Unit, form_id: str, new: str) -> None:
        tab = self._tabs(unit)[self.campaign.form(form_id).tab]
        request = {
            "updateSheetProperties": {
                "properties": {"sheetId": tab.sheet_id, "title": new},
                "fields": "title",
            }
        }
        self.store.api.batch_update(self._sid(unit), [request], "test")

    def notes(self, unit: Unit, form_id: str) -> dict[tuple[int, str], str]:
        """Notes on cells the service coloured (its feedback), by column key."""
        form = self.campaign.form(form_id)
        tab = self._tabs(unit)[form.tab]
        header = tab.values[form.header_row - 1]
        keys = {norm(c.header): c.key for c in form.columns}
        out = {}
        for (row, col), text in tab.notes.items():
            if row > form.header_row and (row, col) in tab.marks:
                out[(row, keys[norm(header[col])])] = text
        return out

    def summary(self, unit: Unit) -> list[list[Any]]:
        return [[v for v in r if v is not None] for r in self._tabs(unit)[SUMMARY_TAB].values]
