"""Apply edits to a campaign YAML file in place (ruamel.yaml round trip): comments, key
order, quoting, flow/block style and indentation are kept; only the edited values move."""

from __future__ import annotations

import re
from collections.abc import Sequence
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

from .. import i18n
from ..errors import ConfigError
from .edits import (
    Change,
    Edit,
    FormEdit,
    NewUnit,
    UnitEdit,
    parse_due,
    parse_editors,
    parse_grace,
    parse_quota,
    parse_text,
    parse_whole,
    plain,
)

UNIT_KEYS = ("id", "name", "parent", "level", "tags", "editors", "staff", "quotas", "spreadsheet")
FORM_KEYS = ("id", "template", "title", "tab", "opens", "due", "grace", "lock")
"""Where a key that was absent goes (after the keys that come before it here)."""


def _yaml(text: str) -> YAML:
    """A round-trip YAML with the file's own indentation."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold long lines the file did not fold
    try:
        _data, sequence, offset = load_yaml_guess_indent(text)
    except Exception:  # the real load reports the problem
        sequence, offset = None, None
    offset = offset or 0
    sequence = sequence or (2 + offset)
    yaml.indent(mapping=_mapping_indent(text), sequence=max(sequence, offset + 2), offset=offset)
    return yaml


_KEY_LINE_RE = re.compile(r"^( *)[^\s#-][^:#]*:\s*(#.*)?$")
_NESTED_KEY_RE = re.compile(r"^( +)[^\s#-][^:]*:")


def _mapping_indent(text: str) -> int:
    """How far a nested mapping's keys are indented (the first `key:` under a `key:` line)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        top = _KEY_LINE_RE.match(line)
        if not top:
            continue
        for nxt in lines[i + 1 :]:
            if not nxt.strip() or nxt.lstrip().startswith("#"):
                continue
            nested = _NESTED_KEY_RE.match(nxt)
            if nested and len(nested.group(1)) > len(top.group(1)):
                return len(nested.group(1)) - len(top.group(1))
            break
    return 2


def apply_yaml(raw: bytes, edits: Sequence[Edit]) -> tuple[str, list[Change]]:
    """The file's new text and what changed (empty when the edits change nothing)."""
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(i18n.t("config.not_utf8")) from None
    crlf = "\r\n" in text
    yaml = _yaml(text)
    try:
        doc = yaml.load(text)
    except YAMLError as exc:
        raise ConfigError(i18n.t("settings.not_yaml", problem=str(exc).splitlines()[0])) from None
    if not isinstance(doc, CommentedMap):
        raise ConfigError(i18n.t("config.not_a_mapping", what=i18n.t("config.what.campaign")))
    changes: list[Change] = []
    for edit in edits:
        if isinstance(edit, UnitEdit):
            changes += _edit_unit(doc, edit)
        elif isinstance(edit, FormEdit):
            changes += _edit_form(doc, edit)
        else:
            changes += _add_unit(doc, edit)
    if not changes:
        return text, []
    out = StringIO()
    yaml.dump(doc, out)
    new = out.getvalue()
    if crlf:
        new = new.replace("\r\n", "\n").replace("\n", "\r\n")
    return ("\ufeff" if bom else "") + new, changes


# --- units ---------------------------------------------------------------------------------


def _units(doc: CommentedMap) -> CommentedSeq:
    units = doc.get("units")
    if not isinstance(units, CommentedSeq):
        raise ConfigError(i18n.t("settings.no_units"))
    return units


def _unit(doc: CommentedMap, unit_id: str) -> CommentedMap:
    for item in _units(doc):
        if isinstance(item, CommentedMap) and str(item.get("id")) == unit_id:
            return item
    raise ConfigError(i18n.t("settings.no_such_unit", unit=unit_id))


def _policies(doc: CommentedMap) -> list[str]:
    found = doc.get("quota_policies")
    return [str(k) for k in found] if isinstance(found, dict) else []


def _edit_unit(doc: CommentedMap, edit: UnitEdit) -> list[Change]:
    node = _unit(doc, edit.id)
    tail = _take_tail(node)
    changes: list[Change] = []

    def note(name: str, old: Any, new: Any) -> None:
        if plain(old) != plain(new):
            changes.append(Change("unit", edit.id, name, plain(old), plain(new)))

    if edit.level is not None:
        note("level", *_set(node, "level", parse_text(edit.level), UNIT_KEYS))
    if edit.staff is not None:
        note("staff", *_set(node, "staff", parse_whole(edit.staff), UNIT_KEYS))
    if edit.editors is not None:
        note("editors", *_set_list(node, "editors", parse_editors(edit.editors)))
    policies = _policies(doc)
    for form_id, raw in edit.quotas.items():
        old, new = _set_quota(node, form_id, parse_quota(raw, policies))
        note(f"quotas.{form_id}", old, new)
    _put_tail(node, tail)
    return changes


def _set_quota(node: CommentedMap, form_id: str, value: Any) -> tuple[Any, Any]:
    quotas = node.get("quotas")
    old = quotas.get(form_id) if isinstance(quotas, dict) else None
    if plain(old) == plain(value):
        return old, old
    if value is None:
        if isinstance(quotas, dict) and form_id in quotas:
            del quotas[form_id]
            if not quotas:
                del node["quotas"]
        return old, None
    if not isinstance(quotas, CommentedMap):
        quotas = _flow_map({})
        _insert(node, "quotas", quotas, UNIT_KEYS)
    if isinstance(value, dict):
        value = _flow_map(value)
    quotas[form_id] = value
    return old, value


