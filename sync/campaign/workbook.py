"""The campaign as a workbook (docs/campaign-file.md §6): layout, reading, and the grid to write.

A campaign workbook has Vietnamese tabs in the order an organiser fills them (`TABS`). This
module knows no spreadsheet library: it turns a *grid* — tab name → rows of cell values, the
first row being the headers — into the same data a `campaign.yaml` holds, plus the place
(tab, row, column) of every value, so that every configuration error names the cell
(`WorkbookDoc.issue`). `to_grid` goes the other way (the writer in `sync.campaign_xlsx`
styles it). Reading a `.xlsx` file uses calamine (`read_xlsx_grid`).

Public API: `TABS`, `Place`, `Grid`, `WorkbookDoc`, `WorkbookSource`, `read_grid`,
`read_xlsx_grid`, `to_grid`, `GridOut`, `cell_text`.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, get_args, get_origin

from python_calamine import CalamineError, CalamineWorkbook
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .. import i18n
from ..errors import ConfigError, ConfigIssue
from ..normalize import Invalid, parse_int, parse_number, parse_when, serial_to_date
from .model import parse_duration
from .rulespec import SPECS
from .yamlio import PathKey, format_path, yaml_problem

Grid = dict[str, list[list[Any]]]
"""Tab name → rows of cell values (row 0: the headers)."""

NOTE_PREFIX = "workbook.note."


@dataclass(frozen=True)
class Place:
    """A place in the workbook as the organiser sees it: tab, row (1-based), column header."""

    sheet: str
    row: int | None = None
    column: str | None = None


@dataclass(frozen=True)
class Enum:
    """Codes of the model and the Vietnamese labels the workbook shows (either is read)."""

    pairs: tuple[tuple[Any, str], ...]

    def label(self, code: Any) -> str:
        for value, text in self.pairs:
            if value == code:
                return text
        return str(code)

    def labels(self) -> list[str]:
        return [text for _v, text in self.pairs]

    def code(self, text: str) -> Any:
        wanted = fold(text)
        for value, label in self.pairs:
            if wanted in (fold(label), fold(str(value))):
                return value
        raise KeyError(text)


YES_NO = Enum(((True, "Có"), (False, "Không")))
SEVERITY = Enum((("error", "lỗi"), ("warning", "cảnh báo")))
SCOPE = Enum((("unit", "đơn vị"), ("campaign", "cả đợt")))
SUBMISSION = Enum((("explicit", "nộp"), ("implicit", "tự động")))
ROUNDING = Enum((("floor", "xuống"), ("round", "gần nhất"), ("ceil", "lên")))
FORMULA = Enum((("error", "lỗi"), ("warning", "cảnh báo"), ("allow", "cho phép")))
WHEN = Enum((("before", "trước hạn"), ("after", "sau hạn")))
BACKEND = Enum((("local", "local"), ("google", "google")))
LANGUAGE = Enum((("vi", "vi"), ("en", "en")))
BASE = Enum((("staff", "staff"),))
TYPES = Enum(
    (
        ("text", "chữ"),
        ("integer", "số nguyên"),
        ("number", "số"),
        ("percent", "phần trăm"),
        ("year", "năm"),
        ("date", "ngày"),
        ("bool", "có/không"),
        ("choice", "lựa chọn"),
        ("email", "e-mail"),
        ("phone", "điện thoại"),
    )
)
_YES_WORDS = {"x", "có", "co", "true", "1", "yes", "y", "✓", "v"}
_NO_WORDS = {"không", "khong", "false", "0", "no", "n"}


@dataclass(frozen=True)
class Col:
    """A column of a tab: its header, the data key it fills, how its cells are read."""

    header: str
    key: str
    kind: str = "text"
    """text, int, number, share, bool, date, duration, list, enum, quota, applies, condition,
    value, yaml, lines."""
    enum: Enum | None = None
    required: bool = False
    width: int = 16
    dropdown: str | None = None
    """A dropdown list: "enum" (the labels), "units", "forms", "templates", "lists",
    "kinds", "units_levels"."""

    @property
    def note_id(self) -> str:
        return f"workbook.note.{self.key}"


@dataclass(frozen=True)
class Tab:
    """A tab of the campaign workbook: name, id (for note ids) and columns."""

    id: str
    name: str
    columns: tuple[Col, ...]
    required: bool = False

    def col(self, key: str) -> Col:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


def _c(tab: str, header: str, key: str, kind: str = "text", **kw: Any) -> Col:
    return Col(header, f"{tab}.{key}", kind, **kw)


SETTINGS = Tab(
    "settings",
    "Đợt",
    (
        _c("settings", "Mục", "item", width=34),
        _c("settings", "Giá trị", "value", "value", width=70),
    ),
    required=True,
)
UNITS = Tab(
    "units",
    "Đơn vị",
    (
        _c("units", "Mã", "id", required=True, width=16),
        _c("units", "Tên", "name", required=True, width=34),
        _c("units", "Cấp trên", "parent", dropdown="units", width=16),
        _c("units", "Cấp", "level", width=14),
        _c("units", "Nhãn", "tags", "list", width=14),
        _c("units", "Số CB-NLĐ", "staff", "int", width=12),
        _c("units", "E-mail người nhập", "editors", "list", width=30),
        _c("units", "Bảng tính Google", "spreadsheet", width=24),
    ),
    required=True,
)
QUOTA_PREFIX = "Chỉ tiêu:"
"""Header of a unit quota column: "Chỉ tiêu: dai_bieu" (one per form)."""
DEADLINE_PREFIX = "Hạn riêng:"
"""Header of a unit's own due date for a form: "Hạn riêng: hoi_nghi_xa" (a pilot unit's
earlier deadline). Overrides by level, or with their own grace or opening, go in the tab
«Hạn riêng»."""

FORMS = Tab(
    "forms",
    "Biểu mẫu",
    (
        _c("forms", "Mã", "id", required=True, width=22),
        _c("forms", "Mẫu", "template", required=True, dropdown="templates", width=22),
        _c("forms", "Tên biểu mẫu", "title", width=36),
        _c("forms", "Tên tab", "tab", width=18),
        _c("forms", "Mở", "opens", "date", width=17),
        _c("forms", "Hạn nộp", "due", "date", required=True, width=17),
        _c("forms", "Gia hạn", "grace", "duration", width=10),
        _c("forms", "Khoá", "lock", "bool", enum=YES_NO, dropdown="enum", width=8),
        _c("forms", "Áp dụng cho", "applies_to", "applies", width=26),
        _c("forms", "Cách nộp", "submission", "enum", enum=SUBMISSION, dropdown="enum", width=10),
        _c("forms", "Chỉ tiêu chung", "quota", "quota", width=14),
    ),
    required=True,
)
DEADLINES = Tab(
    "deadlines",
    "Hạn riêng",
    (
        _c("deadlines", "Biểu mẫu", "form", required=True, dropdown="forms", width=22),
        _c("deadlines", "Đơn vị hoặc cấp", "who", required=True, dropdown="units_levels", width=20),
        _c("deadlines", "Mở", "opens", "date", width=17),
        _c("deadlines", "Hạn nộp", "due", "date", required=True, width=17),
        _c("deadlines", "Gia hạn", "grace", "duration", width=10),
    ),
)
TEMPLATES = Tab(
    "templates",
    "Mẫu",
    (
        _c("templates", "Mã mẫu", "id", required=True, width=22),
        _c("templates", "Tên biểu", "title", required=True, width=36),
        _c("templates", "Tên tab", "tab", required=True, width=18),
        _c("templates", "Dòng tiêu đề", "header_row", "int", width=10),
        _c("templates", "Khối tiêu đề", "title_block", "lines", width=30),
        _c("templates", "Hướng dẫn điền", "instructions", "lines", width=40),
        _c("templates", "Tên danh sách in", "print_title", width=30),
        _c("templates", "Thứ tự in", "print_sort", "list", width=20),
    ),
)
COLUMNS = Tab(
    "columns",
    "Cột",
    (
        _c("columns", "Mẫu", "template", required=True, dropdown="own_templates", width=20),
        _c("columns", "Khoá", "key", required=True, width=16),
        _c("columns", "Tiêu đề", "header", required=True, width=30),
        _c("columns", "Kiểu", "type", "enum", enum=TYPES, dropdown="enum", width=12),
        _c("columns", "Bắt buộc", "required", "bool", enum=YES_NO, dropdown="enum", width=9),
        _c("columns", "Danh mục", "choices", dropdown="lists", width=18),
        _c("columns", "Min", "min", "bound", width=10),
        _c("columns", "Max", "max", "bound", width=10),
        _c("columns", "Định dạng", "pattern", width=16),
        _c("columns", "Hướng dẫn", "help", width=36),
        _c("columns", "In", "print", "bool", enum=YES_NO, dropdown="enum", width=6),
        _c("columns", "Độ rộng", "width", "int", width=8),
        _c("columns", "Độ rộng khi in", "print_width", "number", width=9),
        _c("columns", "Chữ dạng công thức", "formula", "enum", enum=FORMULA, dropdown="enum"),
    ),
)
LISTS = Tab(
    "lists",
    "Danh mục",
    (
        _c("lists", "Danh mục", "list", required=True, width=20),
        _c("lists", "Lựa chọn", "choice", "value", required=True, width=40),
    ),
)
RULES = Tab(
    "rules",
    "Quy tắc",
    (
        _c("rules", "Biểu mẫu", "owner", required=True, dropdown="owners", width=22),
        _c("rules", "Mã quy tắc", "id", width=18),
        _c("rules", "Loại", "kind", dropdown="kinds", width=14),
        _c("rules", "Tắt", "disable", "bool", enum=YES_NO, dropdown="enum", width=6),
        _c("rules", "Cột", "column", width=18),
        _c("rules", "Điều kiện", "where", "condition", width=28),
        _c("rules", "Trong số", "of", "condition", width=24),
        _c("rules", "So sánh", "op", width=8),
        _c("rules", "Với", "right", width=16),
        _c("rules", "Lệch", "offset", width=8),
        _c("rules", "Tỷ lệ / giá trị", "amount", width=10),
        _c("rules", "Theo chỉ tiêu", "quota", "bool", enum=YES_NO, dropdown="enum", width=9),
        _c("rules", "Phạm vi", "scope", "enum", enum=SCOPE, dropdown="enum", width=10),
        _c("rules", "Biểu mẫu đăng ký", "form", dropdown="forms", width=18),
        _c("rules", "Các giá trị", "values", width=24),
        _c("rules", "Từ số dòng", "min_rows", "int", width=8),
        _c("rules", "Nhãn", "label", width=20),
        _c("rules", "Mức độ", "severity", "enum", enum=SEVERITY, dropdown="enum", width=10),
        _c("rules", "Thông báo", "message", width=40),
        _c("rules", "Tham số khác", "extra", "yaml", width=20),
    ),
)
POLICIES = Tab(
    "policies",
    "Chính sách",
    (
        _c("policies", "Chính sách", "name", required=True, width=20),
        _c("policies", "Căn cứ", "base", "enum", enum=BASE, dropdown="enum", width=10),
        _c("policies", "Làm tròn", "rounding", "enum", enum=ROUNDING, dropdown="enum", width=10),
        _c("policies", "Dưới", "below", "int", width=10),
        _c("policies", "Tỷ lệ", "share", "share", required=True, width=10),
        _c("policies", "Tối đa", "max", "int", width=10),
        _c("policies", "Tối thiểu", "min", "int", width=10),
    ),
)
REMINDERS = Tab(
    "reminders",
    "Nhắc hạn",
    (
        _c("reminders", "Mốc", "when", "enum", enum=WHEN, required=True, dropdown="enum"),
        _c("reminders", "Thời gian", "duration", "duration", required=True, width=14),
    ),
)
TABS = (SETTINGS, UNITS, FORMS, DEADLINES, TEMPLATES, COLUMNS, LISTS, RULES, POLICIES, REMINDERS)
"""Every tab, in the order an organiser fills them (and the order they are written)."""

OWN_TEMPLATE_PREFIX = "mẫu:"
"""In «Quy tắc», "mẫu: dang_ky_td" names a rule of the workbook's own template."""

