"""The local store (docs/design.md: Stores): a folder of .xlsx workbooks via openpyxl.

`<unit id>.xlsx` per unit (one tab per form, header row at the form's `header_row`, the
`Kết quả kiểm tra` status column right after the form's columns), `Tong-hop.xlsx` for the
consolidated output. Writes are atomic (temp file + os.replace) and serialised per workbook
(thread lock + `.name.lock` flock). Reads never raise: problems become findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook

from ... import i18n
from ...errors import PermissionDenied, StoreError
from ..base import ProvisionReport, Store, UnitSheets
from ..grid import find_tab
from . import reader, writer
from .files import atomic_save, workbook_lock
from .workbook import add_missing_columns, lists_last, new_form_tab, write_guide

if TYPE_CHECKING:
    from ...campaign import Campaign, Unit
    from ...consolidate import Consolidated
    from ...feedback import UnitFeedback

CONSOLIDATED_NAME = "Tong-hop.xlsx"

__all__ = ["CONSOLIDATED_NAME", "LocalStore"]


class LocalStore(Store):
    """Unit workbooks and Tong-hop.xlsx in `campaign.local_path`."""

    kind = "local"

    def __init__(self, campaign: Campaign, folder: Path | None = None) -> None:
        super().__init__(campaign)
        self.folder = Path(folder) if folder is not None else campaign.local_path

    def workbook_path(self, unit: Unit) -> Path:
        """The unit's workbook file (units upload a filled copy on the upload page)."""
        return self.path(unit)

    def export_xlsx(self, consolidated: Consolidated, target: Path) -> None:
        """The consolidated tables as one workbook at `target` (the download, `--out`)."""
        writer.write_consolidated(target, self.campaign, consolidated)

    def path(self, unit: Unit) -> Path:
        return self.folder / f"{unit.id}.xlsx"

    def location(self, unit: Unit) -> str:
        return str(self.path(unit))

    @property
    def consolidated_path(self) -> Path:
        return self.folder / CONSOLIDATED_NAME

    def _ensure_folder(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except PermissionError:
            raise PermissionDenied(i18n.t("local.folder_denied", folder=self.folder)) from None
        except OSError as exc:
            raise StoreError(
                i18n.t("local.folder_failed", folder=self.folder, reason=exc.strerror)
            ) from None

    def provision(self, unit: Unit) -> ProvisionReport:
        self._ensure_folder()
        path = self.path(unit)
        report = ProvisionReport(unit_id=unit.id, location=str(path))
        with workbook_lock(path):
            if path.exists():
                wb = reader.open_workbook(path)
                cached = writer.cached_formula_values(path, wb)
            else:
                wb = Workbook()
                wb.remove(wb.active)
                cached = {}
                report.created = True
            forms = self.campaign.forms_for(unit.id)
            for form in forms:
                name = find_tab(wb.sheetnames, form.tab)
                if name is None:
                    new_form_tab(wb, form)
                    if not report.created:
                        report.actions.append(i18n.t("plan.add_tab", tab=form.tab))
                else:
                    report.actions += add_missing_columns(wb, wb[name], form)
            guide_changed = write_guide(wb, self.campaign, unit)
            lists_last(wb)
            if report.created:
                tabs = ", ".join(f"'{f.tab}'" for f in forms)
                report.actions.insert(0, i18n.t("plan.create_local", workbook=path.name, tabs=tabs))
            elif guide_changed:
                report.actions.append(i18n.t("plan.update_guide"))
            if not report.actions:
                report.actions.append(i18n.t("plan.no_change"))
                return report
            atomic_save(wb, path, cached)
        return report

    def read_unit(self, unit: Unit) -> UnitSheets:
        path = self.path(unit)
        return reader.read_workbook(path, self.campaign, unit, self.revision(unit))

    def revision(self, unit: Unit) -> str | None:
        try:
            st = self.path(unit).stat()
        except OSError:
            return None
        return f"{st.st_mtime_ns}-{st.st_size}"

    def write_feedback(self, unit: Unit, feedback: UnitFeedback) -> bool:
        self._ensure_folder()
        return writer.write_feedback(self.path(unit), self.campaign, feedback)

    def write_consolidated(self, consolidated: Consolidated) -> str:
        self._ensure_folder()
        writer.write_consolidated(self.consolidated_path, self.campaign, consolidated)
        return str(self.consolidated_path)

    def read_consolidated(self) -> dict[str, list[list[Any]]]:
        return writer.read_consolidated(self.consolidated_path)

    def put_rows(
        self,
        unit_id: str,
        form_id: str,
        rows: Sequence[Mapping[str, Any] | Sequence[Any] | None],
        start_row: int | None = None,
    ) -> None:
        """Simulate a unit typing rows below the header (demo and tests)."""
        unit = self.campaign.unit(unit_id)
        writer.put_rows(self.path(unit), self.campaign.form(form_id), rows, start_row)
