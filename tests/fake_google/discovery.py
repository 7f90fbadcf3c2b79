"""Request checks against Google's own discovery documents (sheets.v4 / drive.v3).

The documents are the ones shipped inside google-api-python-client. The checker is generic:
it walks the JSON schema (objects, arrays, ``$ref``, enums, int32/int64/double formats,
``additionalProperties`` maps) and reports the first violation the way Google's front end
(ESF) words it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SchemaViolation(Exception):
    """A request does not match the discovery schema."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Method:
    """One API method from a discovery document."""

    api: str  # "sheets" or "drive"
    id: str  # e.g. "sheets.spreadsheets.values.batchGet"
    http_method: str
    regex: re.Pattern[str]
    params: dict[str, Any]
    request_ref: str | None
    body_field: str  # proto field the body binds to ("" when body is "*")
    doc: Any


def _documents_dir() -> Path:
    import googleapiclient

    return Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@functools.cache
def load_document(api: str) -> dict[str, Any]:
    """Return the discovery document for "sheets" (v4) or "drive" (v3)."""
    name = {"sheets": "sheets.v4.json", "drive": "drive.v3.json"}[api]
    with open(_documents_dir() / name, encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    return doc


def _walk_methods(resource: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(resource.get("methods", {}).values())
    for sub in resource.get("resources", {}).values():
        out.extend(_walk_methods(sub))
    return out


# Sheets methods whose body binds to a named field instead of "*" (from the proto HTTP rules).
_BODY_FIELDS = {
    "sheets.spreadsheets.values.update": "data",
    "sheets.spreadsheets.values.append": "data",
    "sheets.spreadsheets.create": "spreadsheet",
}


@functools.cache
def methods() -> list[Method]:
    """All methods of both APIs, most specific path patterns first."""
    found: list[tuple[int, Method]] = []
    for api in ("sheets", "drive"):
        doc = load_document(api)
        prefix = "/" + doc["servicePath"]
        for m in _walk_methods(doc):
            path = m.get("flatPath") or m["path"]
            literal = len(re.sub(r"\{[^}]+\}", "", path))
            pattern = ""
            for part in re.split(r"(\{[^}]+\})", path):
                if part.startswith("{"):
                    name = part[1:-1].lstrip("+")
                    body = ".+" if name == "range" else "[^/:]+"
                    pattern += f"(?P<{name}>{body})"
                else:
                    pattern += re.escape(part)
            ref = (m.get("request") or {}).get("$ref")
            meth = Method(
                api=api,
                id=m["id"] if m["id"].startswith(api) else f"{api}.{m['id']}",
                http_method=m["httpMethod"],
                regex=re.compile(re.escape(prefix) + pattern),
                params=m.get("parameters", {}),
                request_ref=ref,
                body_field=_BODY_FIELDS.get(m["id"], ""),
                doc=doc,
            )
            found.append((literal, meth))
    found.sort(key=lambda item: -item[0])
    return [m for _, m in found]


def find_method(http_method: str, path: str) -> tuple[Method, dict[str, str]] | None:
    """Find the discovery method for a request path (already percent-decoded)."""
    for m in methods():
        if m.http_method != http_method:
            continue
        match = m.regex.fullmatch(path)
        if match:
            return m, match.groupdict()
    return None


def snake(name: str) -> str:
    """camelCase → snake_case, as ESF spells field paths."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _type_name(schema: dict[str, Any], prop: str, api: str) -> str:
    if "$ref" in schema:
        return f"type.googleapis.com/google.apps.{api}.v4.{schema['$ref']}"
    if "enum" in schema:
        return f"type.googleapis.com/google.apps.{api}.v4.{prop[:1].upper()}{prop[1:]}"
    t, fmt = str(schema.get("type")), schema.get("format")
    if t == "array":
        items = schema.get("items", {})
        if items.get("type") == "array":
            return "type.googleapis.com/google.protobuf.ListValue"
        return _type_name(items, prop, api)
    names: dict[tuple[str, Any], str] = {
        ("integer", "int32"): "TYPE_INT32",
        ("integer", "uint32"): "TYPE_UINT32",
        ("string", "int64"): "TYPE_INT64",
        ("string", "uint64"): "TYPE_UINT64",
        ("number", "double"): "TYPE_DOUBLE",
        ("number", "float"): "TYPE_FLOAT",
        ("boolean", None): "TYPE_BOOL",
    }
    return names.get((t, fmt), "TYPE_STRING")


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class BodyChecker:
    """Walks a JSON body against a discovery schema."""

    def __init__(self, api: str) -> None:
        self.api = api
        # Drive (unlike the Sheets front end) ignores unknown body fields: gspread's
        # Spreadsheet.share sends "withLink", which is not in drive.v3 and works for real.
        self.unknown_ok = api == "drive"
        self.schemas: dict[str, Any] = load_document(api)["schemas"]

    def check(self, ref: str, body: Any, root: str = "") -> None:
        """Raise SchemaViolation on the first problem in ``body``."""
        self._value({"$ref": ref}, body, root, "")

    def _bad(self, schema: dict[str, Any], path: str, prop: str, value: Any) -> SchemaViolation:
        name = _type_name(schema, prop, self.api)
        msg = f"Invalid value at '{path}' ({name}), {_show(value)}"
        return SchemaViolation(msg, path)

    def _value(self, schema: dict[str, Any], value: Any, path: str, prop: str) -> None:
        if value is None:
            return
        if "$ref" in schema:
            target = self.schemas[schema["$ref"]]
            if not isinstance(value, dict):
                raise self._bad(schema, path, prop, value)
            self._object(target, value, path)
            return
        t = schema.get("type")
        if t == "any":
            return
        if t == "object":
            if not isinstance(value, dict):
                raise self._bad(schema, path, prop, value)
            self._object(schema, value, path)
        elif t == "array":
            if not isinstance(value, list):
                raise self._bad(schema, path, prop, value)
            items = schema.get("items", {})
            for i, item in enumerate(value):
                self._value(items, item, f"{path}[{i}]", prop)
        elif t == "boolean":
            if not isinstance(value, bool):
                raise self._bad(schema, path, prop, value)
        elif t == "integer" or (t == "string" and schema.get("format") in ("int64", "uint64")):
            if not _is_integral(value):
                raise self._bad(schema, path, prop, value)
        elif t == "number":
            if not _is_number(value):
                raise self._bad(schema, path, prop, value)
        elif t == "string":
            if not isinstance(value, str):
                raise self._bad(schema, path, prop, value)
            if "enum" in schema and value not in schema["enum"]:
                raise self._bad(schema, path, prop, value)

    def _object(self, schema: dict[str, Any], value: dict[str, Any], path: str) -> None:
        props: dict[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                sub = f"{path}.{snake(key)}" if path else snake(key)
                self._value(props[key], item, sub, key)
            elif extra is not None:
                self._value(extra, item, f"{path}[{key}]", key)
            elif not self.unknown_ok:
                where = f" at '{path}'" if path else ""
                msg = f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.'
                raise SchemaViolation(msg, path or None)


def _is_integral(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    if isinstance(value, str):
        return re.fullmatch(r"-?\d+", value.strip()) is not None
    return False


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


_BOOL_WORDS = {"true", "false", "1", "0"}


def check_query(method: Method, query: dict[str, list[str]]) -> None:
    """Check query parameters against the method's and the API's global parameters."""
    globals_ = method.doc.get("parameters", {})
    for name, values in query.items():
        spec = method.params.get(name) or globals_.get(name)
        if spec is None and method.api == "drive":
            continue  # Drive ignores unknown query parameters (recorded: files.get + extras)
        if spec is None or spec.get("location") == "path":
            msg = (
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query '
                f"parameter. Field '{name}' could not be found in request message."
            )
            raise SchemaViolation(msg, None)
        if len(values) > 1 and not spec.get("repeated"):
            raise SchemaViolation(f"Invalid value at '{snake(name)}', repeated values", name)
        for raw in values:
            t = spec.get("type")
            ok = True
            if t == "boolean":
                ok = raw.lower() in _BOOL_WORDS
            elif t == "integer":
                ok = re.fullmatch(r"-?\d+", raw) is not None
            elif "enum" in spec:
                ok = raw in spec["enum"]
            if not ok:
                tname = _type_name(spec, name, method.api)
                raise SchemaViolation(
                    f"Invalid value at '{snake(name)}' ({tname}), \"{raw}\"", name
                )


# ---------------------------------------------------------------- default values (proto3 JSON)

# A field keeps an explicit zero when its description gives its absence a meaning
# ("or not set if unbounded", "if this field is excluded then …", "If unset, …").
_ABSENCE_MEANS = re.compile(r"not set|unset|excluded|if not specified|if omitted", re.I)


def has_presence(prop: dict[str, Any]) -> bool:
    """True when a zero value of this field differs from the field being absent."""
    return bool(_ABSENCE_MEANS.search(str(prop.get("description", ""))))


def is_union(schema: dict[str, Any]) -> bool:
    """A oneof of alternatives (ExtendedValue: "Represents a …" each): the one set counts,
    even at zero (a cell holding 0 or FALSE)."""
    props = schema.get("properties") or {}
    return bool(props) and all(
        str(p.get("description", "")).startswith("Represents") for p in props.values()
    )


def _zero(prop: dict[str, Any], value: Any) -> bool:
    """The proto3 default of the field's type: 0, false, "", first enum value, [] or {}."""
    if isinstance(value, bool):
        return value is False and prop.get("type") == "boolean"
    t = prop.get("type")
    if t in ("integer", "number") or prop.get("format") in ("int64", "uint64"):
        try:
            return float(value) == 0
        except (TypeError, ValueError):
            return False
    if t == "string":
        enum = prop.get("enum")
        return value == "" or bool(enum and value == enum[0])
    if t == "array":
        return value == []
    if t == "object" and "additionalProperties" in prop:
        return value == {}
    return False


def drop_defaults(ref: str, value: Any, api: str = "sheets") -> Any:
    """Google's JSON of a message: fields at their default value are left out.

    Derived from the discovery schema, not field by field: scalars at zero, the first
    (UNSPECIFIED) enum value, empty lists and maps disappear; sub-messages stay (an empty
    colour `{}` is black); fields whose absence means something else keep their zero, and
    so do the alternatives of a union.
    """
    return _drop(api, {"$ref": ref}, value)


@functools.cache
def _message(api: str, ref: str) -> tuple[bool, dict[str, tuple[dict[str, Any], bool]]]:
    """(is a union, {field: (schema, keeps its zero)}) of a message schema."""
    schema = load_document(api)["schemas"][ref]
    props = schema.get("properties") or {}
    return is_union(schema), {k: (p, has_presence(p)) for k, p in props.items()}


def _drop(api: str, prop: dict[str, Any], value: Any) -> Any:
    if "$ref" in prop:
        if not isinstance(value, dict):
            return value
        union, fields = _message(api, prop["$ref"])
        out = {}
        for key, item in value.items():
            found = fields.get(key)
            if found is None:
                out[key] = item
                continue
            sub, keeps = found
            item = _drop(api, sub, item)
            if not union and not keeps and _zero(sub, item):
                continue
            out[key] = item
        return out
    kind = prop.get("type")
    if kind == "array" and isinstance(value, list):
        items = prop.get("items") or {}
        return [_drop(api, items, v) for v in value]
    extra = prop.get("additionalProperties")
    if kind == "object" and isinstance(extra, dict) and isinstance(value, dict):
        return {k: _drop(api, extra, v) for k, v in value.items()}
    return value