# «Đợt»: one row per setting — label → path in the campaign data, kind, enum.
_S = tuple[str, tuple[str | int, ...], str, Enum | None]
SETTING_ROWS: tuple[_S, ...] = (
    ("Mã đợt", ("campaign", "id"), "text", None),
    ("Tên đợt", ("campaign", "title"), "text", None),
    ("Cơ quan tổ chức", ("campaign", "organizer"), "text", None),
    ("Cơ quan chủ quản", ("campaign", "parent_body"), "text", None),
    ("Địa danh", ("campaign", "place"), "text", None),
    ("Nơi liên hệ", ("campaign", "contact"), "text", None),
    ("Múi giờ", ("campaign", "timezone"), "text", None),
    ("Ngôn ngữ", ("campaign", "language"), "enum", LANGUAGE),
    ("Nơi lưu bảng tính", ("backend", "kind"), "enum", BACKEND),
    ("Thư mục bảng tính", ("backend", "path"), "text", None),
    ("Tệp khoá tài khoản dịch vụ", ("backend", "credentials"), "strlist", None),
    ("Tệp OAuth client", ("backend", "oauth_client"), "text", None),
    ("Thư mục Google Drive", ("backend", "folder_id"), "text", None),
    ("Bảng tổng hợp", ("backend", "consolidated"), "text", None),
    ("Báo e-mail khi chia sẻ", ("backend", "notify_editors"), "bool", YES_NO),
    ("Số lệnh Google Drive mỗi phút", ("backend", "requests_per_minute"), "int", None),
    ("Bảng tính mẫu có tiện ích", ("backend", "template_spreadsheet"), "text", None),
    ("Địa chỉ dịch vụ", ("backend", "service_url"), "text", None),
    ("Lệnh đọc mỗi phút, mỗi tài khoản", ("backend", "quota", "reads_per_minute"), "int", None),
    ("Lệnh ghi mỗi phút, mỗi tài khoản", ("backend", "quota", "writes_per_minute"), "int", None),
    ("Lệnh đọc mỗi phút, cả dự án", ("backend", "quota", "project_reads_per_minute"), "int", None),
    ("Lệnh ghi mỗi phút, cả dự án", ("backend", "quota", "project_writes_per_minute"), "int", None),
)
SIGNER_PARTS = (("thay mặt", "title"), ("chức vụ", "role"), ("họ tên", "name"))
"""«Đợt» rows "Người ký 1: thay mặt", "Người ký 1: chức vụ", "Người ký 1: họ tên" (1–3)."""
_SIGNER_RE = re.compile(r"^người ký\s*(\d)\s*:\s*(.+)$")
LOCAL_ROWS = ("kind", "path")
GOOGLE_ROWS = (
    "kind",
    "credentials",
    "oauth_client",
    "folder_id",
    "consolidated",
    "notify_editors",
    "requests_per_minute",
    "template_spreadsheet",
    "service_url",
)

# «Quy tắc»: which rule keys a column holds (the first a rule kind has), the rest → extra.
RULE_KEYS: dict[str, tuple[str, ...]] = {
    "rules.column": ("column", "columns", "left", "match"),
    "rules.where": ("where",),
    "rules.of": ("of",),
    "rules.op": ("op",),
    "rules.right": ("right",),
    "rules.offset": ("offset",),
    "rules.amount": ("share", "ratio", "value", "at_least"),
    "rules.quota": ("quota",),
    "rules.scope": ("scope",),
    "rules.form": ("form",),
    "rules.values": ("values",),
    "rules.min_rows": ("min_rows",),
    "rules.label": ("label",),
    "rules.severity": ("severity",),
    "rules.message": ("message",),
}
_APPLIES_WORDS = (("level", "cấp"), ("tags", "nhãn"), ("children_of", "thuộc"))


# ============================================================================= cells
def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as the organiser sees it (for messages)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value).strip()


class CellError(ValueError):
    """A cell that cannot be read; its message names what was expected."""


def _text(value: Any) -> str:
    text = cell_text(value)
    return unicodedata.normalize("NFC", text)


def _int(value: Any) -> int:
    try:
        return parse_int(value)
    except Invalid:
        raise CellError(i18n.t("workbook.not_integer", value=cell_text(value))) from None


