"""Campaign YAML ↔ workbook grid, for `thidua convert` and `thidua init --format xlsx`.

YAML → grid: the campaign file is validated, dumped and laid out by `workbook.to_grid`;
templates referenced by path (and built-in ones asked for) are copied into the workbook's
own tabs («Mẫu», «Cột», «Quy tắc»). Grid → YAML: the workbook is read and checked like any
campaign, then written as `campaign.yaml` plus one `<id>.yaml` per own template.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .. import i18n
from ..errors import ConfigError
from .loader import builtin_names, load_campaign, load_template
from .model import CampaignSpec, TemplateSpec
from .workbook import GridOut, Place, WorkbookSource, to_grid
from .yamlio import PathKey, read_yaml, validation_issues


@dataclass
class Converted:
    """A conversion's result: what to write, and what could not be carried over."""

    grid: GridOut | None = None
    files: dict[str, str] = field(default_factory=dict)
    """YAML → nothing; workbook → file name → YAML text (campaign.yaml and templates)."""
    notes: dict[Place, str] = field(default_factory=dict)
    """YAML comments that become notes on workbook cells."""
    warnings: list[str] = field(default_factory=list)


def _dump(model: Any) -> Any:
    return model.model_dump(mode="python", exclude_unset=True)


def template_data(spec: TemplateSpec) -> dict[str, Any]:
    data: dict[str, Any] = _dump(spec)
    data["columns"] = [_dump(c) for c in spec.columns]
    data["rules"] = [_dump(r) for r in spec.rules]
    return data


def yaml_to_grid(file: Path, copy_templates: tuple[str, ...] = ()) -> Converted:
    """A campaign YAML file → the workbook grid (checked first: a broken file is refused)."""
    load_campaign(file)  # refuses a broken file with its usual messages
    doc = read_yaml(file, i18n.t("config.what.campaign"))
    try:
        spec = CampaignSpec.model_validate(doc.data)
    except ValidationError as exc:  # pragma: no cover - load_campaign refused it already
        raise ConfigError(validation_issues(doc, exc)) from None
    data = _dump(spec)
    data["units"] = [_dump(u) for u in spec.units]
    forms = []
    templates: dict[str, dict[str, Any]] = {}
    wanted = set(copy_templates)
    if "all" in wanted:
        wanted = {f.template for f in spec.forms if f.template in builtin_names("forms")}
    for fspec in spec.forms:
        form = _dump(fspec)
        form["rules"] = [_dump(r) for r in fspec.rules]
        if not form["rules"]:
            del form["rules"]
        is_path = fspec.template not in builtin_names("forms")
        if is_path or fspec.template in wanted:
            tspec, _tdoc = load_template(fspec.template, file.parent)
            known = templates.get(tspec.id)
            tdata = template_data(tspec)
            if known is not None and known != tdata:
                raise ConfigError(i18n.t("workbook.template_id_clash", template=tspec.id))
            templates[tspec.id] = tdata
            form["template"] = tspec.id
        forms.append(form)
    data["forms"] = forms
    grid = to_grid(
        data,
        templates,
        reserved_lists=tuple(builtin_names("lists")),
        builtin_templates=tuple(builtin_names("forms")),
    )
    converted = Converted(grid=grid)
    _comments_to_notes(file, doc.lines, grid, converted)
    return converted


# ----------------------------------------------------------------------------- comments
_COMMENT_RE = re.compile(r"^\s*#\s?(.*)$")


def _inline_comment(line: str) -> str | None:
    """The comment after a value on a YAML line (`staff: 1850  # minh hoạ`), if any."""
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and i > 0 and line[i - 1] in " \t":
            return line[i + 1 :].strip()
    return None


