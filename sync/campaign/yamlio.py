"""Read YAML with line numbers, and turn pydantic errors into path + line issues."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, cast

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .. import i18n
from ..errors import ConfigError, ConfigIssue

PathKey = tuple[str | int, ...]


class Doc(Protocol):
    """Campaign or template data with a way to say where a path is (YAML line, workbook cell)."""

    data: Any

    def issue(self, path: PathKey, message: str) -> ConfigIssue: ...


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


def read_yaml(file: Path, what: str | None = None) -> YamlDoc:
    """Read a YAML file; every failure becomes a ConfigError naming file and line. `what`
    names the file in messages (default: "tệp")."""
    what = what or i18n.t("config.what.file")
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [ConfigIssue(str(file), "", i18n.t("config.not_found", what=what))]
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            [ConfigIssue(str(file), "", i18n.t("config.is_a_directory", what=what))]
        ) from None
    except OSError as exc:
        raise ConfigError(
            [
                ConfigIssue(
                    str(file), "", i18n.t("config.cannot_read", what=what, reason=exc.strerror)
                )
            ]
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
                    i18n.t("config.not_utf8"),
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
            [
                ConfigIssue(
                    str(file),
                    "",
                    i18n.t("config.yaml_error", problem=yaml_problem(problem)),
                    mark_line,
                )
            ]
        ) from None
    except YAMLError as exc:
        raise ConfigError(
            [
                ConfigIssue(
                    str(file), "", i18n.t("config.yaml_error", problem=yaml_problem(str(exc)))
                )
            ]
        ) from None
    lines: dict[PathKey, int] = {}
    data = _plain(node, (), lines)
    if not isinstance(data, Mapping):
        raise ConfigError(
            [ConfigIssue(str(file), "", i18n.t("config.not_a_mapping", what=what), 1)]
        )
    return YamlDoc(file, data, lines)


_YAML_PROBLEMS = (
    ("mapping values are not allowed", "config.yaml.colon"),
    ("character '\\t'", "config.yaml.tab"),
    ("expected <block end>", "config.yaml.indent"),
    ("expected ',' or ']'", "config.yaml.list"),
    ("expected ',' or '}'", "config.yaml.mapping"),
    ("end of stream", "config.yaml.unclosed"),
    ("duplicate key", "config.yaml.duplicate_key"),
    ("undefined alias", "config.yaml.alias"),
    ("unknown escape character", "config.yaml.escape"),
    ("could not find expected ':'", "config.yaml.missing_colon"),
    ("did not find expected key", "config.yaml.misplaced"),
    ("did not find expected '-'", "config.yaml.list_item"),
)
"""YAML parser problem (a phrase of its English message) → message id in the catalogue."""


def yaml_problem(problem: str) -> str:
    """A YAML parser problem in Vietnamese (unknown ones keep the parser's words)."""
    for needle, key in _YAML_PROBLEMS:
        if needle in problem:
            return i18n.t(key)
    return (
        i18n.t("config.yaml_invalid_detail", problem=problem)
        if problem
        else i18n.t("config.yaml_invalid")
    )


_PYDANTIC_MESSAGES = {
    "missing": "config.pydantic.missing",
    "extra_forbidden": "config.pydantic.extra_forbidden",
    "int_parsing": "config.pydantic.int_parsing",
    "int_type": "config.pydantic.int_parsing",
    "int_from_float": "config.pydantic.int_parsing",
    "float_parsing": "config.pydantic.float_parsing",
    "float_type": "config.pydantic.float_parsing",
    "bool_parsing": "config.pydantic.bool_parsing",
    "bool_type": "config.pydantic.bool_parsing",
    "string_type": "config.pydantic.string_type",
    "list_type": "config.pydantic.list_type",
    "dict_type": "config.pydantic.dict_type",
    "model_type": "config.pydantic.dict_type",
    "date_from_datetime_parsing": "config.pydantic.date_parsing",
    "date_parsing": "config.pydantic.date_parsing",
    "datetime_parsing": "config.pydantic.datetime_parsing",
    "datetime_from_date_parsing": "config.pydantic.datetime_parsing",
    "time_delta_parsing": "config.pydantic.time_delta_parsing",
    "union_tag_invalid": "config.pydantic.union_tag_invalid",
    "union_tag_not_found": "config.pydantic.union_tag_not_found",
}
"""Pydantic error type → message id in the catalogue."""


def _pydantic_message(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = {
        k: int(v) if isinstance(v, float) and v.is_integer() else v
        for k, v in (err.get("ctx") or {}).items()
    }
    if kind == "greater_than_equal":
        return i18n.t(
            "config.pydantic.greater_than_equal", limit=ctx.get("ge"), value=f"{err.get('input')!r}"
        )
    if kind == "greater_than":
        return i18n.t(
            "config.pydantic.greater_than", limit=ctx.get("gt"), value=f"{err.get('input')!r}"
        )
    if kind == "less_than_equal":
        return i18n.t(
            "config.pydantic.less_than_equal", limit=ctx.get("le"), value=f"{err.get('input')!r}"
        )
    if kind == "literal_error":
        return i18n.t(
            "config.pydantic.literal_error",
            value=f"{err.get('input')!r}",
            expected=ctx.get("expected"),
        )
    if kind == "string_pattern_mismatch":
        return i18n.t(
            "config.pydantic.string_pattern_mismatch",
            value=f"{err.get('input')!r}",
            pattern=ctx.get("pattern"),
        )
    if kind == "too_short":
        return i18n.t("config.pydantic.too_short")
    if kind == "string_too_long":
        return i18n.t("config.pydantic.string_too_long", limit=ctx.get("max_length"))
    if kind == "union_tag_invalid":
        return i18n.t(
            "config.pydantic.union_tag_invalid_kind",
            kind=f"{ctx.get('tag')!r}",
            expected=ctx.get("expected_tags"),
        )
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
    if kind in _PYDANTIC_MESSAGES:
        return i18n.t(_PYDANTIC_MESSAGES[kind])
    return str(err.get("msg", i18n.t("config.invalid_value")))


def validation_issues(doc: Doc, exc: ValidationError, prefix: PathKey = ()) -> list[ConfigIssue]:
    """Pydantic errors → issues with YAML paths, lines and messages (current language)."""
    issues = []
    seen: set[tuple[str, str]] = set()
    other_member: set[tuple[str, str]] = set()
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
            if err["type"] in _OTHER_MEMBER and not isinstance(node, Mapping):
                other_member.add(key)
    # `quota: -3` fails both `int` (≥ 0) and `{policy: …}` (needs a mapping): only the first
    # says what is wrong with a number
    said = {i.path for i in issues if (i.path, i.message) not in other_member}
    return [i for i in issues if (i.path, i.message) not in other_member or i.path not in said]


_OTHER_MEMBER = ("model_type", "dict_type")


def _at(data: Any, path: PathKey) -> Any:
    for part in path:
        data = data[part]
    return data
