"""The store contract (docs/design.md), run against every registered store kind.

Each store comes with a small "driver" that plays the unit: it types rows, renames tabs and
headers, and shows what the unit sees (headers, status texts, notes). A new store joins by
its `register(...)` line in `sync/stores/__init__.py` and one entry in `DRIVERS` here (a
test fails while a registered kind has no driver).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from sync.campaign import Campaign, Column, Unit, load_campaign
from sync.consolidate import Consolidated
from sync.feedback import GUIDE_TAB, SUMMARY_TAB, CellNote, FormFeedback, RowStatus, UnitFeedback
from sync.stores import KINDS, open_store
from sync.stores.base import ROW, Store
from sync.stores.capabilities import (
    AcceptsUploads,
    ExportsXlsx,
    KnowsSpreadsheetIds,
    LocksForms,
    WatchesChanges,
)
from sync.stores.grid import norm
from sync.stores.local import LocalStore
from sync.stores.memory import MemoryStore

DATA = Path(__file__).parent / "data" / "stores" / "campaign.yaml"


class Driver:
    """Plays the unit on one store kind."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.campaign = store.campaign

    def type_rows(self, unit: Unit, form_id: str, rows: dict[int, dict[str, Any]]) -> None:
        raise NotImplementedError

    def tabs(self, unit: Unit) -> list[str]:
        raise NotImplementedError

    def header(self, unit: Unit, form_id: str) -> list[Any]:
        raise NotImplementedError

    def set_header(self, unit: Unit, form_id: str, position: int, text: str) -> None:
        raise NotImplementedError

    def rename_tab(self, unit: Unit, form_id: str, new: str) -> None:
        raise NotImplementedError

    def notes(self, unit: Unit, form_id: str) -> dict[tuple[int, str], str]:
        """(row, column key) → note text the service put on a cell."""
        raise NotImplementedError

    def summary(self, unit: Unit) -> list[list[Any]]:
        raise NotImplementedError


class MemoryDriver(Driver):
    store: MemoryStore

    def type_rows(self, unit: Unit, form_id: str, rows: dict[int, dict[str, Any]]) -> None:
        for number, values in rows.items():
            self.store.put_rows(unit.id, form_id, [values], start_row=number)

    def tabs(self, unit: Unit) -> list[str]:
        return list(self.store.book(unit.id).tabs)

    def _tab(self, unit: Unit, form_id: str) -> list[list[Any]]:
        return self.store.book(unit.id).tabs[self.campaign.form(form_id).tab]

    def header(self, unit: Unit, form_id: str) -> list[Any]:
        form = self.campaign.form(form_id)
        return list(self._tab(unit, form_id)[form.header_row - 1])

    def set_header(self, unit: Unit, form_id: str, position: int, text: str) -> None:
        form = self.campaign.form(form_id)
        self._tab(unit, form_id)[form.header_row - 1][position] = text
        self.store.book(unit.id).version += 1

    def rename_tab(self, unit: Unit, form_id: str, new: str) -> None:
        book = self.store.book(unit.id)
        old = self.campaign.form(form_id).tab
        book.tabs = {(new if k == old else k): v for k, v in book.tabs.items()}
        book.version += 1

    def notes(self, unit: Unit, form_id: str) -> dict[tuple[int, str], str]:
        form = self.campaign.form(form_id)
        header = self.header(unit, form_id)
        keys = {
            i: form.keys[form.headers.index(h)] for i, h in enumerate(header) if h in form.headers
        }
        raw = self.store.book(unit.id).notes.get(form.tab, {})
        return {(r, keys[c]): text for (r, c), (_sev, text) in raw.items()}

    def summary(self, unit: Unit) -> list[list[Any]]:
        return self.store.book(unit.id).tabs[SUMMARY_TAB]


