"""User-facing texts of findings, in Vietnamese (default) and English.

Every message says what is wrong, with the numbers, and what to do. A rule's own
`message:` replaces the built-in text; it may use the placeholders listed per key
(`{count}`, `{limit}`, …), unknown placeholders leave the text unchanged.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

TEMPLATES: dict[str, dict[str, str]] = {
    "vi": {
        "required": "Chưa nhập «{header}» — ô này bắt buộc, hãy nhập giá trị",
        "required_if": "Chưa nhập «{header}» — bắt buộc khi {condition}",
        "invalid_type.year": "«{value}» không phải năm — nhập 4 chữ số, ví dụ 1985",
        "invalid_type.integer": "«{value}» không phải số nguyên — nhập một số, ví dụ 12",
        "invalid_type.number": "«{value}» không phải số — nhập một số, ví dụ 12,5",
        "invalid_type.date": "«{value}» không phải ngày — nhập theo dạng dd/mm/yyyy, ví dụ 20/04/2025",
        "invalid_type.bool": "«{value}» không hợp lệ — đánh x nếu có, để trống nếu không",
        "invalid_type.email": "«{value}» không phải địa chỉ e-mail — nhập dạng ten@donvi.vn",
        "invalid_type.phone": (
            "«{value}» không phải số điện thoại — nhập 10 chữ số bắt đầu bằng 0, ví dụ 0912 345 678"
        ),
        "invalid_type.text": "«{value}» không hợp lệ — nhập lại dạng chữ",
        "invalid_choice": "«{value}» không có trong danh sách «{header}» — chọn một trong: {choices}",
        "out_of_range.both": "«{header}» {value} ngoài khoảng cho phép — nhập từ {min} đến {max}",
        "out_of_range.min": "«{header}» {value} nhỏ hơn mức tối thiểu — nhập từ {min} trở lên",
        "out_of_range.max": "«{header}» {value} lớn hơn mức tối đa — nhập tối đa {max}",
        "pattern_mismatch": "«{value}» không đúng định dạng của cột «{header}»{hint}",
        "duplicate": "Trùng {what} với {others} — xoá dòng trùng hoặc sửa lại cho đúng",
        "duplicate_owner": (
            "Trùng {what}: cũng có trong danh sách của đơn vị khác ({others}), nhập sau "
            "đơn vị mình — dòng này được giữ, đơn vị kia phải sửa"
        ),
        "likely_duplicate": (
            "Có thể trùng {what} với {others} (chỉ khác dấu) — kiểm tra lại, "
            "nếu là cùng một người thì xoá dòng trùng"
        ),
        "row_ref": "dòng {row}",
        "row_ref_unit": "dòng {row} của {unit}",
        "more": "và {count} dòng khác",
        "quota_exceeded": "Vượt chỉ tiêu: {count}/{limit} {noun} — bớt {excess} dòng",
        "quota_exceeded.sum": "Vượt chỉ tiêu: tổng «{header}» là {count}/{limit} — giảm {excess}",
        "below_minimum": "Chưa đủ số lượng: {count}/{limit} {noun} — cần thêm {missing} dòng",
        "share_below_min": (
            "{label} {share} ({count}/{total}), yêu cầu tối thiểu {limit} "
            "— cần ít nhất {needed}/{total}"
        ),
        "share_above_max": (
            "{label} {share} ({count}/{total}), yêu cầu tối đa {limit} — chỉ được tối đa {allowed}/{total}"
        ),
        "ratio_exceeded": (
            "{label}: {count} vượt {limit} của {base} ({of}) — chỉ được tối đa {allowed}, bớt {excess}"
        ),
        "not_registered": "Chưa đăng ký trong biểu «{other}» ({what}) — đăng ký trước rồi mới kê khai",
        "not_registered.unit": "Đơn vị chưa đăng ký trong biểu «{other}» — đăng ký trước rồi mới kê khai",
        "version.submitted": "so với danh sách đăng ký đã nộp ngày {when}",
        "version.last_valid": "so với bản hợp lệ cuối cùng trước khi khoá sổ, ngày {when}",
        "version.none": "đơn vị không nộp danh sách đăng ký trước khi khoá sổ ngày {when}",
        "late": "Nộp/cập nhật muộn: lúc {at}, hạn là {due}",
        "after_lock": (
            "Đã khoá sổ lúc {closes}: thay đổi sau thời điểm này không được tính "
            "(thay đổi lúc {at}) — liên hệ đơn vị tổ chức nếu cần mở lại"
        ),
        "noun": "dòng",
        "share_label": "Tỷ lệ {what}",
        "ratio_label": "Số {what}",
        "condition_join": " và ",
        "or": " hoặc ",
        "pattern_hint": " — {help}",
    },
    "en": {
        "required": "«{header}» is missing — this cell is required, enter a value",
        "required_if": "«{header}» is missing — required when {condition}",
        "invalid_type.year": "«{value}» is not a year — enter 4 digits, e.g. 1985",
        "invalid_type.integer": "«{value}» is not a whole number — enter a number, e.g. 12",
        "invalid_type.number": "«{value}» is not a number — enter a number, e.g. 12.5",
        "invalid_type.date": "«{value}» is not a date — enter dd/mm/yyyy, e.g. 20/04/2025",
        "invalid_type.bool": "«{value}» is not valid — enter x for yes, leave empty for no",
        "invalid_type.email": "«{value}» is not an e-mail address — enter name@example.org",
        "invalid_type.phone": (
            "«{value}» is not a phone number — enter 10 digits starting with 0, e.g. 0912 345 678"
        ),
        "invalid_type.text": "«{value}» is not valid — enter text",
        "invalid_choice": "«{value}» is not in the list «{header}» — choose one of: {choices}",
        "out_of_range.both": "«{header}» {value} is out of range — enter {min} to {max}",
        "out_of_range.min": "«{header}» {value} is below the minimum — enter {min} or more",
        "out_of_range.max": "«{header}» {value} is above the maximum — enter at most {max}",
        "pattern_mismatch": "«{value}» does not match the format of «{header}»{hint}",
        "duplicate": "Same {what} as {others} — delete the duplicate row or correct it",
        "duplicate_owner": (
            "Same {what}: also in another unit's list ({others}), entered after this unit — "
            "this row stands, the other unit must correct theirs"
        ),
        "likely_duplicate": (
            "Possibly the same {what} as {others} (differs only in diacritics) — check, "
            "and delete the duplicate if it is the same person"
        ),
        "row_ref": "row {row}",
        "row_ref_unit": "row {row} of {unit}",
        "more": "and {count} more rows",
        "quota_exceeded": "Quota exceeded: {count}/{limit} {noun} — remove {excess} rows",
        "quota_exceeded.sum": "Quota exceeded: total «{header}» is {count}/{limit} — reduce by {excess}",
        "below_minimum": "Too few: {count}/{limit} {noun} — add {missing} more rows",
        "share_below_min": (
            "{label} {share} ({count}/{total}), minimum {limit} — need at least {needed}/{total}"
        ),
        "share_above_max": (
            "{label} {share} ({count}/{total}), maximum {limit} — at most {allowed}/{total} allowed"
        ),
        "ratio_exceeded": (
            "{label}: {count} exceeds {limit} of {base} ({of}) — at most {allowed}, remove {excess}"
        ),
        "not_registered": "Not registered in «{other}» ({what}) — register there first",
        "not_registered.unit": "The unit has not registered in «{other}» — register there first",
        "version.submitted": "compared with the registration list submitted on {when}",
        "version.last_valid": "compared with the last valid version before the lock, {when}",
        "version.none": "the unit submitted no registration list before the lock on {when}",
        "late": "Late: changed or submitted at {at}, due {due}",
        "after_lock": (
            "Locked at {closes}: changes after that are not counted (changed at {at}) "
            "— contact the organiser to reopen"
        ),
        "noun": "rows",
        "share_label": "Share of {what}",
        "ratio_label": "Number of {what}",
        "condition_join": " and ",
        "or": " or ",
        "pattern_hint": " — {help}",
    },
}


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def text(lang: str, key: str, **kw: Any) -> str:
    """The built-in text `key` in `lang` (falls back to Vietnamese), formatted."""
    table = TEMPLATES.get(lang, TEMPLATES["vi"])
    template = table.get(key) or TEMPLATES["vi"][key]
    return template.format_map(_Keep(kw))


def custom(template: str | None, default: str, **kw: Any) -> str:
    """A rule's own message (with optional placeholders) or the built-in text."""
    if not template:
        return default
    try:
        return template.format_map(_Keep(kw))
    except (ValueError, IndexError, AttributeError):
        return template


