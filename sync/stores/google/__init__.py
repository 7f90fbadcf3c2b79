"""The Google Sheets store: the only place in the project that uses gspread.

Calls per operation (counted on the fake server by tests/test_api_calls.py):
- `read_unit`: 1 `spreadsheets.get` (fields mask with grid data of every tab);
- `write_feedback`: 0 or 1 `spreadsheets.batchUpdate` (diffed against the last read);
- `provision`: 1 read + at most 1 batchUpdate (+ Drive create and one share per new editor);
- `write_consolidated`: 1 read + 2 writes (+ 1 Drive create the first time).
See docs/google-mode.md for the choices.

See docs/design.md, Google Sheets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from requests.adapters import HTTPAdapter

from ... import i18n
from ...campaign.model import GoogleBackend
from ...errors import PermissionDenied, SheetNotFound, StoreError
from ..base import ProvisionReport, Revision, Store, UnitSheets
from ..capabilities import Change
from ..grid import find_tab, locate_header
from ..local.writer import write_consolidated
from . import consolidated as consolidation
from . import watch
from .api import Api, spreadsheet_id, url_of
from .budget import Budget, Limits, MemoryBudget
from .feedback_requests import feedback_requests
from .provision import DEFAULT_ROWS, addon_metadata, plan_unit
from .read import content_revision, forms_from_tabs, unavailable
from .registry import REGISTRY_NAME, Registry
from .retry import RetryingHTTPClient, RetryPolicy, TokenBucket
from .sheetdata import (
    DATE_TYPES,
    PROVISION_FIELDS,
    READ_FIELDS,
    SHEET_PROPS,
    Tab,
    parse_tabs,
    serial,
)
from .watch import Channels

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ...campaign import Campaign, Unit
    from ...consolidate import Consolidated
    from ...feedback import UnitFeedback

log = logging.getLogger(__name__)

LOCK_DESCRIPTION = "thidua-sync: khoá sổ {form}"
LOCK_FIELDS = f"sheets({SHEET_PROPS},protectedRanges(protectedRangeId,description))"

__all__ = ["Budget", "GoogleStore", "Limits", "MemoryBudget", "RetryPolicy", "TokenBucket"]


class GoogleStore(Store):
    """Unit spreadsheets and the consolidated spreadsheet in Google Sheets."""

    kind = "google"
    concurrency = 16

    def __init__(
        self,
        campaign: Campaign,
        client: Any = None,
        *,
        clients: Sequence[Any] | None = None,
        account_email: str | None = None,
        account_emails: Sequence[str | None] | None = None,
        budget: Budget | None = None,
        registry_path: Path | None = None,
        policy: RetryPolicy | None = None,
        requests_per_minute: float | None = None,
        burst: float = 10.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        new_tab_rows: int = DEFAULT_ROWS,
    ) -> None:
        """`client` (or `clients`: one per service account) are gspread clients; without
        them the store signs in with `backend.credentials` and shares the quota budget
        with every process of the campaign (Redis or the audit database)."""
        super().__init__(campaign)
        self.backend = campaign.google or GoogleBackend(kind="google")
        limits = Limits(**self.backend.quota.model_dump())
        if client is None and clients is None:
            from .auth import build_clients, shared_budget

            built = build_clients(campaign)
            clients = [c for c, _ in built]
            account_emails = [e for _, e in built]
            budget = budget or shared_budget(campaign, limits)
        elif clients is None:
            clients, account_emails = [client], [account_email]
        clients = list(clients)
        emails = list(account_emails or [account_email] * len(clients))
        self.account_emails = [e for e in emails if e]
        self.account_email = self.account_emails[0] if self.account_emails else None
        sleep = sleep or time.sleep
        clock = clock or time.monotonic
        self.policy = policy or RetryPolicy(sleep=sleep, clock=clock)
        rate = requests_per_minute or self.backend.requests_per_minute
        self.bucket = TokenBucket(rate, burst=burst, sleep=sleep, clock=clock)
        self.http = RetryingHTTPClient.wrap(clients[0].http_client, self.policy, self.bucket)
        self.http.budget = budget or MemoryBudget(limits, clock=clock)
        self.http.sessions = {
            email or f"account-{i + 1}": c.http_client.session
            for i, (c, email) in enumerate(zip(clients, emails, strict=True))
        }
        for session in self.http.sessions.values():
            # as many kept-alive connections as requests in flight (requests keeps 10: the
            # 16 reads or writes of a pass would reconnect, TLS handshake included)
            session.mount("https://", HTTPAdapter(pool_maxsize=2 * self.concurrency))
        self.api = Api(self.http)
        self.addon_settings: Callable[[Unit], dict[str, str]] | None = None
        """Developer metadata provisioning writes into each unit spreadsheet (the add-on's
        THIDUA_URL and THIDUA_UNIT_KEY), set by `thidua provision`."""
        path = registry_path or campaign.base_dir / ".thidua" / REGISTRY_NAME
        self.registry = Registry(path)
        self._seen: dict[str, tuple[str, dict[str, Tab]]] = {}
        self.new_tab_rows = new_tab_rows

    # -- where --------------------------------------------------------------------------
    def spreadsheet_id(self, unit: Unit) -> str | None:
        """Adopted (`units[].spreadsheet`) first, else the one this store created."""
        if unit.spreadsheet:
            return spreadsheet_id(unit.spreadsheet)
        return self.registry.unit_id(unit.id)

    def recorded_spreadsheets(self) -> dict[str, str]:
        """Ids from `.thidua/google.json` as on disk now (provisioning may run elsewhere)."""
        fresh = Registry(self.registry.path)
        return {u.id: sid for u in self.campaign.units if (sid := fresh.unit_id(u.id))}

    # -- capabilities (sync.stores.capabilities) -----------------------------------------
    def spreadsheet_ids(self) -> dict[str, str]:
        """unit id → spreadsheet id: adopted (`units[].spreadsheet`) first, else recorded."""
        recorded = self.recorded_spreadsheets()
        out = {}
        for unit in self.campaign.units:
            ref = (
                (spreadsheet_id(unit.spreadsheet) or unit.spreadsheet) if unit.spreadsheet else None
            )
            if ref or unit.id in recorded:
                out[unit.id] = ref or recorded[unit.id]
        return out

    def change_channels(self, engine: Engine) -> Channels:
        return Channels(self, engine)

    def changes_since(self, since: str) -> tuple[list[Change], str]:
        return watch.poll_changes(self, since)

    def poll_since(self, default: float) -> str:
        return watch.poll_since(self, default)

    def save_poll_since(self, since: str) -> None:
        watch.save_poll_since(self, since)

    def export_xlsx(self, consolidated: Consolidated, target: Path) -> None:
        """The consolidated tables as one workbook, written here (no API call)."""
        write_consolidated(target, self.campaign, consolidated)

    def location(self, unit: Unit) -> str:
        sid = self.spreadsheet_id(unit)
        return url_of(sid) if sid else i18n.t("google.no_spreadsheet_location", unit=unit.id)

    # -- provisioning -------------------------------------------------------------------
    def provision(self, unit: Unit) -> ProvisionReport:
        entry = self.registry.unit(unit.id)
        created = False
        lines: list[str] = []
        if unit.spreadsheet:
            sid = spreadsheet_id(unit.spreadsheet)
            if sid is None:
                raise StoreError(
                    i18n.t("google.bad_spreadsheet_link", unit=unit.id, link=unit.spreadsheet)
                )
            if entry.get("id") != sid:
                lines.append(i18n.t("plan.use_existing", link=url_of(sid)))
        else:
            sid = entry.get("id")
            if not sid:
                name = f"{self.campaign.info.title} — {unit.name}"
                what = i18n.t("google.what.create", unit=unit.name)
                template = self.template_id()
                if template:  # the copy carries the add-on bound to the template
                    sid = self.api.copy_file(template, name, self.backend.folder_id, what)
                else:
                    sid = self.api.create_spreadsheet(name, self.backend.folder_id, what)
                created = True
        if entry.get("id") != sid:
            entry.clear()
            entry["id"] = sid
            self.registry.save()
        what = i18n.t("google.what.prepare", unit=unit.name)
        found = self.api.get(sid, PROVISION_FIELDS, what)
        tabs = parse_tabs(found)
        plan = plan_unit(self.campaign, unit, tabs, created, self.account_emails, self.new_tab_rows)
        wanted = self.addon_settings(unit) if self.addon_settings is not None else {}
        settings = addon_metadata(found.get("developerMetadata") or [], wanted)
        if settings:
            plan.requests += settings
            names = sorted(
                r["createDeveloperMetadata"]["developerMetadata"]["metadataKey"]
                for r in settings
                if "createDeveloperMetadata" in r
            )
            plan.actions.append(i18n.t("plan.addon_settings", names=", ".join(names)))
        if plan.requests:
            self.api.batch_update(sid, plan.requests, what)
        self._seen.pop(unit.id, None)
        shared = entry.setdefault("shared", [])
        for email in unit.editors:
            if email.lower() in shared:
                continue
            self.api.share(
                sid, email, self.backend.notify_editors, i18n.t("google.what.share", email=email)
            )
            shared.append(email.lower())
            self.registry.save()
            lines.append(i18n.t("plan.share", email=email))
        report = ProvisionReport(unit_id=unit.id, location=url_of(sid), created=created)
        if created:
            tabs_text = ", ".join(f"'{f.tab}'" for f in self.campaign.forms_for(unit.id))
            report.actions.append(i18n.t("plan.create_google", link=url_of(sid), tabs=tabs_text))
        report.actions += lines + plan.actions
        if not report.actions:
            report.actions.append(i18n.t("plan.no_change"))
        return report

    def template_id(self) -> str | None:
        """The organiser's template spreadsheet (`backend.template_spreadsheet`), if any."""
        text = self.backend.template_spreadsheet
        if not text:
            return None
        sid = spreadsheet_id(text)
        if sid is None:
            raise StoreError.of("google.bad_template_link", link=text)
        return sid

    # -- reading ------------------------------------------------------------------------
    def _read_tabs(self, unit: Unit, sid: str) -> tuple[dict[str, Any], dict[str, Tab]]:
        payload = self.api.get(sid, READ_FIELDS, i18n.t("google.what.read", unit=unit.name))
        tabs = parse_tabs(payload)
        self._seen[unit.id] = (sid, tabs)
        return payload, tabs

    def read_unit(self, unit: Unit) -> UnitSheets:
        sid = self.spreadsheet_id(unit)
        if sid is None:
            return unavailable(
                unit,
                i18n.t("google.unit_no_spreadsheet", unit=unit.name, unit_id=unit.id),
            )
        try:
            payload, tabs = self._read_tabs(unit, sid)
        except (SheetNotFound, PermissionDenied) as exc:
            log.warning("unit %s unreadable: %s", unit.id, exc)
            return unavailable(
                unit, i18n.t("google.unit_unreadable", unit=unit.name, link=url_of(sid), exc=exc)
            )
        forms = forms_from_tabs(self.campaign, unit, tabs)
        return UnitSheets(unit_id=unit.id, forms=forms, revision=content_revision(payload))

    def revision(self, unit: Unit) -> str | None:
        """Drive `modifiedTime` (one cheap Drive call); None when there is no sheet."""
        sid = self.spreadsheet_id(unit)
        if sid is None:
            return None
        try:
            return self.api.modified_time(sid, i18n.t("google.what.modified_time", unit=unit.name))
        except (SheetNotFound, PermissionDenied):
            return None

    def capacity(self) -> int | None:
        """Reads and writes the quota budget would let out at once (each unit of a pass
        costs one of each)."""
        budget, accounts = self.http.budget, list(self.http.sessions)
        if budget is None or not accounts:
            return None
        return min(budget.free("read", accounts), budget.free("write", accounts))

    def revisions(self, units: Sequence[Unit]) -> dict[str, Revision]:
        """`modifiedTime` of every unit spreadsheet from ONE Drive `files.list` (pages of
        1 000), and whether one of the store's accounts made the last change."""
        from .watch import poll_query

        ids = {sid: u.id for u in units if (sid := self.spreadsheet_id(u))}
        out: dict[str, Revision] = {u.id: Revision(None) for u in units}
        ours = {e.lower() for e in self.account_emails}
        q = poll_query(self, "1970-01-01T00:00:00.000Z")
        fields = "nextPageToken,files(id,modifiedTime,lastModifyingUser(emailAddress))"
        token: str | None = None
        while True:
            page = self.api.list_files(q, fields, i18n.t("google.what.changes"), token)
            for file in page.get("files") or []:
                unit_id = ids.get(str(file.get("id")))
                if unit_id is not None:
                    who = str((file.get("lastModifyingUser") or {}).get("emailAddress") or "")
                    modified = file.get("modifiedTime")
                    out[unit_id] = Revision(modified, who.lower() in ours, _seconds(modified))
            token = page.get("nextPageToken")
            if not token:
                return out

    # -- feedback -----------------------------------------------------------------------
    def write_feedback(self, unit: Unit, feedback: UnitFeedback) -> bool:
        sid = self.spreadsheet_id(unit)
        if sid is None:
            raise SheetNotFound(i18n.t("google.no_spreadsheet", unit=unit.name, unit_id=unit.id))
        seen = self._seen.get(unit.id)
        tabs = seen[1] if seen is not None and seen[0] == sid else self._read_tabs(unit, sid)[1]
        requests = feedback_requests(self.campaign, tabs, feedback)
        if not requests:
            return False
        try:
            self.api.batch_update(
                sid, requests, i18n.t("google.what.write_feedback", unit=unit.name)
            )
        except StoreError:
            self._seen.pop(unit.id, None)
            raise
        return True

    # -- consolidated -------------------------------------------------------------------
    def consolidated_id(self) -> str | None:
        if self.backend.consolidated:
            return spreadsheet_id(self.backend.consolidated)
        value = self.registry.consolidated.get("id")
        return str(value) if value else None

    def write_consolidated(self, consolidated: Consolidated) -> str:
        what = i18n.t("google.what.write_consolidated")
        entry = self.registry.consolidated
        sid = self.consolidated_id()
        previous = list(entry.get("tabs", []))
        if sid is None:
            name = f"{self.campaign.info.title} — Tổng hợp"
            sid = self.api.create_spreadsheet(name, self.backend.folder_id, what)
            entry.clear()
            entry["id"] = sid
            self.registry.save()
            previous = []
            fresh = True
        else:
            fresh = False
        tabs = parse_tabs(self.api.get(sid, consolidation.TITLE_FIELDS, what))
        if fresh:
            previous = list(tabs)
        tables = consolidation.table_rows(consolidated, self.campaign.tz)
        requests, data = consolidation.plan(tables, tabs, consolidated.total_rows, previous)
        self.api.batch_update(sid, requests, what)
        self.api.values_batch_update(sid, data, what)
        entry["tabs"] = list(tables)
        self.registry.save()
        return url_of(sid)

    def read_consolidated(self) -> dict[str, list[list[Any]]]:
        sid = self.consolidated_id()
        if sid is None:
            return {}
        payload = self.api.get(
            sid, consolidation.READ_FIELDS, i18n.t("google.what.read_consolidated")
        )
        tabs = sorted(parse_tabs(payload).values(), key=lambda t: t.index)
        return {t.title: consolidation.padded(t) for t in tabs}

    # -- deadline lock ------------------------------------------------------------------
    def lock(self, unit: Unit, form_id: str) -> None:
        """Protect the form's data rows so only the service account can edit (§3.4).

        Idempotent: our protected range is recognised by its description; 1 read, and
        1 batchUpdate only the first time.
        """
        form = self.campaign.form(form_id)
        sid = self.spreadsheet_id(unit)
        if sid is None:
            raise SheetNotFound(
                i18n.t("google.no_spreadsheet_to_lock", unit=unit.name, unit_id=unit.id)
            )
        what = i18n.t("google.what.lock", form=form.title, unit=unit.name)
        tabs = parse_tabs(self.api.get(sid, LOCK_FIELDS, what))
        name = find_tab(tabs, form.tab)
        if name is None:
            raise SheetNotFound(i18n.t("google.lock_missing_tab", unit=unit.name, tab=form.tab))
        tab = tabs[name]
        description = LOCK_DESCRIPTION.format(form=form.id)
        if any(p.get("description") == description for p in tab.protected):
            return
        rng = {"sheetId": tab.sheet_id, "startRowIndex": form.header_row}
        protected: dict[str, Any] = {
            "range": rng,
            "description": description,
            "warningOnly": False,
        }
        if self.account_emails:
            protected["editors"] = {"users": list(self.account_emails)}
        self.api.batch_update(sid, [{"addProtectedRange": {"protectedRange": protected}}], what)
        self._seen.pop(unit.id, None)

    def unlock(self, unit: Unit, form_id: str) -> None:
        """Remove the deadline lock of the form (a return or an extension reopened it).

        Idempotent: 1 read, and 1 batchUpdate only when our protected range is there.
        """
        form = self.campaign.form(form_id)
        sid = self.spreadsheet_id(unit)
        if sid is None:
            return
        what = i18n.t("google.what.unlock", form=form.title, unit=unit.name)
        tabs = parse_tabs(self.api.get(sid, LOCK_FIELDS, what))
        name = find_tab(tabs, form.tab)
        if name is None:
            return
        description = LOCK_DESCRIPTION.format(form=form.id)
        ids = [
            p["protectedRangeId"]
            for p in tabs[name].protected
            if p.get("description") == description and "protectedRangeId" in p
        ]
        if not ids:
            return
        requests = [{"deleteProtectedRange": {"protectedRangeId": i}} for i in ids]
        self.api.batch_update(sid, requests, what)
        self._seen.pop(unit.id, None)

    # -- test hook ----------------------------------------------------------------------
    def put_rows(
        self,
        unit_id: str,
        form_id: str,
        rows: Sequence[Mapping[str, Any] | Sequence[Any] | None],
        start_row: int | None = None,
    ) -> None:
        """Simulate a unit typing (tests, benchmarks): one batchUpdate, typed values."""
        unit = self.campaign.unit(unit_id)
        form = self.campaign.form(form_id)
        sid = self.spreadsheet_id(unit)
        if sid is None:
            raise SheetNotFound(i18n.t("google.unit_has_no_spreadsheet", unit=unit_id))
        _payload, tabs = self._read_tabs(unit, sid)
        self._seen.pop(unit.id, None)
        name = find_tab(tabs, form.tab)
        if name is None:
            raise SheetNotFound(i18n.t("google.no_tab", tab=form.tab))
        tab = tabs[name]
        layout = locate_header(tab.values, form)
        number = start_row or layout.header_row + 1
        requests = []
        for row in rows:
            if row is not None:
                values = (
                    row if isinstance(row, Mapping) else dict(zip(form.keys, row, strict=False))
                )
                for key, value in values.items():
                    if key in layout.columns:
                        requests.append(
                            _typed_cell(tab.sheet_id, number, layout.columns[key], value)
                        )
            number += 1
        if requests:
            self.api.batch_update(sid, requests, i18n.t("google.what.test_input"))


def _seconds(stamp: str | None) -> float | None:
    """UNIX seconds of a Drive RFC 3339 time (`2025-04-01T02:03:04.567Z`)."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _typed_cell(sheet_id: int, row: int, col: int, value: Any) -> dict[str, Any]:
    from .sheetdata import extended

    cell: dict[str, Any] = {}
    if isinstance(value, date):
        cell["userEnteredValue"] = {"numberValue": serial(value)}
        timed = isinstance(value, datetime) and (value.hour, value.minute) != (0, 0)
        kind = DATE_TYPES[1] if timed else DATE_TYPES[0]
        cell["userEnteredFormat"] = {
            "numberFormat": {"type": kind, "pattern": "dd/mm/yyyy hh:mm" if timed else "dd/mm/yyyy"}
        }
    else:
        ext = extended(value)
        if ext is not None:
            cell["userEnteredValue"] = ext
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": col},
            "rows": [{"values": [cell]}],
            "fields": "userEnteredValue,userEnteredFormat.numberFormat",
        }
    }