class LocalDriver(Driver):
    store: LocalStore

    def _open(self, unit: Unit) -> openpyxl.Workbook:
        return openpyxl.load_workbook(self.store.path(unit))

    def type_rows(self, unit: Unit, form_id: str, rows: dict[int, dict[str, Any]]) -> None:
        form = self.campaign.form(form_id)
        wb = self._open(unit)
        ws = wb[form.tab]
        header = [norm(c.value) for c in ws[form.header_row]]
        for number, values in rows.items():
            for key, value in values.items():
                column = header.index(norm(form.column(key).header)) + 1
                ws.cell(row=number, column=column, value=value)
        wb.save(self.store.path(unit))

    def tabs(self, unit: Unit) -> list[str]:
        return self._open(unit).sheetnames

    def header(self, unit: Unit, form_id: str) -> list[Any]:
        form = self.campaign.form(form_id)
        values = [c.value for c in self._open(unit)[form.tab][form.header_row]]
        while values and values[-1] is None:
            values.pop()
        return values

    def set_header(self, unit: Unit, form_id: str, position: int, text: str) -> None:
        form = self.campaign.form(form_id)
        wb = self._open(unit)
        wb[form.tab].cell(row=form.header_row, column=position + 1, value=text)
        wb.save(self.store.path(unit))

    def rename_tab(self, unit: Unit, form_id: str, new: str) -> None:
        wb = self._open(unit)
        wb[self.campaign.form(form_id).tab].title = new
        wb.save(self.store.path(unit))

    def notes(self, unit: Unit, form_id: str) -> dict[tuple[int, str], str]:
        form = self.campaign.form(form_id)
        ws = self._open(unit)[form.tab]
        header = [c.value for c in ws[form.header_row]]
        out = {}
        for row in ws.iter_rows(min_row=form.header_row + 1):
            for cell in row:
                if cell.comment is not None and cell.comment.author == "thidua-sync":
                    key = form.keys[form.headers.index(header[cell.column - 1])]
                    out[(cell.row, key)] = cell.comment.text
        return out

    def summary(self, unit: Unit) -> list[list[Any]]:
        ws = self._open(unit)[SUMMARY_TAB]
        return [[v for v in r if v is not None] for r in ws.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign(DATA)


def _memory(campaign: Campaign, _tmp_path: Path) -> tuple[Store, Driver]:
    memory = MemoryStore(campaign)
    return memory, MemoryDriver(memory)


def _local(campaign: Campaign, tmp_path: Path) -> tuple[Store, Driver]:
    local = LocalStore(campaign, folder=tmp_path / "workbooks")
    return local, LocalDriver(local)


def _google(campaign: Campaign, tmp_path: Path) -> tuple[Store, Driver]:
    from tests.google_driver import GoogleDriver, make_google_store

    google = make_google_store(campaign, tmp_path)
    return google, GoogleDriver(google)  # type: ignore[return-value]


DRIVERS: dict[str, Callable[[Campaign, Path], tuple[Store, Driver]]] = {
    "memory": _memory,
    "local": _local,
    "google": _google,
}
STORES = sorted(DRIVERS)


def make_store(kind: str, campaign: Campaign, tmp_path: Path) -> tuple[Store, Driver]:
    return DRIVERS[kind](campaign, tmp_path)


def test_every_registered_store_kind_has_a_contract_driver() -> None:
    assert sorted(KINDS) == STORES


CAPABILITIES = {
    "memory": set(),
    "local": {AcceptsUploads, ExportsXlsx},
    "google": {WatchesChanges, KnowsSpreadsheetIds, ExportsXlsx, LocksForms},
}


@pytest.mark.parametrize("kind", STORES)
def test_stores_have_the_capabilities_callers_ask_for(
    kind: str, campaign: Campaign, tmp_path: Path
) -> None:
    store, _driver = make_store(kind, campaign, tmp_path)
    every = {AcceptsUploads, WatchesChanges, KnowsSpreadsheetIds, ExportsXlsx, LocksForms}
    assert {c for c in every if isinstance(store, c)} == CAPABILITIES[kind]


@pytest.mark.parametrize(
    "kind", sorted(k for k, caps in CAPABILITIES.items() if ExportsXlsx in caps)
)
def test_exported_xlsx_holds_the_consolidated_tabs(
    kind: str, campaign: Campaign, tmp_path: Path
) -> None:
    store, _driver = make_store(kind, campaign, tmp_path)
    assert isinstance(store, ExportsXlsx)
    tables = Consolidated(
        tables={"Tổng hợp": pd.DataFrame({"Đơn vị": ["Đơn vị Một"], "Số dòng": [2]})}
    )
    store.export_xlsx(tables, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Tổng hợp"]
    rows = [[v for v in r if v is not None] for r in ws.iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(rows) if r[-2:] == ["Đơn vị", "Số dòng"])  # the header
    assert rows[at + 1][-2:] == ["Đơn vị Một", 2]


@pytest.fixture(params=STORES)
def kit(request: pytest.FixtureRequest, campaign: Campaign, tmp_path: Path) -> Iterator[Any]:
    store, driver = make_store(request.param, campaign, tmp_path)
    yield store, driver


def unit_of(store: Store, index: int = 0) -> Unit:
    return store.campaign.units[index]


DELEGATES = {
    2: {"ho_ten": "Nguyễn Thị Hoa", "gioi_tinh": "Nữ", "nam_sinh": 1985, "dan_toc": "Thái"},
    3: {"ho_ten": "Lò Văn Pành", "gioi_tinh": "Nam", "nam_sinh": "1979", "dan_toc": "Mông"},
    5: {"ho_ten": "Trần Văn Nam", "gioi_tinh": "Nam", "ngay_vao": datetime(2010, 5, 1)},
}


def test_factory_opens_the_campaign_backend(campaign: Campaign) -> None:
    assert isinstance(open_store(campaign), LocalStore)
    assert isinstance(open_store(campaign, "memory"), MemoryStore)


def test_provision_creates_every_tab_with_its_header(kit: Any) -> None:
    store, driver = kit
    unit = unit_of(store)
    report = store.provision(unit)
    assert report.created and report.actions[0].startswith("Tạo mới sổ")
    tabs = driver.tabs(unit)
    assert tabs[0] == GUIDE_TAB
    for form in store.campaign.forms:
        assert form.tab in tabs
        assert driver.header(unit, form.id) == [*form.headers, form.status_header]
    sheets = store.read_unit(unit)
    assert sheets.problem is None and sheets.revision is not None
    for form in store.campaign.forms:
        sheet = sheets.forms[form.id]
        assert sheet.findings == [] and len(sheet.frame) == 0
        assert list(sheet.frame.columns) == [ROW, *form.keys]


def test_provision_twice_changes_nothing_and_keeps_data(kit: Any) -> None:
    store, driver = kit
    unit = unit_of(store)
    store.provision(unit)
    driver.type_rows(unit, "dai_bieu", DELEGATES)
    before = store.read_unit(unit)
    report = store.provision(unit)
    assert report.actions == ["Không có thay đổi"] and not report.created
    after = store.read_unit(unit)
    assert after.revision == before.revision
    pd.testing.assert_frame_equal(after.forms["dai_bieu"].frame, before.forms["dai_bieu"].frame)


def test_read_returns_typed_rows_with_sheet_row_numbers_and_skips_blank_rows(kit: Any) -> None:
    store, driver = kit
    unit = unit_of(store)
    store.provision(unit)
    driver.type_rows(unit, "dai_bieu", DELEGATES)
    driver.type_rows(unit, "dang_ky", {4: {"ho_ten": "A"}, 6: {"ho_ten": "B", "so_nam": 12}})
    frame = store.read_unit(unit).forms["dai_bieu"].frame
    assert frame[ROW].tolist() == [2, 3, 5]
    assert frame["ho_ten"].tolist() == ["Nguyễn Thị Hoa", "Lò Văn Pành", "Trần Văn Nam"]
    assert frame["nam_sinh"].tolist()[:2] == [1985, "1979"]
    assert frame["ngay_vao"].iloc[2] == datetime(2010, 5, 1)
    assert frame["dan_toc"].iloc[2] is None
    other = store.read_unit(unit).forms["dang_ky"].frame
    assert other[ROW].tolist() == [4, 6] and other["so_nam"].tolist() == [None, 12]


def feedback_for(unit: Unit, rows: dict[int, RowStatus], notes: list[CellNote]) -> UnitFeedback:
    return UnitFeedback(
        unit_id=unit.id,
        forms={"dai_bieu": FormFeedback("dai_bieu", status=rows, notes=notes)},
        summary=[["Kiểm tra lúc", "20/04/2025 10:00"], ["Số lỗi", len(notes)]],
    )


FIRST = {
    2: RowStatus("✓ Hợp lệ"),
    3: RowStatus("Lỗi: Năm sinh phải là số", "error"),
    5: RowStatus("Cảnh báo: thiếu dân tộc", "warning"),
}
FIRST_NOTES = [
    CellNote(3, "nam_sinh", "error", "Năm sinh phải là số (1955–2007)"),
    CellNote(5, "dan_toc", "warning", "Nên ghi dân tộc"),
]


def test_feedback_round_trip_keeps_values_and_shows_status(kit: Any) -> None:
    store, driver = kit
    unit = unit_of(store)
    store.provision(unit)
    driver.type_rows(unit, "dai_bieu", DELEGATES)
    before = store.read_unit(unit).forms["dai_bieu"].frame
    assert store.write_feedback(unit, feedback_for(unit, FIRST, FIRST_NOTES)) is True
    sheet = store.read_unit(unit).forms["dai_bieu"]
    pd.testing.assert_frame_equal(sheet.frame, before)
    assert sheet.status == {r: s.text for r, s in FIRST.items()}
    assert sheet.findings == []
    assert driver.notes(unit, "dai_bieu") == {
        (3, "nam_sinh"): "Năm sinh phải là số (1955–2007)",
        (5, "dan_toc"): "Nên ghi dân tộc",
    }
    assert driver.summary(unit)[1] == ["Số lỗi", 2]


def test_same_feedback_twice_writes_nothing(kit: Any) -> None:
    store, driver = kit
    unit = unit_of(store)
    store.provision(unit)
    driver.type_rows(unit, "dai_bieu", DELEGATES)
    assert store.write_feedback(unit, feedback_for(unit, FIRST, FIRST_NOTES)) is True
    revision = store.revision(unit)
    assert store.write_feedback(unit, feedback_for(unit, FIRST, FIRST_NOTES)) is False
    assert store.revision(unit) == revision


def test_stale_feedback_is_cleared(kit: Any) -> None:
    store, driver = kit
    unit = unit_of(store)
    store.provision(unit)
    driver.type_rows(unit, "dai_bieu", DELEGATES)
    store.write_feedback(unit, feedback_for(unit, FIRST, FIRST_NOTES))
    fixed = {2: RowStatus("✓ Hợp lệ"), 3: RowStatus("✓ Hợp lệ")}
    notes = [CellNote(2, "ho_ten", "warning", "Có thể trùng với đơn vị khác")]
    assert store.write_feedback(unit, feedback_for(unit, fixed, notes)) is True
    sheet = store.read_unit(unit).forms["dai_bieu"]
    assert sheet.status == {2: "✓ Hợp lệ", 3: "✓ Hợp lệ"}
    assert driver.notes(unit, "dai_bieu") == {(2, "ho_ten"): "Có thể trùng với đơn vị khác"}
    assert driver.summary(unit)[1] == ["Số lỗi", 1]


FORMULA_LIKE = ['=HYPERLINK("http://x")', "+84 912 345 678", "-Nguyễn Văn A", "@Hoa", "=1+1"]


def test_consolidated_round_trip_keeps_formula_like_text_as_text(kit: Any) -> None:
    store, _driver = kit
    summary = pd.DataFrame(
        {
            "Mã đơn vị": ["TP-LAICHAU", "H-PHONGTHO", None],
            "Đơn vị": ["LĐLĐ thành phố Lai Châu", "LĐLĐ huyện Phong Thổ", "Tổng cộng"],
            "Chỉ tiêu": [14, 6, 20],
            "Tỷ lệ Nữ": [0.5, float("nan"), 0.25],
            "Cập nhật lúc": [pd.Timestamp("2025-04-20 10:00"), pd.NaT, pd.NaT],
        }
    )
    names = pd.DataFrame({"Mã đơn vị": ["TP-LAICHAU"] * 5, "Họ và tên": FORMULA_LIKE})
    consolidated = Consolidated(
        tables={"Tổng hợp": summary, "Đại biểu": names, "Cần sửa": names.iloc[:0]},
        total_rows={"Tổng hợp": [2]},
    )
    where = store.write_consolidated(consolidated)
    assert where
    tabs = store.read_consolidated()
    assert list(tabs) == ["Tổng hợp", "Đại biểu", "Cần sửa"]
    assert tabs["Tổng hợp"][0] == list(summary.columns)
    assert tabs["Tổng hợp"][1] == [
        "TP-LAICHAU",
        "LĐLĐ thành phố Lai Châu",
        14,
        0.5,
        datetime(2025, 4, 20, 10, 0),
    ]
    assert tabs["Tổng hợp"][2][3] is None and tabs["Tổng hợp"][3][0] is None
    assert [r[1] for r in tabs["Đại biểu"][1:]] == FORMULA_LIKE
    assert tabs["Cần sửa"] == [["Mã đơn vị", "Họ và tên"]]


def test_missing_tab_is_a_finding_and_other_forms_still_read(kit: Any) -> None:
    store, driver = kit
    unit = unit_of(store)
    store.provision(unit)
    driver.type_rows(unit, "dang_ky", {4: {"ho_ten": "A"}})
    driver.rename_tab(unit, "dai_bieu", "Sheet1")
    sheets = store.read_unit(unit)
    assert sheets.problem is None
    (finding,) = sheets.forms["dai_bieu"].findings
    assert (finding.code, finding.severity, finding.row, finding.column) == (
        "missing_tab",
        "error",
        None,
        None,
    )
    assert "'Đại biểu'" in finding.message and "'Sheet1'" in finding.message
    assert len(sheets.forms["dai_bieu"].frame) == 0
    assert sheets.forms["dang_ky"].frame["ho_ten"].tolist() == ["A"]


def test_renamed_header_is_a_finding_naming_the_expected_header(kit: Any) -> None:
    store, driver = kit
    unit = unit_of(store)
    store.provision(unit)
    driver.type_rows(unit, "dai_bieu", DELEGATES)
    driver.set_header(unit, "dai_bieu", 2, "Năm sinh (dương lịch)")
    sheet = store.read_unit(unit).forms["dai_bieu"]
    (finding,) = sheet.findings
    assert (finding.code, finding.severity, finding.column) == (
        "header_mismatch",
        "error",
        "nam_sinh",
    )
    assert "'Năm sinh'" in finding.message and "cột C" in finding.message
    assert sheet.frame["nam_sinh"].isna().all()
    assert sheet.frame["ho_ten"].tolist()[0] == "Nguyễn Thị Hoa"


def test_reordered_headers_warn_and_still_read_by_header(kit: Any) -> None:
    store, driver = kit
    unit = unit_of(store)
    store.provision(unit)
    form = store.campaign.form("dang_ky")
    driver.set_header(unit, "dang_ky", 0, form.headers[2])
    driver.set_header(unit, "dang_ky", 2, "  họ  và TÊN ")
    driver.type_rows(unit, "dang_ky", {4: {"ho_ten": 7, "so_nam": "Lê Thị B"}})
    sheet = store.read_unit(unit).forms["dang_ky"]
    (finding,) = sheet.findings
    assert (finding.code, finding.severity, finding.column) == ("header_mismatch", "warning", None)
    # the driver typed by header text: so_nam's header is now in column A, ho_ten's in C
    assert sheet.frame[["ho_ten", "so_nam"]].values.tolist() == [[7, "Lê Thị B"]]


def test_missing_workbook_is_reported_not_raised(kit: Any) -> None:
    store, _driver = kit
    sheets = store.read_unit(unit_of(store, 1))
    assert sheets.problem is not None and sheets.problem.code == "sheet_unavailable"
    assert sheets.forms == {} and store.revision(unit_of(store, 1)) is None


def test_reprovision_adds_a_column_the_template_gained_without_touching_data(
    kit: Any, tmp_path: Path
) -> None:
    store, driver = kit
    unit = unit_of(store)
    store.provision(unit)
    driver.type_rows(unit, "dai_bieu", DELEGATES)
    before = store.read_unit(unit).forms["dai_bieu"].frame
    form = store.campaign.form("dai_bieu")
    extra = Column(key="chuc_vu", header="Chức vụ", type="text")
    grown = dataclasses.replace(form, columns=(*form.columns, extra))
    campaign = dataclasses.replace(store.campaign, forms=(grown, *store.campaign.forms[1:]))
    store.campaign = campaign
    driver.campaign = campaign
    report = store.provision(unit)
    assert report.actions == ["Thêm cột 'Chức vụ' vào tab 'Đại biểu' (cột G)"]
    assert driver.header(unit, "dai_bieu") == [*grown.headers, grown.status_header]
    sheet = store.read_unit(unit).forms["dai_bieu"]
    assert sheet.findings == []
    pd.testing.assert_frame_equal(sheet.frame.drop(columns=["chuc_vu"]), before)
    assert sheet.frame["chuc_vu"].isna().all()
