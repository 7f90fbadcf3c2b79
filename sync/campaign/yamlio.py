"""Read YAML with line numbers, and turn pydantic errors into path + line issues."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ..errors import ConfigError, ConfigIssue

PathKey = tuple[str | int, ...]


def format_path(path: PathKey) -> str:
    """('units', 3, 'quotas', 'dai_bieu') → 'units[3].quotas.dai_bieu'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _plain(node: Any, path: PathKey, lines: dict[PathKey, int]) -> Any:
    if isinstance(node, CommentedMap):
        result: dict[Any, Any] = {}
        for key, value in node.items():
            try:
                line, _col = node.lc.key(key)
                lines[(*path, str(key))] = line + 1
            except (KeyError, TypeError, AttributeError):
                pass
            result[key if isinstance(key, str) else str(key)] = _plain(
                value, (*path, str(key)), lines
            )
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            try:
                line, _col = node.lc.item(index)
                lines[(*path, index)] = line + 1
            except (KeyError, TypeError, AttributeError, IndexError):
                pass
            items.append(_plain(value, (*path, index), lines))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


_SUBJECTS = {"units": "đơn vị", "forms": "biểu mẫu"}


class _Constructor(RoundTripConstructor):
    """Dates stay text: the models parse them (dd/mm/yyyy too, and say which day is wrong)."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


class YamlDoc:
    """A YAML file as plain data plus the line of every key and item."""

    def __init__(self, file: Path, data: Any, lines: dict[PathKey, int]) -> None:
        self.file = file
        self.data = data
        self.lines = lines

    def line(self, path: PathKey) -> int | None:
        """Line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def issue(self, path: PathKey, message: str) -> ConfigIssue:
        return ConfigIssue(
            file=str(self.file),
            path=format_path(path),
            message=message,
            line=self.line(path),
            subject=self.subject(path),
        )

    def subject(self, path: PathKey) -> str | None:
        """ "đơn vị TP-LAICHAU" / "biểu mẫu dai_bieu" for paths under units[i] / forms[i]."""
        if len(path) < 2 or path[0] not in _SUBJECTS or not isinstance(path[1], int):
            return None
        items = self.data.get(str(path[0])) if isinstance(self.data, Mapping) else None
        if not isinstance(items, list) or path[1] >= len(items):
            return None
        item = items[path[1]]
        ident = item.get("id") if isinstance(item, Mapping) else None
        return f"{_SUBJECTS[str(path[0])]} {ident}" if isinstance(ident, (str, int)) else None