def _comments_to_notes(
    file: Path, lines: Mapping[PathKey, int], grid: GridOut, out: Converted
) -> None:
    """YAML comments → notes on the cell of the key they describe; others dropped (warned)."""
    text = file.read_text(encoding="utf-8-sig").splitlines()
    by_line: dict[int, list[PathKey]] = {}
    for path, line in lines.items():
        by_line.setdefault(line, []).append(path)
    starts = sorted(by_line)
    block: list[str] = []
    block_start = 0

    def attach(paths: list[PathKey], comment: str, line: int) -> None:
        for path in sorted(paths, key=len, reverse=True):
            for end in range(len(path), 0, -1):
                place = grid.places.get(tuple(path[:end]))
                if place is not None:
                    note = out.notes.get(place)
                    out.notes[place] = f"{note}\n{comment}" if note else comment
                    return
        out.warnings.append(i18n.t("workbook.comment_dropped", line=line, comment=comment[:60]))

    for number, raw in enumerate(text, start=1):
        m = _COMMENT_RE.match(raw)
        if m:
            if not block:
                block_start = number
            block.append(m.group(1).rstrip())
            continue
        if block:
            following = [s for s in starts if s >= number]
            comment = "\n".join(b for b in block if b.strip("-=# ")).strip()
            if comment:
                if following:
                    attach(by_line[following[0]], comment, block_start)
                else:
                    out.warnings.append(
                        i18n.t("workbook.comment_dropped", line=block_start, comment=comment[:60])
                    )
            block = []
        inline = _inline_comment(raw) if raw.strip() else None
        if inline and number in by_line:
            attach(by_line[number], inline, number)
    if block:
        comment = "\n".join(block).strip()
        if comment:
            out.warnings.append(
                i18n.t("workbook.comment_dropped", line=block_start, comment=comment[:60])
            )


# ----------------------------------------------------------------------------- to YAML
def _yaml_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None or value.second:
            return value.isoformat()
        return value.strftime("%d/%m/%Y %H:%M")  # as offices write dates (docs §4)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, timedelta):
        return _duration_code(value)
    if isinstance(value, Mapping):
        out = CommentedMap()
        for k, v in value.items():
            out[str(k)] = _yaml_value(v)
        return out
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq(_yaml_value(v) for v in value)
        if all(not isinstance(v, (Mapping, list, tuple)) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def _duration_code(value: timedelta) -> str | int:
    seconds = int(value.total_seconds())
    if seconds == 0:
        return 0
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return (
        (f"{days}d" if days else "")
        + (f"{hours}h" if hours else "")
        + (f"{minutes}m" if minutes else "")
    )


def _flow_items(node: Any) -> None:
    """Lists of small flat mappings (tiers, rules, signers, columns) one item per line
    (`- {kind: max_rows, value: 1}`), and the short mappings inside units (`quotas`)."""
    if isinstance(node, CommentedMap):
        for value in node.values():
            _flow_items(value)
        return
    if not isinstance(node, CommentedSeq):
        return
    for item in node:
        _flow_items(item)
        if isinstance(item, CommentedMap):
            for value in item.values():
                if isinstance(value, CommentedMap) and len(str(dict(value))) <= 80:
                    value.fa.set_flow_style()
    flat = [
        i
        for i in node
        if isinstance(i, CommentedMap)
        and all(not isinstance(v, CommentedMap) or v.fa.flow_style() for v in i.values())
    ]
    if flat and len(flat) == len(node):
        for item in node:
            if len(str(dict(item))) <= 110:
                item.fa.set_flow_style()


def dump_yaml(data: Mapping[str, Any]) -> str:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    tree = _yaml_value(data)
    for key in ("units", "forms"):
        for item in tree.get(key) or []:
            for value in item.values():
                if isinstance(value, CommentedMap) and len(value) <= 4:
                    value.fa.set_flow_style()
    for key in ("campaign", "quota_policies", "forms", "columns", "rules"):
        if key in tree:
            _flow_items(tree[key])
    buffer = io.StringIO()
    yaml.dump(tree, buffer)
    return buffer.getvalue()


def source_to_yaml(source: WorkbookSource) -> Converted:
    """A read workbook → campaign.yaml and one `<id>.yaml` per own template."""
    out = Converted()
    data = dict(source.doc.data)
    used_templates = {str(t) for t in source.templates}
    forms = []
    for form in data.get("forms", []):
        form = dict(form)
        if form.get("template") in used_templates:
            form["template"] = f"{form['template']}.yaml"
        forms.append(form)
    data["forms"] = forms
    order = ["campaign", "backend", "quota_policies", "reminders", "units", "forms"]
    ordered = {k: data[k] for k in order if k in data}
    out.files["campaign.yaml"] = dump_yaml(ordered)
    for tid, tdoc in source.templates.items():
        tdata = dict(tdoc.data)
        if not tdata.get("rules"):
            tdata.pop("rules", None)
        out.files[f"{tid}.yaml"] = dump_yaml(tdata)
    return out


__all__ = [
    "Converted",
    "dump_yaml",
    "source_to_yaml",
    "template_data",
    "yaml_to_grid",
]