def fmt_number(value: float | int, lang: str = "vi") -> str:
    """12 → "12", 12.5 → "12,5" (vi) / "12.5" (en)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return str(value)
    out = f"{value:.2f}".rstrip("0").rstrip(".")
    return out.replace(".", ",") if lang == "vi" else out


def fmt_pct(share: float, lang: str = "vi") -> str:
    """0.25 → "25 %", 1/3 → "33,3 %" (vi) / "33.3 %" (en)."""
    pct = round(share * 100, 1)
    body = str(int(pct)) if float(pct).is_integer() else f"{pct:.1f}"
    if lang == "vi":
        body = body.replace(".", ",")
    return f"{body} %"


def fmt_value(value: Any) -> str:
    """A raw cell value as the user typed it (dates dd/mm/yyyy)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.strftime("%d/%m/%Y %H:%M")
            if value.time() != datetime.min.time()
            else value.strftime("%d/%m/%Y")
        )
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def fmt_instant(value: datetime, tz: ZoneInfo) -> str:
    """dd/mm/yyyy HH:MM in the campaign timezone (naive values are taken as already local)."""
    local = value.astimezone(tz) if value.tzinfo is not None else value
    return local.strftime("%d/%m/%Y %H:%M")


def fmt_choices(choices: tuple[str, ...] | None, limit: int = 6) -> str:
    items = list(choices or ())
    if len(items) > limit:
        return ", ".join(items[:limit]) + ", …"
    return ", ".join(items)