def read_yaml(file: Path, what: str = "tệp") -> YamlDoc:
    """Read a YAML file; every failure becomes a ConfigError naming file and line."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError([ConfigIssue(str(file), "", f"không tìm thấy {what}")]) from None
    except IsADirectoryError:
        raise ConfigError(
            [ConfigIssue(str(file), "", f"đây là thư mục, không phải {what}")]
        ) from None
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue(str(file), "", f"không đọc được {what}: {exc.strerror}")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [
                ConfigIssue(
                    str(file),
                    "",
                    "tệp không phải văn bản UTF-8 (hãy lưu lại với mã hoá UTF-8)",
                    line,
                )
            ]
        ) from None
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        mark_line = mark.line + 1 if mark is not None else None
        problem = (exc.problem or exc.context or "").strip()
        raise ConfigError(
            [ConfigIssue(str(file), "", f"lỗi cú pháp YAML: {yaml_problem(problem)}", mark_line)]
        ) from None
    except YAMLError as exc:
        raise ConfigError(
            [ConfigIssue(str(file), "", f"lỗi cú pháp YAML: {yaml_problem(str(exc))}")]
        ) from None
    lines: dict[PathKey, int] = {}
    data = _plain(node, (), lines)
    if not isinstance(data, Mapping):
        raise ConfigError(
            [ConfigIssue(str(file), "", f"{what} phải là một bảng khoá: giá trị (mapping) YAML", 1)]
        )
    return YamlDoc(file, data, lines)


_YAML_VI = (
    (
        "mapping values are not allowed",
        "dấu ':' không đúng chỗ — một giá trị có dấu ':' (ví dụ một thông báo) phải đặt trong"
        " ngoặc kép \"…\"; hoặc dòng trên thiếu dấu ':' sau tên khoá",
    ),
    ("character '\\t'", "có ký tự Tab — YAML chỉ thụt lề bằng dấu cách"),
    ("expected <block end>", "thụt lề không đều — các khoá cùng cấp phải thẳng cột với nhau"),
    ("expected ',' or ']'", "danh sách [ … ] chưa đóng, hoặc thiếu dấu phẩy giữa các phần tử"),
    ("expected ',' or '}'", "bảng { … } chưa đóng, hoặc thiếu dấu phẩy giữa các khoá"),
    ("end of stream", "thiếu dấu đóng (nháy kép, nháy đơn hoặc ngoặc) trước khi hết tệp"),
    ("duplicate key", "một khoá được ghi hai lần trong cùng một bảng — giữ lại một"),
    ("undefined alias", "dấu * dùng như tham chiếu YAML — nếu là chữ, đặt trong ngoặc kép"),
    (
        "unknown escape character",
        "ký tự sau dấu \\ không hợp lệ trong chuỗi \"…\" — dùng nháy đơn '…'",
    ),
    ("could not find expected ':'", "thiếu dấu ':' sau tên khoá"),
    ("did not find expected key", "thụt lề hoặc dấu '-' không đúng chỗ"),
    ("did not find expected '-'", "phần tử danh sách cần bắt đầu bằng '- '"),
)


def yaml_problem(problem: str) -> str:
    """A YAML parser problem in Vietnamese (unknown ones keep the parser's words)."""
    for needle, text in _YAML_VI:
        if needle in problem:
            return text
    return f"cú pháp YAML không hợp lệ ({problem})" if problem else "cú pháp YAML không hợp lệ"


_PYDANTIC_VI = {
    "missing": "thiếu khoá bắt buộc",
    "extra_forbidden": "khoá không được hỗ trợ (sai chính tả?)",
    "int_parsing": "cần một số nguyên",
    "int_type": "cần một số nguyên",
    "int_from_float": "cần một số nguyên",
    "float_parsing": "cần một số",
    "float_type": "cần một số",
    "bool_parsing": "cần true hoặc false",
    "bool_type": "cần true hoặc false",
    "string_type": "cần một chuỗi văn bản",
    "list_type": "cần một danh sách",
    "dict_type": "cần một bảng khoá: giá trị",
    "model_type": "cần một bảng khoá: giá trị",
    "date_from_datetime_parsing": "cần một ngày dạng YYYY-MM-DD",
    "date_parsing": "cần một ngày dạng YYYY-MM-DD",
    "datetime_parsing": "cần ngày giờ dạng YYYY-MM-DDTHH:MM",
    "datetime_from_date_parsing": "cần ngày giờ dạng YYYY-MM-DDTHH:MM",
    "time_delta_parsing": "cần khoảng thời gian (ví dụ: 2d, 12h)",
    "union_tag_invalid": "giá trị 'kind' không được hỗ trợ",
    "union_tag_not_found": "thiếu khoá 'kind'",
}


def _pydantic_message(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = {
        k: int(v) if isinstance(v, float) and v.is_integer() else v
        for k, v in (err.get("ctx") or {}).items()
    }
    if kind == "greater_than_equal":
        return f"phải ≥ {ctx.get('ge')} (đang là {err.get('input')!r})"
    if kind == "greater_than":
        return f"phải > {ctx.get('gt')} (đang là {err.get('input')!r})"
    if kind == "less_than_equal":
        return f"phải ≤ {ctx.get('le')} (đang là {err.get('input')!r})"
    if kind == "literal_error":
        return f"giá trị {err.get('input')!r} không hợp lệ, cần một trong: {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return f"giá trị {err.get('input')!r} không đúng dạng (mẫu {ctx.get('pattern')})"
    if kind == "too_short":
        return "không được để trống"
    if kind == "string_too_long":
        return f"quá dài (tối đa {ctx.get('max_length')} ký tự)"
    if kind == "union_tag_invalid":
        return (
            f"kind {ctx.get('tag')!r} không được hỗ trợ, cần một trong: {ctx.get('expected_tags')}"
        )
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
    if kind in _PYDANTIC_VI:
        return _PYDANTIC_VI[kind]
    return str(err.get("msg", "giá trị không hợp lệ"))


def validation_issues(
    doc: YamlDoc, exc: ValidationError, prefix: PathKey = ()
) -> list[ConfigIssue]:
    """Pydantic errors → issues with YAML paths, lines and Vietnamese messages."""
    issues = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors():
        # Unions insert member names ('int', 'PolicyRef', 'tiered'…) into the location;
        # keep only the parts that exist in the document.
        node: Any = _at(doc.data, prefix)
        loc: list[str | int] = []
        for part in err["loc"]:
            if (isinstance(node, Mapping) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)
            ):
                node = cast(Any, node)[part]
                loc.append(part)
            elif err["type"] == "missing" and part == err["loc"][-1]:
                loc.append(part)
        if err["type"].startswith("union_tag") and isinstance(node, Mapping) and "kind" in node:
            loc.append("kind")
        issue = doc.issue((*prefix, *loc), _pydantic_message(err))
        key = (issue.path, issue.message)
        if key not in seen:
            seen.add(key)
            issues.append(issue)
    return issues


def _at(data: Any, path: PathKey) -> Any:
    for part in path:
        data = data[part]
    return data
