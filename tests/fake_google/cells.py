"""Cell values: input parsing (RAW / USER_ENTERED), formula evaluation, rendering."""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
from typing import Any

_EPOCH = dt.date(1899, 12, 30)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _serial(day: dt.date) -> int:
    return (day - _EPOCH).days


def parse_input(value: Any, option: str, locale: str = "en_US") -> dict[str, Any]:
    """Turn one input value into CellData fields (userEnteredValue, maybe a number format)."""
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    text = str(value)
    if option != "USER_ENTERED":
        return {"userEnteredValue": {"stringValue": text}}
    if text.startswith("'"):
        return {"userEnteredValue": {"stringValue": text[1:]}}
    if text.startswith("=") and len(text) > 1:
        return {"userEnteredValue": {"formulaValue": text}}
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return {"userEnteredValue": {"boolValue": stripped.upper() == "TRUE"}}
    if _NUMBER.match(stripped.replace(",", "")) and stripped:
        num = float(stripped.replace(",", ""))
        return {"userEnteredValue": {"numberValue": int(num) if num.is_integer() else num}}
    date = _parse_date(stripped, locale)
    if date is not None:
        day, pattern = date
        return {
            "userEnteredValue": {"numberValue": _serial(day)},
            "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": pattern}},
        }
    return {"userEnteredValue": {"stringValue": text}}


def _parse_date(text: str, locale: str) -> tuple[dt.date, str] | None:
    try:
        m = _ISO_DATE.match(text)
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3])), "yyyy-mm-dd"
        m = _SLASH_DATE.match(text)
        if m:
            if locale.startswith("en_US"):
                return dt.date(int(m[3]), int(m[1]), int(m[2])), "m/d/yyyy"
            return dt.date(int(m[3]), int(m[2]), int(m[1])), "dd/mm/yyyy"
    except ValueError:
        return None
    return None


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left), _eval(node.right))  # type: ignore[operator]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.operand))  # type: ignore[operator]
    raise ValueError("unsupported")


def effective_value(cell: dict[str, Any]) -> dict[str, Any] | None:
    """The computed value: arithmetic formulas are evaluated, others give #N/A."""
    uev = cell.get("userEnteredValue")
    if not uev:
        return None
    if "formulaValue" in uev:
        try:
            num = _eval(ast.parse(uev["formulaValue"][1:], mode="eval").body)
        except (ValueError, SyntaxError, ZeroDivisionError, TypeError):
            return {"errorValue": {"type": "N_A", "message": "Formula not supported by the fake."}}
        return {"numberValue": int(num) if float(num).is_integer() else num}
    return dict(uev)


def _format_number(num: float, fmt: dict[str, Any] | None, date_string: bool) -> str:
    pattern = (fmt or {}).get("pattern")
    if fmt and fmt.get("type") in ("DATE", "DATE_TIME") and pattern:
        day = _EPOCH + dt.timedelta(days=int(num))
        return (
            pattern.replace("yyyy", f"{day.year:04d}")
            .replace("dd", f"{day.day:02d}")
            .replace("mm", f"{day.month:02d}")
            .replace("m", str(day.month))
            .replace("d", str(day.day))
        )
    if float(num).is_integer():
        return str(int(num))
    return f"{num:.10g}"


def formatted_value(cell: dict[str, Any]) -> str | None:
    """What the user sees in the cell (FORMATTED_VALUE)."""
    ev = effective_value(cell)
    if ev is None:
        return None
    fmt = (cell.get("userEnteredFormat") or {}).get("numberFormat")
    if "numberValue" in ev:
        return _format_number(ev["numberValue"], fmt, True)
    if "boolValue" in ev:
        return "TRUE" if ev["boolValue"] else "FALSE"
    if "errorValue" in ev:
        return "#N/A"
    return str(ev.get("stringValue", ""))


def render(cell: dict[str, Any] | None, option: str, date_option: str) -> Any:
    """One cell as values.get renders it; "" for empty cells."""
    if not cell or not cell.get("userEnteredValue"):
        return ""
    if option == "FORMATTED_VALUE":
        return formatted_value(cell)
    uev = cell["userEnteredValue"]
    if option == "FORMULA" and "formulaValue" in uev:
        return uev["formulaValue"]
    ev = effective_value(cell) or {}
    fmt = (cell.get("userEnteredFormat") or {}).get("numberFormat")
    if "numberValue" in ev:
        is_date = bool(fmt and fmt.get("type") in ("DATE", "DATE_TIME"))
        if is_date and date_option == "FORMATTED_STRING":
            return formatted_value(cell)
        return ev["numberValue"]
    if "boolValue" in ev:
        return ev["boolValue"]
    if "errorValue" in ev:
        return "#N/A"
    return ev.get("stringValue", "")


def grid_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """CellData as spreadsheets.get returns it with grid data."""
    out: dict[str, Any] = {}
    if cell.get("userEnteredValue"):
        out["userEnteredValue"] = cell["userEnteredValue"]
        out["effectiveValue"] = effective_value(cell)
        out["formattedValue"] = formatted_value(cell)
    if cell.get("userEnteredFormat"):
        out["userEnteredFormat"] = cell["userEnteredFormat"]
    for key in ("note", "dataValidation", "hyperlink", "textFormatRuns"):
        if cell.get(key):
            out[key] = cell[key]
    return out