def _add_unit(doc: CommentedMap, new: NewUnit) -> list[Change]:
    units = _units(doc)
    item = CommentedMap()
    item["id"] = new.id.strip()
    item["name"] = new.name.strip()
    for key, value in (("parent", parse_text(new.parent)), ("level", parse_text(new.level))):
        if value is not None:
            item[key] = value
    editors = parse_editors(new.editors)
    if editors:
        item["editors"] = _flow_seq(editors)
    staff = parse_whole(new.staff)
    if staff is not None:
        item["staff"] = staff
    policies = _policies(doc)
    quotas = {
        k: q for k, raw in new.quotas.items() if (q := parse_quota(raw, policies)) is not None
    }
    if quotas:
        item["quotas"] = _flow_map(
            {k: _flow_map(v) if isinstance(v, dict) else v for k, v in quotas.items()}
        )
    tail = _take_tail(units)
    units.append(item)
    _put_tail(units, tail)
    return [Change("unit", item["id"], "added", None, plain(item))]


# --- forms ---------------------------------------------------------------------------------


def _form(doc: CommentedMap, form_id: str) -> CommentedMap:
    forms = doc.get("forms")
    if isinstance(forms, CommentedSeq):
        for item in forms:
            if isinstance(item, CommentedMap) and str(item.get("id")) == form_id:
                return item
    raise ConfigError(i18n.t("settings.no_such_form", form=form_id))


def _edit_form(doc: CommentedMap, edit: FormEdit) -> list[Change]:
    node = _form(doc, edit.id)
    tail = _take_tail(node)
    changes: list[Change] = []
    if edit.due_date is not None:
        due = parse_due(edit.due_date, edit.due_time or "")
        old = node.get("due")
        if plain(old) != plain(due):
            _set(node, "due", due, FORM_KEYS)
            changes.append(Change("form", edit.id, "due", plain(old), plain(due)))
    if edit.grace is not None:
        grace = parse_grace(edit.grace)
        old = node.get("grace")
        if _grace_text(old) != _grace_text(grace):  # 0 and absent are the same
            _set(node, "grace", grace, FORM_KEYS)
            changes.append(Change("form", edit.id, "grace", plain(old), plain(grace)))
    _put_tail(node, tail)
    return changes


def _grace_text(value: Any) -> str:
    text = "" if value is None else str(value).strip().lower()
    return "" if text in ("0", "") else text


# --- YAML nodes ----------------------------------------------------------------------------


def _flow_map(values: dict[str, Any]) -> CommentedMap:
    node = CommentedMap(values)
    node.fa.set_flow_style()
    return node


def _flow_seq(values: list[Any]) -> CommentedSeq:
    node = CommentedSeq(values)
    node.fa.set_flow_style()
    return node


def _insert(node: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    """Add `key` after the keys that come before it in `order` (else at the end)."""
    before = set(order[: order.index(key)]) if key in order else set(node)
    position = 0
    for i, existing in enumerate(node):
        if existing in before:
            position = i + 1
    node.insert(position, key, value)


def _set(node: CommentedMap, key: str, value: Any, order: Sequence[str]) -> tuple[Any, Any]:
    """Set (None: remove) `key`, unless it holds that value already (its quoting and style
    stay); returns (old, new)."""
    old = node.get(key)
    if plain(old) == plain(value):
        return old, old
    if value is None:
        if key in node:
            del node[key]
    elif key in node:
        node[key] = value
    else:
        _insert(node, key, value, order)
    return old, value


def _set_list(node: CommentedMap, key: str, values: list[str] | None) -> tuple[Any, Any]:
    """Set a list keeping the style it was written in (new lists are flow: [a, b])."""
    old = node.get(key)
    old_plain = plain(old)
    if values is None:
        if key in node:
            del node[key]
        return old_plain, None
    if isinstance(old, CommentedSeq):
        if old_plain != values:
            old.clear()
            old.extend(values)
        return old_plain, values
    _set(node, key, _flow_seq(values), UNIT_KEYS)
    return old_plain, values


def _last_slot(node: Any) -> tuple[Any, Any, int] | None:
    """Where a comment after `node` hangs in ruamel: (container, key, position) of its last
    scalar or flow value, descending into block values."""
    if isinstance(node, CommentedMap) and node:
        key = list(node)[-1]
        value = node[key]
        if isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style():
            return _last_slot(value)
        return node, key, 2
    if isinstance(node, CommentedSeq) and node:
        index = len(node) - 1
        value = node[index]
        if isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style():
            return _last_slot(value)
        return node, index, 0
    return None


def _take_tail(node: Any) -> str:
    """Detach the comment lines after `node`'s last value (a comment block introducing
    what follows in the file), keeping that value's own end-of-line comment."""
    slot = _last_slot(node)
    if slot is None:
        return ""
    container, key, pos = slot
    entry = container.ca.items.get(key)
    token = entry[pos] if entry and len(entry) > pos else None
    if not isinstance(token, CommentToken) or "\n" not in token.value:
        return ""
    head, _nl, rest = token.value.partition("\n")
    if not rest:
        return ""
    if head.strip():
        token.value = head + "\n"
    else:
        entry[pos] = None
    return rest


def _put_tail(node: Any, tail: str) -> None:
    """Hang the comment lines taken by `_take_tail` after `node`'s (new) last value."""
    if not tail:
        return
    slot = _last_slot(node)
    if slot is None:
        return
    container, key, pos = slot
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    while len(entry) <= pos:
        entry.append(None)
    token = entry[pos]
    if isinstance(token, CommentToken):
        token.value = token.value + tail
    else:
        entry[pos] = CommentToken("\n" + tail, CommentMark(0), None)
