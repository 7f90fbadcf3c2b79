"""In-memory state of the fake: spreadsheets, sheets, cells, Drive files; A1 ranges."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import random
import re
import string
from dataclasses import dataclass, field
from typing import Any

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
SERVICE_ACCOUNT = "fake-sa@thidua-fake.iam.gserviceaccount.com"

# Copied from a real spreadsheets.get answer (recordings/ClientTest.test_create.json).
_WHITE = {"red": 1, "green": 1, "blue": 1}
DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": dict(_WHITE),
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": dict(_WHITE)},
}
_THEME = [
    ("TEXT", {}),
    ("BACKGROUND", dict(_WHITE)),
    ("ACCENT1", {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}),
    ("ACCENT2", {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}),
    ("ACCENT3", {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}),
    ("ACCENT4", {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}),
    ("ACCENT5", {"red": 1, "green": 0.42745098, "blue": 0.003921569}),
    ("ACCENT6", {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}),
    ("LINK", {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}),
]
SPREADSHEET_THEME = {
    "primaryFontFamily": "Arial",
    "themeColors": [{"colorType": t, "color": {"rgbColor": c}} for t, c in _THEME],
}


def now_rfc3339() -> str:
    """Current UTC time as Drive prints it (milliseconds, Z)."""
    t = dt.datetime.now(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


_ALPHABET = string.ascii_letters + string.digits + "-_"


def new_file_id(rng: random.Random) -> str:
    """A Drive-looking id: 44 characters starting with '1'."""
    return "1" + "".join(rng.choice(_ALPHABET) for _ in range(43))


@dataclass
class Sheet:
    """One tab: properties plus sparse cells keyed by (row, col), 0-based."""

    properties: dict[str, Any]
    cells: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    row_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    col_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # merges, basicFilter, ...

    @property
    def id(self) -> int:
        return int(self.properties.get("sheetId", 0))

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def rows(self) -> int:
        return int(self.properties["gridProperties"]["rowCount"])

    @property
    def cols(self) -> int:
        return int(self.properties["gridProperties"]["columnCount"])

    def cell(self, r: int, c: int) -> dict[str, Any]:
        return self.cells.setdefault((r, c), {})

    def prune(self) -> None:
        """Forget cells that hold nothing."""
        for key in [k for k, v in self.cells.items() if not v]:
            del self.cells[key]


@dataclass
class Spreadsheet:
    """A spreadsheet: properties, tabs and named ranges."""

    id: str
    properties: dict[str, Any]
    sheets: list[Sheet]
    named_ranges: list[dict[str, Any]] = field(default_factory=list)
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    bound_script: str | None = None
    """Source of the Apps Script bound to the spreadsheet (copies carry it)."""

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.id == int(sheet_id)), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def reindex(self) -> None:
        for i, s in enumerate(self.sheets):
            s.properties["index"] = i


def new_sheet(sheet_id: int, title: str, index: int, props: dict[str, Any] | None = None) -> Sheet:
    """A blank grid sheet (1000×26 unless told otherwise)."""
    p = copy.deepcopy(props or {})
    grid = {"rowCount": 1000, "columnCount": 26}
    grid.update(p.pop("gridProperties", None) or {})
    p = {k: v for k, v in p.items() if v is not None}
    out = {"sheetId": sheet_id, "title": title, "index": index, "sheetType": "GRID"}
    out.update(p)
    out["sheetId"], out["title"], out["gridProperties"] = sheet_id, title, grid
    return Sheet(properties=out)


class Ids:
    """Deterministic id sources for one fake instance."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self._counter = itertools.count(1)

    def file_id(self) -> str:
        return new_file_id(self.rng)

    def sheet_id(self) -> int:
        return self.rng.randrange(1, 2**31 - 1)

    def small(self) -> str:
        return str(next(self._counter))


# ---------------------------------------------------------------- A1 notation

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


class RangeError(ValueError):
    """The A1 range cannot be parsed."""