def _number(value: Any) -> float | int:
    if isinstance(value, str) and value.strip().endswith("%"):
        return _share(value)
    try:
        number = parse_number(value)
    except Invalid:
        raise CellError(i18n.t("workbook.not_number", value=cell_text(value))) from None
    return int(number) if isinstance(value, int) and not isinstance(value, bool) else number


def _share(value: Any) -> float:
    """0.3, "30%", "30 %", "0,3" → 0.3 (a fraction)."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                return round(parse_number(text[:-1].strip()) / 100, 12)
            except Invalid:
                pass
            raise CellError(i18n.t("workbook.not_share", value=cell_text(value)))
    try:
        return parse_number(value)
    except Invalid:
        raise CellError(i18n.t("workbook.not_share", value=cell_text(value))) from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = fold(cell_text(value))
    if text in _YES_WORDS:
        return True
    if text in _NO_WORDS:
        return False
    raise CellError(i18n.t("workbook.not_yes_no", value=cell_text(value)))


def _enum(value: Any, enum: Enum) -> Any:
    try:
        return enum.code(cell_text(value))
    except KeyError:
        allowed = ", ".join(f"«{x}»" for x in enum.labels())
        raise CellError(
            i18n.t("workbook.not_in_list", value=cell_text(value), allowed=allowed)
        ) from None


def _when(value: Any) -> date | datetime | str:
    """A date cell, a date-time cell or text (dd/mm/yyyy [HH:MM], ISO) → date / datetime.

    Text with a time zone offset stays text (the model reads it)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            day = serial_to_date(float(value))
        except Invalid:
            raise CellError(i18n.t("workbook.not_date", value=cell_text(value))) from None
        fraction = float(value) - int(value)
        if fraction:
            return datetime.combine(day, time()) + timedelta(days=fraction)
        return day
    text = _text(value)
    try:
        parsed = parse_when(text)
    except ValueError as exc:
        raise CellError(str(exc)) from None
    if isinstance(parsed, datetime) and parsed.tzinfo is not None:
        return text
    return parsed


_VI_DURATION = (("tuần", "w"), ("ngày", "d"), ("giờ", "h"), ("tiếng", "h"), ("phút", "m"))


def _duration(value: Any) -> timedelta:
    """ "2 ngày", "1 ngày 12 giờ", "2d", "12h", a number (days) → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(days=float(value))
    text = fold(cell_text(value))
    for word, unit in _VI_DURATION:
        text = text.replace(word, unit)
    try:
        return parse_duration(text.replace(",", "."))
    except ValueError:
        raise CellError(i18n.t("workbook.not_duration", value=cell_text(value))) from None


def _split(value: Any) -> list[str]:
    """ "a, b" / "a; b" / one per line → ["a", "b"]; "[…]" is read as YAML."""
    text = _text(value)
    if text.startswith("["):
        parsed = _yaml(text)
        if not isinstance(parsed, list):
            raise CellError(i18n.t("workbook.not_list", value=text))
        return [str(v) for v in parsed]
    sep = "\n" if "\n" in text else ";" if ";" in text else ","
    return [part.strip() for part in text.split(sep) if part.strip()]


def _yaml(text: str) -> Any:
    yaml = YAML(typ="safe", pure=True)
    try:
        return yaml.load(text)
    except YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise CellError(
            i18n.t("workbook.not_yaml", value=text, problem=yaml_problem(str(problem)))
        ) from None


def _condition(value: Any) -> dict[str, Any]:
    """`gioi_tinh: Nữ` / `{dan_toc: {not: Kinh}}` → a condition mapping."""
    text = _text(value)
    parsed = _yaml(text if text.startswith("{") else "{" + text + "}")
    if not isinstance(parsed, dict) or not parsed:
        raise CellError(i18n.t("workbook.not_condition", value=text))
    return _dates_as_text(parsed)


def _dates_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _scalar(value: Any) -> Any:
    """A rule value: numbers stay numbers, `{sum: col}` / `[…]` are YAML, text stays text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = _text(value)
    if text.startswith(("{", "[")):
        return _dates_as_text(_yaml(text))
    try:
        return parse_int(text)
    except Invalid:
        pass
    if re.fullmatch(r"[+-]?\d+([.,]\d+)?", text):
        return parse_number(text)
    return text


def _bound(value: Any) -> float | date:
    if isinstance(value, (date, datetime)):
        return value.date() if isinstance(value, datetime) else value
    if isinstance(value, str) and any(sep in value for sep in "-/"):
        when = _when(value)
        if isinstance(when, datetime):
            return when.date()
        if isinstance(when, date):
            return when
    return _number(value)


# ============================================================================= documents
class WorkbookDoc:
    """Campaign (or template) data read from a workbook, with the place of every value.

    Same interface as `yamlio.YamlDoc` (`data`, `file`, `issue`), so the loader's checks
    report workbook places without knowing where the data came from."""

    def __init__(self, file: str, data: dict[str, Any], places: dict[PathKey, Place]) -> None:
        self.file = Path(file)
        self.shown = file
        self.data = data
        self.places = places

    def place(self, path: PathKey) -> Place | None:
        for end in range(len(path), -1, -1):
            found = self.places.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def issue(self, path: PathKey, message: str) -> ConfigIssue:
        return place_issue(self.shown, self.place(path), message, format_path(path))


def place_issue(file: str, place: Place | None, message: str, path: str = "") -> ConfigIssue:
    """A ConfigIssue naming the tab, row and column (as the organiser sees them)."""
    if place is None:
        return ConfigIssue(file=file, path=path, message=message)
    return ConfigIssue(
        file=file,
        path=path,
        message=message,
        sheet=place.sheet,
        row=place.row,
        column=place.column,
    )


@dataclass
class WorkbookSource:
    """A campaign workbook read into campaign data, its own templates and reading issues."""

    doc: WorkbookDoc
    templates: dict[str, WorkbookDoc] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)


# ============================================================================= reading
class _Reader:
    def __init__(self, grid: Grid, file: str) -> None:
        self.grid = {fold(name): (name, rows) for name, rows in grid.items()}
        self.file = file
        self.issues: list[ConfigIssue] = []
        self.places: dict[PathKey, Place] = {}
        self.data: dict[str, Any] = {}
        self.extra_columns: dict[int, str] = {}
        """Per-form columns («Chỉ tiêu: <form>», «Hạn riêng: <form>») of the last tab read."""
        self.unit_deadlines: list[tuple[str, str, Any, Place]] = []
        """(form, unit, due, place) from «Hạn riêng: <form>» columns of «Đơn vị»."""

    def fail(self, place: Place | None, message: str) -> None:
        self.issues.append(place_issue(self.file, place, message))

    def rows(self, tab: Tab) -> list[tuple[int, dict[str, tuple[Any, Place]], list[Any]]]:
        """Non-blank rows of a tab: (row number, column key → (value, place), raw row)."""
        self.extra_columns = {}
        found = self.grid.get(fold(tab.name))
        if found is None:
            if tab.required:
                self.fail(Place(tab.name), i18n.t("workbook.missing_tab", tab=tab.name))
            return []
        name, rows = found
        if not rows:
            return []
        header = [_text(h) if not blank(h) else "" for h in rows[0]]
        by_header = {fold(c.header): c for c in tab.columns}
        index: dict[int, Col] = {}
        for i, text in enumerate(header):
            if not text:
                continue
            col = by_header.get(fold(text))
            if col is not None:
                if col in index.values():
                    self.fail(
                        Place(name, 1, text), i18n.t("workbook.duplicate_header", header=text)
                    )
                index[i] = col
            elif tab is UNITS and fold(text).startswith(
                (fold(QUOTA_PREFIX), fold(DEADLINE_PREFIX))
            ):
                self.extra_columns[i] = text
            elif not fold(text).startswith("ghi chú"):
                known = ", ".join(f"«{c.header}»" for c in tab.columns)
                if tab is UNITS:
                    known += f", «{QUOTA_PREFIX} <biểu mẫu>», «{DEADLINE_PREFIX} <biểu mẫu>»"
                self.fail(
                    Place(name, 1, text),
                    i18n.t("workbook.unknown_header", header=text, known=known),
                )
        present = set(index.values())
        for col in tab.columns:
            if col.required and col not in present:
                self.fail(Place(name, 1), i18n.t("workbook.missing_header", header=col.header))
        self._header = header
        out = []
        for n, row in enumerate(rows[1:], start=2):
            if all(blank(v) for v in row):
                continue
            cells: dict[str, tuple[Any, Place]] = {}
            for i, col in index.items():
                value = row[i] if i < len(row) else None
                cells[col.key] = (None if blank(value) else value, Place(name, n, col.header))
            for col in tab.columns:
                if col.required and col in present and cells[col.key][0] is None:
                    self.fail(cells[col.key][1], i18n.t("workbook.empty_required"))
            out.append((n, cells, row))
        return out

    def read(self, cells: dict[str, tuple[Any, Place]], key: str, tab: Tab) -> Any:
        """The typed value of a cell (None when blank or unreadable — then an issue)."""
        value, place = cells.get(key, (None, None))
        if value is None:
            return None
        col = tab.col(key)
        try:
            return convert(col.kind, value, col.enum)
        except CellError as exc:
            self.fail(place, str(exc))
            return None


def convert(kind: str, value: Any, enum: Enum | None = None) -> Any:
    """A non-blank cell read as `kind` (raises CellError with the organiser's message)."""
    if kind == "text":
        return _text(value)
    if kind == "int":
        return _int(value)
    if kind == "number":
        return _number(value)
    if kind == "share":
        return _share(value)
    if kind == "bool":
        return _bool(value)
    if kind == "enum":
        assert enum is not None
        return _enum(value, enum)
    if kind == "date":
        return _when(value)
    if kind == "duration":
        return _duration(value)
    if kind == "list":
        return _split(value)
    if kind == "lines":
        return [line.rstrip() for line in _text(value).split("\n")]
    if kind == "condition":
        return _condition(value)
    if kind == "yaml":
        parsed = _yaml(_text(value) if _text(value).startswith("{") else "{" + _text(value) + "}")
        if not isinstance(parsed, dict):
            raise CellError(i18n.t("workbook.not_condition", value=cell_text(value)))
        return _dates_as_text(parsed)
    if kind == "bound":
        return _bound(value)
    if kind == "value":
        return _scalar(value)
    return value


def read_grid(
    grid: Grid, file: str, builtin_rules: Callable[[str], list[dict[str, Any]]] | None = None
) -> WorkbookSource:
    """Campaign data (the shape of campaign.yaml), own templates and the place of each value.

    `builtin_rules(name)`: the rules of a built-in template (dumped), to read override rows."""
    r = _Reader(grid, file)
    _read_settings(r)
    policies = _read_policies(r)
    units = _read_units(r, policies)
    lists = _read_lists(r)
    templates = _read_templates(r, lists)
    forms = _read_forms(r, policies)
    _read_deadlines(r, forms)
    _read_rules(r, forms, templates, builtin_rules or no_builtin_rules)
    _read_reminders(r)
    r.data["units"] = units
    r.data["forms"] = [f for f, _ in forms]
    if policies:
        r.data["quota_policies"] = policies
    r.places[("units",)] = Place(UNITS.name)
    r.places[("forms",)] = Place(FORMS.name)
    docs = {tid: WorkbookDoc(file, tdata, tplaces) for tid, (tdata, tplaces) in templates.items()}
    return WorkbookSource(WorkbookDoc(file, r.data, r.places), docs, r.issues)