def col_to_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def index_to_col(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def quote_title(title: str) -> str:
    """Quote a sheet title the way Google prints ranges."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
        r"[A-Za-z]{1,3}\d+", title
    ):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass
class GridRange:
    """A resolved range: sheet plus 0-based half-open row/column bounds."""

    sheet: Sheet
    r0: int
    c0: int
    r1: int
    c1: int

    def a1(self) -> str:
        start = f"{index_to_col(self.c0)}{self.r0 + 1}"
        end = f"{index_to_col(self.c1 - 1)}{self.r1}"
        cells = start if (self.r1 - self.r0, self.c1 - self.c0) == (1, 1) else f"{start}:{end}"
        return f"{quote_title(self.sheet.title)}!{cells}"


def split_a1(text: str) -> tuple[str | None, str | None]:
    """Split "'My sheet'!A1:B2" into (title, cells)."""
    text = text.strip()
    if text.startswith("'"):
        end = 1
        while True:
            end = text.find("'", end)
            if end < 0:
                raise RangeError(text)
            if text[end + 1 : end + 2] == "'":
                end += 2
                continue
            break
        title = text[1:end].replace("''", "'")
        rest = text[end + 1 :]
        if not rest:
            return title, None
        if not rest.startswith("!"):
            raise RangeError(text)
        return title, rest[1:]
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells
    return None, text


def parse_range(book: Spreadsheet, text: str) -> GridRange:
    """Resolve an A1 string (or a bare sheet title / named range) against a spreadsheet."""
    title, cells = split_a1(text)
    if title is None and cells is not None:
        sheet = book.sheet_by_title(cells)
        if sheet is not None:
            return GridRange(sheet, 0, 0, sheet.rows, sheet.cols)
        named = next((n for n in book.named_ranges if n["name"] == cells), None)
        if named is not None:
            return grid_range_from_json(book, named["range"])
        sheet = book.sheets[0]
    else:
        sheet = book.sheet_by_title(title or "")
        if sheet is None:
            raise RangeError(text)
    if not cells:
        return GridRange(sheet, 0, 0, sheet.rows, sheet.cols)
    parts = cells.split(":")
    if len(parts) > 2:
        raise RangeError(text)
    a = _CELL.match(parts[0])
    b = _CELL.match(parts[-1])
    if not a or not b or not (a.group(1) or a.group(2)):
        raise RangeError(text)
    c0 = col_to_index(a.group(1)) if a.group(1) else 0
    r0 = int(a.group(2)) - 1 if a.group(2) else 0
    if len(parts) == 1:
        if not (a.group(1) and a.group(2)):
            raise RangeError(text)
        return GridRange(sheet, r0, c0, r0 + 1, c0 + 1)
    c1 = col_to_index(b.group(1)) + 1 if b.group(1) else sheet.cols
    r1 = int(b.group(2)) if b.group(2) else sheet.rows
    if not a.group(1) and b.group(1):
        c0 = 0
    r0, r1 = min(r0, r1 - 1), max(r0 + 1, r1)
    c0, c1 = min(c0, c1 - 1), max(c0 + 1, c1)
    return GridRange(
        sheet, r0, c0, min(r1, max(sheet.rows, r0 + 1)), min(c1, max(sheet.cols, c0 + 1))
    )


def grid_range_from_json(book: Spreadsheet, gr: dict[str, Any]) -> GridRange:
    """Resolve a GridRange JSON object (missing bounds = unbounded)."""
    sheet = book.sheet_by_id(int(gr.get("sheetId") or 0))
    if sheet is None:
        raise RangeError(f"No grid with id: {gr.get('sheetId')}")
    return GridRange(
        sheet,
        int(gr.get("startRowIndex") or 0),
        int(gr.get("startColumnIndex") or 0),
        int(gr["endRowIndex"]) if gr.get("endRowIndex") is not None else sheet.rows,
        int(gr["endColumnIndex"]) if gr.get("endColumnIndex") is not None else sheet.cols,
    )


def grid_range_json(gr: dict[str, Any]) -> dict[str, Any]:
    """Echo a GridRange the way Google does (proto3: zero sheetId omitted)."""
    keys = ("sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")
    out = {k: int(gr[k]) for k in keys if gr.get(k) is not None}
    if out.get("sheetId") == 0:
        del out["sheetId"]
    order = ("sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex")
    return {k: out[k] for k in order if k in out}