def _set(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = data
    for i, part in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(node, list):
            while len(node) <= int(part):
                node.append({})
            node = node[int(part)]
        else:
            node = node.setdefault(part, [] if isinstance(nxt, int) else {})
    if isinstance(node, list):
        while len(node) <= int(path[-1]):
            node.append({})
        node[int(path[-1])] = value
    else:
        node[path[-1]] = value


def _read_settings(r: _Reader) -> None:
    labels = {fold(label): (path, kind, enum) for label, path, kind, enum in SETTING_ROWS}
    r.places[("campaign",)] = Place(SETTINGS.name)
    r.places[("backend",)] = Place(SETTINGS.name)
    seen: dict[str, int] = {}
    signers: dict[int, dict[str, Any]] = {}
    for n, cells, _row in r.rows(SETTINGS):
        label, label_place = cells.get("settings.item", (None, None))
        value, place = cells.get("settings.value", (None, Place(SETTINGS.name, n)))
        if label is None:
            r.fail(Place(SETTINGS.name, n, SETTINGS.columns[0].header), i18n.t("workbook.no_item"))
            continue
        folded = fold(cell_text(label))
        if folded in seen:
            r.fail(
                label_place,
                i18n.t("workbook.duplicate_item", item=cell_text(label), row=seen[folded]),
            )
            continue
        seen[folded] = n
        signer = _SIGNER_RE.match(folded)
        if signer:
            number, part = int(signer.group(1)), signer.group(2)
            keys = {fold(word): key for word, key in SIGNER_PARTS}
            if not 1 <= number <= 3 or part not in keys:
                r.fail(label_place, i18n.t("workbook.unknown_item", item=cell_text(label)))
                continue
            path: tuple[str | int, ...] = ("campaign", "signers", number - 1, keys[part])
            r.places[path] = place
            r.places[path[:3]] = place
            if value is not None:
                signers.setdefault(number, {})[keys[part]] = _text(value)
            continue
        found = labels.get(folded)
        if found is None:
            known = ", ".join(f"«{x[0]}»" for x in SETTING_ROWS)
            r.fail(
                label_place,
                i18n.t("workbook.unknown_item_known", item=cell_text(label), known=known),
            )
            continue
        path, kind, enum = found
        r.places[path] = place
        if value is None:
            continue
        try:
            if kind == "strlist":
                items = _split(value)
                typed: Any = items[0] if len(items) == 1 else items
            else:
                typed = convert(kind, value, enum)
        except CellError as exc:
            r.fail(place, str(exc))
            continue
        _set(r.data, path, typed)
    if signers:
        r.data.setdefault("campaign", {})["signers"] = [
            signers[k] for k in sorted(signers) if signers[k]
        ]
    if "backend" in r.data and "kind" not in r.data["backend"]:
        r.data["backend"]["kind"] = "local"
    r.data.setdefault("campaign", {})


def _read_policies(r: _Reader) -> dict[str, Any]:
    policies: dict[str, Any] = {}
    for n, cells, _row in r.rows(POLICIES):
        name = r.read(cells, "policies.name", POLICIES)
        if name is None:
            continue
        policy = policies.setdefault(name, {"kind": "tiered", "tiers": []})
        index = len(policy["tiers"])
        base = ("quota_policies", name)
        r.places.setdefault(base, Place(POLICIES.name, n))
        r.places[(*base, "tiers")] = Place(POLICIES.name, n)
        for key in ("base", "rounding"):
            value = r.read(cells, f"policies.{key}", POLICIES)
            r.places.setdefault((*base, key), cells[f"policies.{key}"][1])
            if value is None:
                continue
            if key in policy and policy[key] != value:
                r.fail(
                    cells[f"policies.{key}"][1],
                    i18n.t(
                        "workbook.policy_conflict",
                        policy=name,
                        header=cells[f"policies.{key}"][1].column,
                    ),
                )
            policy[key] = value
        tier: dict[str, Any] = {}
        r.places[(*base, "tiers", index)] = Place(POLICIES.name, n)
        for key in ("below", "share", "max", "min"):
            r.places[(*base, "tiers", index, key)] = cells.get(
                f"policies.{key}", (None, Place(POLICIES.name, n))
            )[1]
            value = r.read(cells, f"policies.{key}", POLICIES)
            if value is not None:
                tier[key] = value
        policy["tiers"].append(tier)
    return policies


def _quota(value: Any, policies: Mapping[str, Any]) -> int | dict[str, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _int(value)
    text = _text(value)
    if text[:1].isdigit() or text[:1] in "+-":
        return _int(text)
    if text.casefold().startswith("chính sách"):
        text = text[len("chính sách") :].strip(" :")
    return {"policy": text}


def _read_units(r: _Reader, policies: Mapping[str, Any]) -> list[dict[str, Any]]:
    units: list[dict[str, Any]] = []
    rows = r.rows(UNITS)
    quota_columns = dict(r.extra_columns)
    forms_tab = r.grid.get(fold(FORMS.name))
    form_ids = set()
    if forms_tab and forms_tab[1]:
        head = [fold(cell_text(h)) for h in forms_tab[1][0]]
        if fold(FORMS.columns[0].header) in head:
            at = head.index(fold(FORMS.columns[0].header))
            form_ids = {
                _text(row[at]) for row in forms_tab[1][1:] if at < len(row) and not blank(row[at])
            }
    quota_forms: dict[int, str] = {}
    deadline_forms: dict[int, str] = {}
    for i, header in quota_columns.items():
        form_id = header.split(":", 1)[1].strip()
        if form_id not in form_ids:
            known = ", ".join(sorted(form_ids)) or "—"
            r.fail(
                Place(UNITS.name, 1, header),
                i18n.t("workbook.quota_unknown_form", form=form_id, forms=known),
            )
            continue
        if fold(header).startswith(fold(DEADLINE_PREFIX)):
            deadline_forms[i] = form_id
        else:
            quota_forms[i] = form_id
    for index, (n, cells, row) in enumerate(rows):
        unit: dict[str, Any] = {}
        r.places[("units", index)] = Place(UNITS.name, n)
        for col in UNITS.columns:
            key = col.key.split(".", 1)[1]
            r.places[("units", index, key)] = cells.get(col.key, (None, Place(UNITS.name, n)))[1]
            value = r.read(cells, col.key, UNITS)
            if value is not None:
                unit[key] = value
        quotas: dict[str, Any] = {}
        for i, form_id in quota_forms.items():
            place = Place(UNITS.name, n, quota_columns[i])
            r.places[("units", index, "quotas", form_id)] = place
            value = row[i] if i < len(row) else None
            if blank(value):
                continue
            try:
                quotas[form_id] = _quota(value, policies)
            except CellError as exc:
                r.fail(place, str(exc))
        if quotas:
            unit["quotas"] = quotas
        for i, form_id in deadline_forms.items():
            value = row[i] if i < len(row) else None
            if blank(value) or "id" not in unit:
                continue
            place = Place(UNITS.name, n, quota_columns[i])
            try:
                r.unit_deadlines.append((form_id, unit["id"], _when(value), place))
            except CellError as exc:
                r.fail(place, str(exc))
        units.append(unit)
    return units


def _read_lists(r: _Reader) -> dict[str, list[Any]]:
    lists: dict[str, list[Any]] = {}
    for _n, cells, _row in r.rows(LISTS):
        name = r.read(cells, "lists.list", LISTS)
        choice = cells.get("lists.choice", (None, None))[0]
        if name is None or choice is None:
            continue
        lists.setdefault(name, []).append(_text(choice))
    return lists


def _read_templates(
    r: _Reader, lists: Mapping[str, list[Any]]
) -> dict[str, tuple[dict[str, Any], dict[PathKey, Place]]]:
    templates: dict[str, tuple[dict[str, Any], dict[PathKey, Place]]] = {}
    for n, cells, _row in r.rows(TEMPLATES):
        tid = r.read(cells, "templates.id", TEMPLATES)
        if tid is None:
            continue
        if tid in templates:
            r.fail(cells["templates.id"][1], i18n.t("workbook.duplicate_template", template=tid))
            continue
        data: dict[str, Any] = {}
        places: dict[PathKey, Place] = {(): Place(TEMPLATES.name, n)}
        for col in TEMPLATES.columns:
            key = col.key.split(".", 1)[1]
            places[(key,)] = cells.get(col.key, (None, Place(TEMPLATES.name, n)))[1]
            value = r.read(cells, col.key, TEMPLATES)
            if value is None:
                continue
            if key == "print_sort":
                value = [_sort_item(v) for v in value]
            data[key] = value
        data["columns"] = []
        data["rules"] = []
        places[("columns",)] = Place(TEMPLATES.name, n)
        places[("rules",)] = Place(TEMPLATES.name, n)
        templates[tid] = (data, places)
    for n, cells, _row in r.rows(COLUMNS):
        tid = r.read(cells, "columns.template", COLUMNS)
        if tid is None:
            continue
        if tid not in templates:
            known = ", ".join(templates) or "—"
            r.fail(
                cells["columns.template"][1],
                i18n.t("workbook.no_such_own_template", template=tid, known=known),
            )
            continue
        data, places = templates[tid]
        index = len(data["columns"])
        column: dict[str, Any] = {}
        places[("columns", index)] = Place(COLUMNS.name, n)
        for col in COLUMNS.columns[1:]:
            key = col.key.split(".", 1)[1]
            places[("columns", index, key)] = cells.get(col.key, (None, Place(COLUMNS.name, n)))[1]
            value = r.read(cells, col.key, COLUMNS)
            if value is None:
                continue
            if key == "choices" and value in lists:
                value = list(lists[value])
            column[key] = value
        data["columns"].append(column)
    return templates


_SORT_RE = re.compile(r"^([a-z][a-z0-9_]*)\s*(?:\((?:theo\s+)?(tên|given_name)\))?$")


def _sort_item(text: str) -> str | dict[str, str]:
    m = _SORT_RE.match(text.strip())
    if m is None:
        return text
    return {"key": m.group(1), "by": "given_name"} if m.group(2) else m.group(1)


def _applies(value: Any) -> list[str] | dict[str, Any]:
    """ "H-SINHO, H-TAMDUONG" → ids; "cấp: xa, doanh_nghiep; nhãn: diem" → {level, tags}."""
    text = _text(value)
    words = {fold(word): key for key, word in _APPLIES_WORDS}
    words.update({key: key for key, _w in _APPLIES_WORDS})
    parts = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
    if not any(":" in p for p in parts):
        return _split(text)
    out: dict[str, Any] = {}
    for part in parts:
        word, _sep, rest = part.partition(":")
        key = words.get(fold(word))
        if key is None or not rest.strip():
            raise CellError(i18n.t("workbook.bad_applies", value=part))
        items = [i.strip() for i in rest.split(",") if i.strip()]
        out[key] = items[0] if len(items) == 1 or key == "children_of" else items
    return out


def _read_forms(r: _Reader, policies: Mapping[str, Any]) -> list[tuple[dict[str, Any], int]]:
    forms: list[tuple[dict[str, Any], int]] = []
    for index, (n, cells, _row) in enumerate(r.rows(FORMS)):
        form: dict[str, Any] = {}
        r.places[("forms", index)] = Place(FORMS.name, n)
        for col in FORMS.columns:
            key = col.key.split(".", 1)[1]
            place = cells.get(col.key, (None, Place(FORMS.name, n)))[1]
            r.places[("forms", index, key)] = place
            value = cells.get(col.key, (None, None))[0]
            if value is None:
                continue
            try:
                if key == "applies_to":
                    typed: Any = _applies(value)
                elif key == "quota":
                    typed = _quota(value, policies)
                else:
                    typed = convert(col.kind, value, col.enum)
            except CellError as exc:
                r.fail(place, str(exc))
                continue
            form[key] = typed
        forms.append((form, n))
    return forms


def _read_deadlines(r: _Reader, forms: list[tuple[dict[str, Any], int]]) -> None:
    index = {f.get("id"): i for i, (f, _n) in enumerate(forms)}
    for n, cells, _row in r.rows(DEADLINES):
        form_id = r.read(cells, "deadlines.form", DEADLINES)
        who = r.read(cells, "deadlines.who", DEADLINES)
        if form_id is None or who is None:
            continue
        i = index.get(form_id)
        if i is None:
            r.fail(
                cells["deadlines.form"][1],
                i18n.t(
                    "workbook.no_such_form", form=form_id, forms=", ".join(str(k) for k in index)
                ),
            )
            continue
        form = forms[i][0]
        deadlines = form.setdefault("deadlines", {})
        if who in deadlines:
            r.fail(cells["deadlines.who"][1], i18n.t("workbook.duplicate_deadline", who=who))
            continue
        path: PathKey = ("forms", i, "deadlines", who)
        r.places[path] = Place(DEADLINES.name, n)
        spec: dict[str, Any] = {}
        for key in ("opens", "due", "grace"):
            r.places[(*path, key)] = cells.get(
                f"deadlines.{key}", (None, Place(DEADLINES.name, n))
            )[1]
            value = r.read(cells, f"deadlines.{key}", DEADLINES)
            if value is not None:
                spec[key] = value
        if "due" not in spec:
            continue
        deadlines[who] = spec if set(spec) != {"due"} else spec["due"]
        if set(spec) == {"due"}:
            r.places[path] = cells["deadlines.due"][1]
    for form_id, unit_id, due, place in r.unit_deadlines:
        i = index.get(form_id)
        if i is None:
            continue
        deadlines = forms[i][0].setdefault("deadlines", {})
        if unit_id in deadlines:
            r.fail(place, i18n.t("workbook.duplicate_deadline", who=unit_id))
            continue
        deadlines[unit_id] = due
        r.places[("forms", i, "deadlines", unit_id)] = place


def _annotation_is_list(model: Any, key: str) -> bool:
    info = getattr(model, "model_fields", {}).get(key)
    if info is None:
        return False
    annotation = info.annotation
    if get_origin(annotation) is list:
        return True
    return any(get_origin(a) is list for a in get_args(annotation))


def _rule_key(column_key: str, model: Any, used: set[str]) -> str | None:
    """Which key of a rule kind a «Quy tắc» column holds (None: the kind has none of them)."""
    candidates = RULE_KEYS[column_key]
    if model is None:
        return candidates[0] if len(candidates) == 1 else None
    fields = getattr(model, "model_fields", {})
    for key in candidates:
        if key in fields and key not in used:
            return key
    return None


def _rule_value(key: str, value: Any, model: Any) -> Any:
    if key in ("where", "of"):
        return _condition(value)
    if key in ("severity",):
        return _enum(value, SEVERITY)
    if key == "scope":
        return _enum(value, SCOPE)
    if key == "quota":
        return _bool(value)
    if key in ("label", "message", "id", "op", "form", "column"):
        return _text(value)
    if key in ("share", "ratio"):
        return _share(value)
    if key in ("min_rows", "at_least"):
        return _int(value)
    if _annotation_is_list(model, key) or key in ("columns", "match", "values"):
        items = _split(value) if not isinstance(value, (int, float)) else [value]
        return [_scalar(v) if key == "values" else v for v in items]
    return _scalar(value)


def _template_rule_kind(
    template: str | None,
    rule_id: str,
    own: Mapping[str, tuple[dict[str, Any], Any]],
    builtin_rules: Callable[[str], list[dict[str, Any]]],
) -> str | None:
    """The kind of template rule `rule_id` (for an override row, which has no «Loại»)."""
    if template is None:
        return None
    rules = list(own[template][0].get("rules", [])) if template in own else builtin_rules(template)
    counts: dict[str, int] = {}
    for rule in rules:
        counts[rule.get("kind", "")] = counts.get(rule.get("kind", ""), 0) + 1
    seen: dict[str, int] = {}
    for rule in rules:
        kind = rule.get("kind", "")
        seen[kind] = seen.get(kind, 0) + 1
        rid = rule.get("id") or (kind if counts[kind] == 1 else f"{kind}_{seen[kind]}")
        if rid == rule_id:
            return str(kind)
    return None


def _read_rules(
    r: _Reader,
    forms: list[tuple[dict[str, Any], int]],
    templates: dict[str, tuple[dict[str, Any], dict[PathKey, Place]]],
    builtin_rules: Callable[[str], list[dict[str, Any]]],
) -> None:
    index = {f.get("id"): i for i, (f, _n) in enumerate(forms)}
    prefix = fold(OWN_TEMPLATE_PREFIX)
    for n, cells, _row in r.rows(RULES):
        owner = r.read(cells, "rules.owner", RULES)
        if owner is None:
            continue
        rid = r.read(cells, "rules.id", RULES)
        kind = r.read(cells, "rules.kind", RULES)
        disable = bool(r.read(cells, "rules.disable", RULES))
        own_template: str | None = None
        form_index: int | None = None
        if fold(owner).startswith(prefix):
            own_template = owner[len(OWN_TEMPLATE_PREFIX) :].strip()
            if own_template not in templates:
                r.fail(
                    cells["rules.owner"][1],
                    i18n.t(
                        "workbook.no_such_own_template",
                        template=own_template,
                        known=", ".join(templates) or "—",
                    ),
                )
                continue
        else:
            form_index = index.get(owner)
            if form_index is None:
                known = ", ".join(str(k) for k in index)
                if templates:
                    known += ", " + ", ".join(f"{OWN_TEMPLATE_PREFIX} {t}" for t in templates)
                r.fail(
                    cells["rules.owner"][1],
                    i18n.t("workbook.no_such_owner", owner=owner, known=known),
                )
                continue
        if form_index is not None:
            form = forms[form_index][0]
            base: PathKey = ("forms", form_index)
        else:
            assert own_template is not None
            form = templates[own_template][0]
            base = ()
        places = r.places if form_index is not None else templates[own_template or ""][1]
        model = SPECS.get(kind) if kind else None
        if kind is None:
            if rid is None:
                r.fail(cells["rules.kind"][1], i18n.t("workbook.rule_needs_kind"))
                continue
            if own_template is not None:
                r.fail(cells["rules.kind"][1], i18n.t("workbook.rule_needs_kind"))
                continue
            found = _template_rule_kind(
                form.get("template"),
                rid,
                {k: (v[0], None) for k, v in templates.items()},
                builtin_rules,
            )
            model = SPECS.get(found) if found else None
        rule: dict[str, Any] = {}
        if kind is not None:
            rule["kind"] = kind
        if rid is not None:
            rule["id"] = rid
        used: set[str] = set()
        spots: dict[str, Place] = {}
        for col in RULES.columns:
            if col.key not in RULE_KEYS:
                continue
            value, place = cells.get(col.key, (None, None))
            if value is None:
                continue
            key = _rule_key(col.key, model, used)
            if key is None:
                key = RULE_KEYS[col.key][0]
            used.add(key)
            if place is not None:
                spots[key] = place
            try:
                rule[key] = _rule_value(key, value, model)
            except CellError as exc:
                r.fail(place, str(exc))
        extra = r.read(cells, "rules.extra", RULES)
        if extra:
            for key, value in extra.items():
                rule.setdefault(key, value)
                spots.setdefault(key, cells["rules.extra"][1])
        if disable:
            if own_template is not None:
                r.fail(cells["rules.disable"][1], i18n.t("workbook.template_rule_disable"))
                continue
            if rid is None:
                r.fail(cells["rules.id"][1], i18n.t("workbook.disable_needs_id"))
                continue
            listed = form.setdefault("disable", [])
            places[(*base, "disable", len(listed))] = cells["rules.id"][1]
            listed.append(rid)
            if kind is None and set(rule) == {"id"}:
                continue
        rules = form.setdefault("rules", [])
        j = len(rules)
        places[(*base, "rules", j)] = Place(RULES.name, n)
        places[(*base, "rules", j, "kind")] = cells.get("rules.kind", (None, Place(RULES.name, n)))[
            1
        ]
        places[(*base, "rules", j, "id")] = cells.get("rules.id", (None, Place(RULES.name, n)))[1]
        for key, place in spots.items():
            places[(*base, "rules", j, key)] = place
        rules.append(rule)


def _read_reminders(r: _Reader) -> None:
    reminders: dict[str, list[timedelta]] = {}
    r.places[("reminders",)] = Place(REMINDERS.name)
    for _n, cells, _row in r.rows(REMINDERS):
        when = r.read(cells, "reminders.when", REMINDERS)
        duration = r.read(cells, "reminders.duration", REMINDERS)
        if when is None or duration is None:
            continue
        listed = reminders.setdefault(when, [])
        r.places[("reminders", when, len(listed))] = cells["reminders.duration"][1]
        listed.append(duration)
    if reminders:
        r.data["reminders"] = reminders


def no_builtin_rules(_template: str) -> list[dict[str, Any]]:
    """For `read_grid` without access to the built-in templates."""
    return []


def read_xlsx_grid(path: Path) -> Grid:
    """Every tab of a `.xlsx` file as values (calamine: dates as date/datetime, numbers)."""
    try:
        book = CalamineWorkbook.from_path(str(path))
        return {
            name: [
                list(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            ]
            for name in book.sheet_names
        }
    except FileNotFoundError:
        raise ConfigError(
            [
                ConfigIssue(
                    str(path), "", i18n.t("config.not_found", what=i18n.t("config.what.campaign"))
                )
            ]
        ) from None
    except (CalamineError, OSError, ValueError) as exc:
        raise ConfigError(
            [ConfigIssue(str(path), "", i18n.t("workbook.unreadable", error=type(exc).__name__))]
        ) from None


# ============================================================================= writing
@dataclass
class GridOut:
    """What `to_grid` produces for the writer: rows per tab (headers first), the place of
    every campaign path (for notes), number formats by (tab, row, column index)."""

    tabs: dict[str, list[list[Any]]]
    places: dict[PathKey, Place] = field(default_factory=dict)
    formats: dict[tuple[str, int, int], str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    """Values of the dropdowns that are not ranges: templates, lists, kinds, owners…"""


def duration_text(value: timedelta) -> str:
    """timedelta → "1 ngày 12 giờ" (read back by the workbook and by `parse_duration`)."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} ngày")
    if hours:
        parts.append(f"{hours} giờ")
    if minutes:
        parts.append(f"{minutes} phút")
    return " ".join(parts)


def when_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.isoformat()
        if value.time() == time(0, 0):
            return f"{value:%d/%m/%Y %H:%M}"
        return value
    return value


def _flow(value: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = True
    yaml.width = 4096
    buffer = io.StringIO()
    yaml.dump(_plain_data(value), buffer)
    text = buffer.getvalue().strip()
    if text.endswith("..."):
        text = text[:-3].strip()
    return text


def _plain_data(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_data(v) for v in value]
    return value


def condition_text(condition: Mapping[str, Any]) -> str:
    """{gioi_tinh: Nữ} → "gioi_tinh: Nữ" (what a «Điều kiện» cell holds)."""
    text = _flow(condition)
    return text[1:-1].strip() if text.startswith("{") and text.endswith("}") else text


def _join(items: list[Any]) -> str:
    if all(
        isinstance(i, str)
        and i
        and "," not in i
        and ";" not in i
        and "\n" not in i
        and not i.startswith("[")
        for i in items
    ):
        return ", ".join(items)
    return _flow(list(items))


def _rule_cell(key: str, value: Any) -> Any:
    if key in ("where", "of"):
        return condition_text(value)
    if key == "severity":
        return SEVERITY.label(value)
    if key == "scope":
        return SCOPE.label(value)
    if key == "quota":
        return YES_NO.label(bool(value))
    if key in ("columns", "match", "values"):
        return _join(list(value))
    if isinstance(value, (dict, list)):
        return _flow(value)
    if isinstance(value, str) and key not in ("label", "message") and _scalar(value) != value:
        return _flow(value)  # text that would read back as a number: keep it quoted
    return value


def to_grid(
    data: Mapping[str, Any],
    templates: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    reserved_lists: tuple[str, ...] = (),
    builtin_templates: tuple[str, ...] = (),
    rule_kind: Callable[[str, str], str | None] | None = None,
) -> GridOut:
    """Campaign data (a dumped `CampaignSpec`, python mode, unset keys left out) and the
    workbook's own templates (dumped `TemplateSpec`s) → the rows of every tab."""
    templates = templates or {}
    out = GridOut({tab.name: [[c.header for c in tab.columns]] for tab in TABS})
    forms = list(data.get("forms", []))
    form_ids = [str(f["id"]) for f in forms]
    _grid_settings(out, data)
    unit_ids = {str(u["id"]) for u in data.get("units", [])}
    _grid_units(out, data, form_ids, _unit_dues(forms, unit_ids))
    _grid_forms(out, forms, unit_ids)
    list_names = _grid_templates(out, templates, set(reserved_lists))
    _grid_rules(out, forms, templates, rule_kind)
    _grid_policies(out, data.get("quota_policies") or {})
    _grid_reminders(out, data.get("reminders"))
    levels = sorted({str(u["level"]) for u in data.get("units", []) if u.get("level")})
    out.lists = {
        "templates": sorted(set(builtin_templates) | set(templates)),
        "own_templates": sorted(templates),
        "lists": sorted(set(list_names) | set(reserved_lists)),
        "kinds": sorted(SPECS),
        "owners": form_ids + [f"{OWN_TEMPLATE_PREFIX} {t}" for t in templates],
        "units_levels": [str(u["id"]) for u in data.get("units", [])] + levels,
    }
    return out


def _grid_settings(out: GridOut, data: Mapping[str, Any]) -> None:
    rows = out.tabs[SETTINGS.name]
    info = dict(data.get("campaign") or {})
    backend = dict(data.get("backend") or {"kind": "local"})
    out.places[("campaign",)] = Place(SETTINGS.name, 1, SETTINGS.columns[0].header)

    def add(label: str, path: PathKey, value: Any) -> None:
        rows.append([label, value])
        out.places[path] = Place(SETTINGS.name, len(rows), SETTINGS.columns[0].header)

    google = backend.get("kind") == "google"
    wanted = set(LOCAL_ROWS if not google else GOOGLE_ROWS) | set(backend)
    quota = backend.get("quota") or {}
    for label, path, kind, enum in SETTING_ROWS:
        if path[0] == "campaign":
            value = info.get(str(path[1]))
        elif len(path) == 2:
            if path[1] not in wanted:
                continue
            value = backend.get(str(path[1]))
        else:
            if str(path[2]) not in quota:
                continue
            value = quota.get(str(path[2]))
        if value is not None:
            if enum is not None:
                value = enum.label(value)
            elif kind == "strlist" and isinstance(value, list):
                value = ", ".join(value)
        add(label, path, value)
        if path == ("campaign", "language"):
            signers = list(info.get("signers") or [])
            for number in range(1, max(1, len(signers)) + 1):
                signer = signers[number - 1] if number <= len(signers) else {}
                for word, key in SIGNER_PARTS:
                    add(
                        f"Người ký {number}: {word}",
                        ("campaign", "signers", number - 1, key),
                        signer.get(key),
                    )
    out.places[("backend",)] = out.places.get(("backend", "kind"), Place(SETTINGS.name))


def _unit_dues(forms: list[Mapping[str, Any]], unit_ids: set[str]) -> dict[str, dict[str, Any]]:
    """form → unit → due for overrides that are a unit's own due date only (they go in the
    «Hạn riêng: <form>» columns of «Đơn vị»)."""
    out: dict[str, dict[str, Any]] = {}
    for form in forms:
        for who, deadline in (form.get("deadlines") or {}).items():
            if who not in unit_ids:
                continue
            if isinstance(deadline, Mapping):
                if set(deadline) - {"due"} and any(
                    deadline.get(k) is not None for k in ("opens", "grace")
                ):
                    continue
                deadline = deadline["due"]
            out.setdefault(str(form["id"]), {})[str(who)] = deadline
    return out


def _grid_units(
    out: GridOut,
    data: Mapping[str, Any],
    form_ids: list[str],
    dues: Mapping[str, Mapping[str, Any]],
) -> None:
    rows = out.tabs[UNITS.name]
    units = list(data.get("units", []))
    quota_forms = list(form_ids)
    for unit in units:
        for form_id in unit.get("quotas") or {}:
            if form_id not in quota_forms:
                quota_forms.append(str(form_id))
    has_sheet = any(u.get("spreadsheet") for u in units) or (
        (data.get("backend") or {}).get("kind") == "google"
    )
    columns = [c for c in UNITS.columns if has_sheet or c.key != "units.spreadsheet"]
    due_forms = [f for f in form_ids if f in dues]
    rows[0] = (
        [c.header for c in columns]
        + [f"{QUOTA_PREFIX} {f}" for f in quota_forms]
        + [f"{DEADLINE_PREFIX} {f}" for f in due_forms]
    )
    out.places[("units",)] = Place(UNITS.name, 1, columns[0].header)
    for i, unit in enumerate(units):
        row: list[Any] = []
        n = len(rows) + 1
        out.places[("units", i)] = Place(UNITS.name, n, columns[0].header)
        for col in columns:
            key = col.key.split(".", 1)[1]
            value = unit.get(key)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value) or None
            row.append(value)
            out.places[("units", i, key)] = Place(UNITS.name, n, col.header)
        quotas = unit.get("quotas") or {}
        for form_id in quota_forms:
            value = quotas.get(form_id)
            if isinstance(value, Mapping):
                value = value.get("policy")
            row.append(value)
            out.places[("units", i, "quotas", form_id)] = Place(
                UNITS.name, n, f"{QUOTA_PREFIX} {form_id}"
            )
        for form_id in due_forms:
            row.append(when_cell(dues[form_id].get(str(unit["id"]))))
        rows.append(row)


def applies_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    parts = []
    for key, word in _APPLIES_WORDS:
        item = value.get(key)
        if item is None:
            continue
        items = item if isinstance(item, list) else [item]
        parts.append(f"{word}: {', '.join(str(i) for i in items)}")
    return "; ".join(parts)


def _grid_forms(out: GridOut, forms: list[Mapping[str, Any]], unit_ids: set[str]) -> None:
    rows = out.tabs[FORMS.name]
    deadline_rows = out.tabs[DEADLINES.name]
    out.places[("forms",)] = Place(FORMS.name, 1, FORMS.columns[0].header)
    for i, form in enumerate(forms):
        n = len(rows) + 1
        out.places[("forms", i)] = Place(FORMS.name, n, FORMS.columns[0].header)
        row: list[Any] = []
        for col in FORMS.columns:
            key = col.key.split(".", 1)[1]
            value = form.get(key)
            if value is None:
                pass
            elif key in ("opens", "due"):
                value = when_cell(value)
            elif key == "grace":
                value = duration_text(value) or None
            elif key == "lock":
                value = YES_NO.label(bool(value))
            elif key == "submission":
                value = SUBMISSION.label(value)
            elif key == "applies_to":
                value = applies_text(value)
            elif key == "quota" and isinstance(value, Mapping):
                value = value.get("policy")
            row.append(value)
            out.places[("forms", i, key)] = Place(FORMS.name, n, col.header)
        rows.append(row)
        in_units = _unit_dues([form], unit_ids).get(str(form["id"]), {})
        for who, deadline in (form.get("deadlines") or {}).items():
            if who in in_units:
                continue
            m = len(deadline_rows) + 1
            spec = deadline if isinstance(deadline, Mapping) else {"due": deadline}
            grace = spec.get("grace")
            deadline_rows.append(
                [
                    form["id"],
                    who,
                    when_cell(spec.get("opens")),
                    when_cell(spec.get("due")),
                    duration_text(grace) if grace else ("0" if grace is not None else None),
                ]
            )
            out.places[("forms", i, "deadlines", who)] = Place(
                DEADLINES.name, m, DEADLINES.columns[1].header
            )


def _grid_templates(
    out: GridOut, templates: Mapping[str, Mapping[str, Any]], reserved: set[str]
) -> list[str]:
    rows = out.tabs[TEMPLATES.name]
    col_rows = out.tabs[COLUMNS.name]
    list_rows = out.tabs[LISTS.name]
    named: dict[tuple[str, ...], str] = {}
    for tid, template in templates.items():
        row: list[Any] = []
        for col in TEMPLATES.columns:
            key = col.key.split(".", 1)[1]
            value = template.get(key)
            if key == "id":
                value = tid
            elif key in ("title_block", "instructions"):
                value = "\n".join(value) if value else None
            elif key == "print_sort":
                items = [
                    v
                    if isinstance(v, str)
                    else (f"{v['key']} (theo tên)" if v.get("by") == "given_name" else v["key"])
                    for v in (value or [])
                ]
                value = ", ".join(items) or None
            row.append(value)
        rows.append(row)
        for column in template.get("columns", []):
            row = []
            for col in COLUMNS.columns:
                key = col.key.split(".", 1)[1]
                value = column.get(key)
                if key == "template":
                    value = tid
                elif key == "type":
                    value = TYPES.label(value or "text")
                elif key in ("required", "print"):
                    value = YES_NO.label(bool(column.get(key, key == "print")))
                elif key == "formula" and value is not None:
                    value = FORMULA.label(value)
                elif key == "choices" and isinstance(value, list):
                    choice_items = tuple(str(v) for v in value)
                    name = named.get(choice_items)
                    if name is None:
                        name = str(column["key"])
                        k = 2
                        while name in reserved or name in named.values():
                            name = f"{column['key']}_{k}"
                            k += 1
                        named[choice_items] = name
                        for item in choice_items:
                            list_rows.append([name, item])
                    value = name
                row.append(value)
            col_rows.append(row)
    return list(named.values())


def _grid_rules(
    out: GridOut,
    forms: list[Mapping[str, Any]],
    templates: Mapping[str, Mapping[str, Any]],
    rule_kind: Callable[[str, str], str | None] | None,
) -> None:
    rows = out.tabs[RULES.name]
    headers = [c.header for c in RULES.columns]
    col_at = {c.key: i for i, c in enumerate(RULES.columns)}

    def add(
        owner: str, rule: Mapping[str, Any], path: PathKey | None, disable: bool = False
    ) -> None:
        row: list[Any] = [None] * len(RULES.columns)
        n = len(rows) + 1
        row[0] = owner
        row[col_at["rules.id"]] = rule.get("id")
        row[col_at["rules.kind"]] = rule.get("kind")
        if disable:
            row[col_at["rules.disable"]] = YES_NO.label(True)
        used: set[str] = set()
        extra: dict[str, Any] = {}
        for key, value in rule.items():
            if key in ("id", "kind"):
                continue
            column = next(
                (c for c, keys in RULE_KEYS.items() if key in keys and c not in used), None
            )
            if column is None:
                extra[key] = value
                continue
            used.add(column)
            at = col_at[column]
            row[at] = _rule_cell(key, value)
            if key in ("share", "ratio") and isinstance(value, (int, float)):
                out.formats[(RULES.name, n, at)] = "0%"
        if extra:
            row[col_at["rules.extra"]] = condition_text(extra)
        rows.append(row)
        if path is not None:
            out.places[path] = Place(RULES.name, n, headers[col_at["rules.kind"]])

    for i, form in enumerate(forms):
        disabled = list(form.get("disable") or [])
        overridden = {
            r.get("id") for r in form.get("rules") or [] if "kind" not in r and r.get("id")
        }
        for rid in disabled:
            if rid not in overridden:
                add(str(form["id"]), {"id": rid}, None, disable=True)
        for j, rule in enumerate(form.get("rules") or []):
            add(
                str(form["id"]),
                rule,
                ("forms", i, "rules", j),
                disable="kind" not in rule and rule.get("id") in disabled,
            )
    for tid, template in templates.items():
        for rule in template.get("rules") or []:
            add(f"{OWN_TEMPLATE_PREFIX} {tid}", rule, None)


def _grid_policies(out: GridOut, policies: Mapping[str, Any]) -> None:
    rows = out.tabs[POLICIES.name]
    out.places[("quota_policies",)] = Place(POLICIES.name, 1, POLICIES.columns[0].header)
    share_at = [c.key for c in POLICIES.columns].index("policies.share")
    for name, policy in policies.items():
        out.places[("quota_policies", name)] = Place(POLICIES.name, len(rows) + 1, "Chính sách")
        for j, tier in enumerate(policy.get("tiers") or []):
            first = j == 0
            rows.append(
                [
                    name,
                    BASE.label(policy["base"]) if first and "base" in policy else None,
                    ROUNDING.label(policy["rounding"]) if first and "rounding" in policy else None,
                    tier.get("below"),
                    tier.get("share"),
                    tier.get("max"),
                    tier.get("min"),
                ]
            )
            out.formats[(POLICIES.name, len(rows), share_at)] = "0%"


def _grid_reminders(out: GridOut, reminders: Mapping[str, Any] | None) -> None:
    rows = out.tabs[REMINDERS.name]
    out.places[("reminders",)] = Place(REMINDERS.name, 1, REMINDERS.columns[0].header)
    for when in ("before", "after"):
        for value in (reminders or {}).get(when) or []:
            rows.append([WHEN.label(when), duration_text(value) or "0"])
