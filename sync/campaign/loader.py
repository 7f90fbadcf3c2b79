"""Load and cross-check a campaign file and its templates.

See docs/design.md, Campaign file, Form templates.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Collection
from datetime import date, datetime, time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from .. import i18n
from ..errors import ConfigError, ConfigIssue
from ..normalize import ChoiceMatcher, Invalid, loose_key, parser_for
from .campaign import Campaign, Column, Deadline, Form, Unit
from .model import (
    CampaignSpec,
    ColumnSpec,
    DeadlineSpec,
    FormSpec,
    PolicyRef,
    TemplateSpec,
)
from .rulespec import RuleSpecBase, Scalar, condition_tests
from .workbook import Grid, WorkbookSource, read_grid, read_xlsx_grid
from .yamlio import Doc, PathKey, YamlDoc, read_yaml, validation_issues


def builtin_dir(kind: str) -> Path:
    """Folder of built-in `forms`, `lists` or `samples` inside the installed package."""
    return Path(str(resources.files("sheet_templates").joinpath(kind)))


def builtin_names(kind: str) -> list[str]:
    folder = builtin_dir(kind)
    if kind == "samples":
        return sorted(p.name for p in folder.iterdir() if (p / "campaign.yaml").is_file())
    return sorted(p.stem for p in folder.glob("*.yaml"))


@lru_cache(maxsize=64)
def choice_list(name: str) -> tuple[str, ...]:
    """A built-in choice list (e.g. `ethnic_groups_vn`)."""
    file = builtin_dir("lists") / f"{name}.yaml"
    if not file.is_file():
        raise KeyError(name)
    doc = read_yaml(file, i18n.t("config.what.choice_list"))
    items = doc.data.get("items")
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigError([doc.issue(("items",), i18n.t("config.list_of_strings"))])
    return tuple(items)


def load_template(ref: str, base_dir: Path | None = None) -> tuple[TemplateSpec, YamlDoc]:
    """A template by built-in name or by path (relative to `base_dir`)."""
    looks_like_path = ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref
    if looks_like_path:
        file = Path(ref)
        if not file.is_absolute() and base_dir is not None:
            file = base_dir / file
    else:
        file = builtin_dir("forms") / f"{ref}.yaml"
        if not file.is_file():
            raise KeyError(ref)
    doc = read_yaml(file, i18n.t("config.what.template"))
    try:
        spec = TemplateSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(validation_issues(doc, exc)) from None
    issues = _check_template(spec, doc)
    if issues:
        raise ConfigError(issues)
    return spec, doc


def _check_template(spec: TemplateSpec, doc: Doc) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    keys = [c.key for c in spec.columns]
    headers = [c.header for c in spec.columns]
    for i, col in enumerate(spec.columns):
        if keys.count(col.key) > 1 and keys.index(col.key) != i:
            issues.append(
                doc.issue(("columns", i, "key"), i18n.t("config.duplicate_column_key", key=col.key))
            )
        if headers.count(col.header) > 1 and headers.index(col.header) != i:
            issues.append(
                doc.issue(
                    ("columns", i, "header"),
                    i18n.t("config.duplicate_column_header", header=col.header),
                )
            )
        if isinstance(col.choices, str):
            try:
                choice_list(col.choices)
            except KeyError:
                known = ", ".join(builtin_names("lists"))
                issues.append(
                    doc.issue(
                        ("columns", i, "choices"),
                        i18n.t("config.no_such_choice_list", name=col.choices, known=known),
                    )
                )
    placed: list[tuple[PathKey, RuleSpecBase]] = [
        (("rules", j), r) for j, r in enumerate(with_ids(spec.rules))
    ]
    issues += _check_rules(placed, spec.columns, doc)
    issues += _duplicates(placed, doc)
    return issues


def _check_rules(
    rules: list[tuple[PathKey, RuleSpecBase]], columns: list[ColumnSpec], doc: Doc
) -> list[ConfigIssue]:
    """Columns each rule reads exist; condition values can match a cell of their column."""
    issues = []
    by_key = {c.key: c for c in columns}
    for path, rule in rules:
        for col in sorted(rule.reads() - set(by_key)):
            issues.append(
                doc.issue(path, i18n.t("config.rule_unknown_column", kind=rule.kind, column=col))
            )
        if rule.message:
            problem = _placeholder_problem(rule)
            if problem:
                issues.append(doc.issue((*path, "message"), problem))
        for inner, message in rule.column_problems(by_key):
            issues.append(doc.issue((*path, *inner), message))
        for name, condition in rule.conditions().items():
            for test in condition_tests(condition):
                column = by_key.get(test.column)
                if column is None:
                    continue
                for value in test.values:
                    problem = _value_problem(column, value)
                    if problem:
                        issues.append(doc.issue((*path, name, *test.path), problem))
    return issues


def with_ids(rules: list[RuleSpecBase]) -> list[RuleSpecBase]:
    """Template rules with an id each: their own, else the kind (`kind_2`… when repeated)."""
    repeated = Counter(r.kind for r in rules if r.id is None)
    seen: Counter[str] = Counter()
    out = []
    for rule in rules:
        if rule.id is None:
            seen[rule.kind] += 1
            rid = rule.kind if repeated[rule.kind] == 1 else f"{rule.kind}_{seen[rule.kind]}"
            rule = rule.model_copy(update={"id": rid})
        out.append(rule)
    return out


def _duplicates(rules: list[tuple[PathKey, RuleSpecBase]], doc: Doc) -> list[ConfigIssue]:
    """Rules with the same id, or the same effect (each would report the same finding twice)."""
    issues = []
    for n, (path, rule) in enumerate(rules):
        for other_path, other in rules[:n]:
            if other_path == path:
                continue  # both from the template: reported when the template was read
            if rule.id is not None and rule.id == other.id:
                issues.append(
                    doc.issue((*path, "id"), i18n.t("config.duplicate_rule_id", rule=rule.id))
                )
            elif rule.kind == other.kind and rule.effect() == other.effect():
                name = f"'{other.id}'" if other.id else i18n.t("config.rule_above", kind=other.kind)
                fix = i18n.t("config.override_hint", rule=other.id) if other.id else ""
                issues.append(
                    doc.issue(
                        path,
                        i18n.t("config.duplicate_rule", name=name, kind=rule.kind, fix=fix),
                    )
                )
    return issues


def _placeholder_problem(rule: RuleSpecBase) -> str | None:
    """Unknown `{name}`s or broken braces in a rule's custom message."""
    allowed = ", ".join(f"{{{p}}}" for p in sorted(rule.placeholders)) or i18n.t("config.none")
    try:
        names = [field for _text, field, _spec, _conv in Formatter().parse(rule.message or "")]
    except ValueError:
        return i18n.t("config.message_braces", allowed=allowed)
    unknown = sorted({n for n in names if n is not None and n not in rule.placeholders})
    if not unknown:
        return None
    shown = ", ".join(f"{{{n}}}" for n in unknown)
    return i18n.t(
        "config.message_placeholder_unknown", shown=shown, kind=rule.kind, allowed=allowed
    )


_OPERATOR_RE = re.compile(r"^\s*(!=|<>|<=|>=|==|=|<|>|!|≠|≤|≥)")


def _choices_of(col: ColumnSpec) -> tuple[str, ...] | None:
    if isinstance(col.choices, str):
        try:
            return choice_list(col.choices)
        except KeyError:
            return None
    return tuple(col.choices) if col.choices else None


def _shown_choices(choices: tuple[str, ...], limit: int = 12) -> str:
    if len(choices) <= limit:
        return ", ".join(choices)
    return ", ".join(choices[:limit]) + i18n.t("config.more_choices", count=len(choices))


def _value_problem(col: ColumnSpec, value: Scalar) -> str | None:
    """Why a condition value can never match a cell of the column (None: it can)."""
    choices = _choices_of(col)
    if isinstance(value, str) and _OPERATOR_RE.match(value):
        bare = _OPERATOR_RE.sub("", value).strip()
        hint = i18n.t("config.condition_not_hint", bare=bare) if bare else ""
        allowed = i18n.t("config.column_values", values=_shown_choices(choices)) if choices else ""
        return i18n.t(
            "config.condition_looks_like_comparison", value=value, hint=hint, allowed=allowed
        )
    if col.type == "choice" and choices is not None:
        try:
            ChoiceMatcher(choices)(value)
        except Invalid:
            loose = {loose_key(c): c for c in choices}
            near = difflib.get_close_matches(loose_key(str(value)), list(loose), n=1, cutoff=0.7)
            maybe = i18n.t("config.did_you_mean", loose=loose[near[0]]) if near else ""
            return i18n.t(
                "config.condition_not_a_choice",
                value=value,
                column=col.key,
                header=col.header,
                maybe=maybe,
                choices=_shown_choices(choices),
            )
        return None
    if col.type in ("text", "email", "phone"):
        return None
    try:
        parser_for(col.type)(value)
    except Invalid:
        return i18n.t(
            "config.condition_bad_type",
            value=value,
            type=col.type,
            column=col.key,
            header=col.header,
        )
    return None


def _as_local(value: date | datetime | None, tz: ZoneInfo, end_of_day: bool) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(23, 59, 59) if end_of_day else time(0, 0))
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def _resolve_column(spec: ColumnSpec) -> Column:
    choices: tuple[str, ...] | None = None
    list_name = None
    if isinstance(spec.choices, str):
        list_name = spec.choices
        choices = choice_list(spec.choices)
    elif spec.choices:
        choices = tuple(spec.choices)
    return Column(
        key=spec.key,
        header=spec.header,
        type=spec.type,
        required=spec.required,
        choices=choices,
        choice_list=list_name,
        min=spec.min,
        max=spec.max,
        pattern=spec.pattern,
        help=spec.help,
        width=spec.width,
        print=spec.print,
        print_width=spec.print_width,
        formula=spec.formula,
    )


CAMPAIGN_SUFFIXES = (".yaml", ".yml", ".xlsx")

RemoteReader = Callable[[str], tuple[Grid, str]]
"""Reads a campaign kept elsewhere (a Google Sheet): ref → (grid, name shown in messages)."""
_REMOTE: list[tuple[Callable[[str], bool], RemoteReader]] = []


def register_campaign_source(matches: Callable[[str], bool], read: RemoteReader) -> None:
    """Let `load_campaign` read references `matches` accepts (the Google store registers
    Sheet ids and URLs) when no such file exists."""
    _REMOTE.append((matches, read))


def campaign_file(path: str | Path) -> Path:
    """The campaign file a CLI argument names: the file, or `campaign.yaml` /
    `campaign.xlsx` inside a folder."""
    file = Path(path)
    if file.is_dir():
        for name in ("campaign.yaml", "campaign.yml", "campaign.xlsx"):
            if (file / name).is_file():
                return file / name
        return file / "campaign.yaml"
    return file


def campaign_ref(path: str | Path) -> str:
    """What a process passes on to name the campaign: the absolute path of a file, or a
    Google Sheet URL / id as given (a URL that went through pathlib gets its `//` back)."""
    ref = str(path)
    if ref.startswith(("https:/", "http:/")) and "://" not in ref:
        return ref.replace(":/", "://", 1)
    file = Path(ref)
    return str(file.resolve()) if file.exists() or not is_remote_ref(ref) else ref


def is_remote_ref(ref: str) -> bool:
    """A Google Sheet URL or id (when the Google store registered its reader)."""
    return any(matches(ref) for matches, _read in _REMOTE)


def is_workbook(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".xlsx"


def load_campaign(path: str | Path, *, pending_quotas: Collection[str] = ()) -> Campaign:
    """Load, validate and cross-check a campaign: a `.yaml` file, a `.xlsx` workbook, or (when
    the Google store is loaded) a Google Sheet id or URL. Raises ConfigError listing every
    issue — in a workbook each names its tab, row and column.

    `pending_quotas`: forms whose quotas are being allocated (`thidua allocate`), so a quota
    rule without any quota yet is not an error for them.
    """
    ref = campaign_ref(path) if str(path).startswith(("https:/", "http:/")) else str(path)
    if not Path(ref).exists():
        for matches, read in _REMOTE:
            if matches(ref):
                grid, shown = read(ref)
                source = read_grid(grid, shown, builtin_rules(Path.cwd()))
                return _load_source(
                    source, Path.cwd() / "campaign.gsheet", pending_quotas, origin=ref
                )
    file = campaign_file(path)
    if is_workbook(file):
        grid = read_xlsx_grid(file)
        source = read_grid(grid, str(file), builtin_rules(file.parent))
        return _load_source(source, file, pending_quotas)
    doc = read_yaml(file, i18n.t("config.what.campaign"))
    return _load_doc(doc, file, lambda ref: load_template(ref, file.parent), pending_quotas)


def builtin_rules(base_dir: Path) -> Callable[[str], list[dict[str, Any]]]:
    def rules(ref: str) -> list[dict[str, Any]]:
        try:
            spec, _doc = load_template(ref, base_dir)
        except (KeyError, ConfigError):
            return []
        return [r.model_dump(exclude_unset=True) for r in spec.rules]

    return rules


def own_template(doc: Doc) -> TemplateSpec:
    """A template defined in the workbook (tabs «Mẫu», «Cột», «Quy tắc»), checked."""
    try:
        spec = TemplateSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(validation_issues(doc, exc)) from None
    issues = _check_template(spec, doc)
    if issues:
        raise ConfigError(issues)
    return spec


def _load_source(
    source: WorkbookSource,
    file: Path,
    pending_quotas: Collection[str],
    origin: str | None = None,
) -> Campaign:
    checked: dict[str, tuple[TemplateSpec, Doc] | ConfigError] = {}
    for tid, tdoc in source.templates.items():
        try:
            checked[tid] = (own_template(tdoc), tdoc)
        except ConfigError as exc:
            checked[tid] = exc

    def templates(ref: str) -> tuple[TemplateSpec, Doc]:
        found = checked.get(ref)
        if isinstance(found, ConfigError):
            raise ConfigError([])  # reported once, below
        if found is not None:
            return found
        return load_template(ref, file.parent)

    issues = list(source.issues)
    for found in checked.values():
        if isinstance(found, ConfigError):
            issues.extend(found.issues)
    try:
        campaign = _load_doc(source.doc, file, templates, pending_quotas)
    except ConfigError as exc:
        issues.extend(exc.issues)
    else:
        if not issues:
            campaign.origin = origin
            return campaign
    raise ConfigError(_dedupe(issues))


def _dedupe(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    """One issue per cell: the first (a cell that could not be read is not also "missing")."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for issue in issues:
        key: tuple[object, ...] = (
            (issue.sheet, issue.row, issue.column)
            if issue.sheet is not None and issue.row is not None and issue.column
            else (issue.sheet, issue.row, issue.column, issue.path, issue.message)
        )
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


TemplateSource = Callable[[str], tuple[TemplateSpec, "Doc"]]


def _load_doc(
    doc: Doc,
    file: Path,
    templates: TemplateSource,
    pending_quotas: Collection[str] = (),
) -> Campaign:
    try:
        spec = CampaignSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(validation_issues(doc, exc)) from None

    issues: list[ConfigIssue] = []
    try:
        tz = ZoneInfo(spec.campaign.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        issues.append(
            doc.issue(
                ("campaign", "timezone"),
                i18n.t("config.bad_timezone", timezone=spec.campaign.timezone),
            )
        )
        tz = ZoneInfo("Asia/Ho_Chi_Minh")

    forms: list[Form] = []
    form_ids = [f.id for f in spec.forms]
    for i, fspec in enumerate(spec.forms):
        if form_ids.count(fspec.id) > 1 and form_ids.index(fspec.id) != i:
            issues.append(
                doc.issue(("forms", i, "id"), i18n.t("config.duplicate_form_id", form=fspec.id))
            )
        form = _resolve_form(fspec, i, doc, templates, tz, spec, issues, pending_quotas)
        if form is not None:
            forms.append(form)

    _check_units(spec, doc, form_ids, issues)
    _check_cross_form_rules(spec, forms, doc, issues)

    tabs = [f.tab for f in forms]
    for i, form in enumerate(forms):
        if tabs.count(form.tab) > 1 and tabs.index(form.tab) != i:
            issues.append(doc.issue(("forms", i), i18n.t("config.duplicate_tab", tab=form.tab)))

    if issues:
        raise ConfigError(issues)
    return Campaign(
        info=spec.campaign,
        backend=spec.backend,
        policies=dict(spec.quota_policies),
        units=tuple(Unit.from_spec(u) for u in spec.units),
        forms=tuple(forms),
        source=file.resolve(),
        reminders=spec.reminders,
    )


def _resolve_form(
    fspec: FormSpec,
    i: int,
    doc: Doc,
    templates: TemplateSource,
    tz: ZoneInfo,
    spec: CampaignSpec,
    issues: list[ConfigIssue],
    pending_quotas: Collection[str] = (),
) -> Form | None:
    try:
        template, _tdoc = templates(fspec.template)
    except KeyError:
        known = ", ".join(builtin_names("forms"))
        issues.append(
            doc.issue(
                ("forms", i, "template"),
                i18n.t("config.no_such_template", template=fspec.template, known=known),
            )
        )
        return None
    except ConfigError as exc:
        issues.extend(exc.issues)
        return None
    rules = _form_rules(template, fspec, i, doc, issues)
    opens = _as_local(fspec.opens, tz, end_of_day=False)
    due = _as_local(fspec.due, tz, end_of_day=True)
    assert due is not None
    if opens is not None and due <= opens:
        issues.append(
            doc.issue(
                ("forms", i, "due"),
                i18n.t(
                    "config.due_before_opens",
                    due=f"{due:%d/%m/%Y %H:%M}",
                    opens=f"{opens:%d/%m/%Y %H:%M}",
                ),
            )
        )
    if isinstance(fspec.quota, PolicyRef) and fspec.quota.policy not in spec.quota_policies:
        issues.append(
            _unknown_policy(doc, ("forms", i, "quota", "policy"), fspec.quota.policy, spec)
        )
    uses_quota = any(getattr(r, "quota", False) for r in rules)
    has_quota = fspec.quota is not None or any(fspec.id in u.quotas for u in spec.units)
    if uses_quota and not has_quota and fspec.id not in pending_quotas:
        issues.append(
            doc.issue(
                ("forms", i, "rules"),
                i18n.t("config.quota_rule_without_quotas", form=fspec.id),
            )
        )
    try:
        columns = tuple(_resolve_column(c) for c in template.columns)
    except KeyError:
        return None
    applies_to = _resolve_applies(fspec, i, doc, spec, issues)
    deadlines = _resolve_deadlines(fspec, i, doc, spec, tz, due, opens, issues)
    return Form(
        id=fspec.id,
        template_id=template.id,
        title=fspec.title or template.title,
        tab=fspec.tab or template.tab,
        header_row=template.header_row,
        columns=columns,
        rules=tuple(rules),
        due=due,
        opens=opens,
        grace=fspec.grace,
        lock=fspec.lock,
        submission=fspec.submission,
        quota=fspec.quota,
        title_block=tuple(template.title_block),
        instructions=tuple(template.instructions),
        print_title=template.print_title,
        print_sort=tuple(
            (item, "text") if isinstance(item, str) else (item.key, item.by)
            for item in template.print_sort
        ),
        applies_to=applies_to,
        deadlines=deadlines,
    )


def _as_list(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _descendants(spec: CampaignSpec, root: str) -> set[str]:
    below: set[str] = set()
    frontier = {root}
    while frontier:
        frontier = {u.id for u in spec.units if u.parent in frontier} - below
        below |= frontier
    return below


def _resolve_applies(
    fspec: FormSpec, i: int, doc: Doc, spec: CampaignSpec, issues: list[ConfigIssue]
) -> frozenset[str] | None:
    """`applies_to` → the set of unit ids (None when the form applies to every unit)."""
    rule = fspec.applies_to
    if rule is None:
        return None
    ids = [u.id for u in spec.units]
    path: PathKey = ("forms", i, "applies_to")
    before = len(issues)
    if isinstance(rule, list):
        unknown = [u for u in rule if u not in ids]
        if unknown:
            issues.append(
                doc.issue(path, i18n.t("campaign.unknown_units", units=", ".join(unknown)))
            )
        chosen = set(rule) & set(ids)
    else:
        chosen = set(ids)
        levels = _as_list(rule.level)
        if levels:
            known = {u.level for u in spec.units if u.level}
            for level in levels:
                if level not in known:
                    issues.append(
                        doc.issue(
                            (*path, "level"),
                            i18n.t(
                                "campaign.no_unit_with_level",
                                level=level,
                                known=", ".join(sorted(known)) or i18n.t("campaign.none_declared"),
                            ),
                        )
                    )
            chosen &= {u.id for u in spec.units if u.level in levels}
        tags = _as_list(rule.tags)
        if tags:
            known = {t for u in spec.units for t in u.tags}
            for tag in tags:
                if tag not in known:
                    issues.append(
                        doc.issue((*path, "tags"), i18n.t("campaign.no_unit_with_tag", tag=tag))
                    )
            chosen &= {u.id for u in spec.units if set(u.tags) & set(tags)}
        if rule.children_of is not None:
            if rule.children_of not in ids:
                issues.append(
                    doc.issue(
                        (*path, "children_of"),
                        i18n.t("campaign.unknown_unit", unit=rule.children_of),
                    )
                )
            chosen &= _descendants(spec, rule.children_of)
    if not chosen and len(issues) == before:
        issues.append(doc.issue(path, i18n.t("campaign.applies_to_no_unit")))
    return frozenset(chosen)


def _resolve_deadlines(
    fspec: FormSpec,
    i: int,
    doc: Doc,
    spec: CampaignSpec,
    tz: ZoneInfo,
    due: datetime,
    opens: datetime | None,
    issues: list[ConfigIssue],
) -> dict[str, Deadline]:
    """`deadlines:` overrides (by unit id, else by level) → per unit id; unit ids win."""
    by_unit: dict[str, Deadline] = {}
    by_level: dict[str, Deadline] = {}
    ids = {u.id for u in spec.units}
    levels = {u.level for u in spec.units if u.level}
    for key, value in fspec.deadlines.items():
        path: PathKey = ("forms", i, "deadlines", key)
        if isinstance(value, DeadlineSpec):
            own_due = _as_local(value.due, tz, end_of_day=True)
            own_opens = _as_local(value.opens, tz, end_of_day=False) if value.opens else opens
            grace = fspec.grace if value.grace is None else value.grace
        else:
            own_due = _as_local(value, tz, end_of_day=True)
            own_opens, grace = opens, fspec.grace
        assert own_due is not None
        if own_opens is not None and own_due <= own_opens:
            issues.append(
                doc.issue(
                    path,
                    i18n.t(
                        "campaign.due_before_opens",
                        due=f"{own_due:%d/%m/%Y %H:%M}",
                        opens=f"{own_opens:%d/%m/%Y %H:%M}",
                    ),
                )
            )
        deadline = Deadline(due=own_due, opens=own_opens, grace=grace, lock=fspec.lock)
        if key in ids:
            by_unit[key] = deadline
        elif key in levels:
            by_level[key] = deadline
        else:
            issues.append(doc.issue(path, i18n.t("campaign.deadline_key_unknown", key=key)))
    out: dict[str, Deadline] = {}
    for unit in spec.units:
        if unit.id in by_unit:
            out[unit.id] = by_unit[unit.id]
        elif unit.level in by_level:
            out[unit.id] = by_level[unit.level]
    return out


def _form_rules(
    template: TemplateSpec, fspec: FormSpec, i: int, doc: Doc, issues: list[ConfigIssue]
) -> list[RuleSpecBase]:
    """The template's rules minus `disable`, with overrides applied, plus the form's own."""
    rules = with_ids(template.rules)
    index = {r.id: n for n, r in enumerate(rules)}
    known = ", ".join(str(r.id) for r in rules) or i18n.t("config.template_has_no_rules")
    where = i18n.t("config.template_named", template=template.id, known=known)
    disabled: set[str] = set()
    for j, rid in enumerate(fspec.disable):
        if rid not in index:
            issues.append(
                doc.issue(
                    ("forms", i, "disable", j), i18n.t("config.no_such_rule", rule=rid, where=where)
                )
            )
        disabled.add(rid)
    placed: list[tuple[PathKey, RuleSpecBase]] = [(("forms", i, "template"), r) for r in rules]
    changed: list[tuple[PathKey, RuleSpecBase]] = []
    for j, entry in enumerate(fspec.rules):
        path: PathKey = ("forms", i, "rules", j)
        if isinstance(entry, RuleSpecBase):
            placed.append((path, entry))
            changed.append((path, entry))
            continue
        n = index.get(entry.id)
        if n is None:
            issues.append(
                doc.issue(
                    (*path, "id"),
                    i18n.t("config.no_such_rule_to_change", rule=entry.id, where=where),
                )
            )
            continue
        if entry.id in disabled:
            issues.append(
                doc.issue((*path, "id"), i18n.t("config.rule_disabled_and_changed", rule=entry.id))
            )
        current = rules[n]
        data = {**current.model_dump(exclude_unset=True), "id": entry.id, **entry.changes}
        try:
            updated = type(current).model_validate(data)
        except ValidationError as exc:
            issues.extend(validation_issues(doc, exc, path))
            continue
        rules[n] = updated
        placed[n] = (path, updated)
        changed.append((path, updated))
    active = [(p, r) for p, r in placed if r.id not in disabled]
    issues.extend(_check_rules(changed, template.columns, doc))
    issues.extend(_duplicates(active, doc))
    return [r for _p, r in active]


def _unknown_policy(doc: Doc, path: PathKey, name: str, spec: CampaignSpec) -> ConfigIssue:
    known = ", ".join(spec.quota_policies) or i18n.t("config.no_policies")
    return doc.issue(path, i18n.t("config.no_such_policy", name=name, known=known))


def _check_units(
    spec: CampaignSpec, doc: Doc, form_ids: list[str], issues: list[ConfigIssue]
) -> None:
    ids = [u.id for u in spec.units]
    for i, unit in enumerate(spec.units):
        if ids.count(unit.id) > 1 and ids.index(unit.id) != i:
            issues.append(
                doc.issue(("units", i, "id"), i18n.t("config.duplicate_unit_id", unit=unit.id))
            )
        if unit.parent is not None and unit.parent not in ids:
            issues.append(
                doc.issue(
                    ("units", i, "parent"), i18n.t("config.no_such_parent", parent=unit.parent)
                )
            )
        for form_id, quota in unit.quotas.items():
            if form_id not in form_ids:
                issues.append(
                    doc.issue(
                        ("units", i, "quotas", form_id),
                        i18n.t(
                            "config.quota_unknown_form", form=form_id, forms=", ".join(form_ids)
                        ),
                    )
                )
            if isinstance(quota, PolicyRef):
                if quota.policy not in spec.quota_policies:
                    issues.append(
                        _unknown_policy(
                            doc, ("units", i, "quotas", form_id, "policy"), quota.policy, spec
                        )
                    )
                elif unit.staff is None:
                    issues.append(
                        doc.issue(
                            ("units", i, "quotas", form_id),
                            i18n.t("config.policy_needs_staff", policy=quota.policy),
                        )
                    )
    parents = {u.id: u.parent for u in spec.units}
    reported: set[str] = set()
    for i, unit in enumerate(spec.units):
        seen = [unit.id]
        current = parents.get(unit.id)
        while current is not None and current in parents:
            if current in seen:
                cycle = [*seen[seen.index(current) :], current]
                if not reported & set(cycle):
                    issues.append(
                        doc.issue(
                            ("units", i, "parent"),
                            i18n.t("config.parent_cycle") + " → ".join(cycle),
                        )
                    )
                    reported.update(cycle)
                break
            seen.append(current)
            current = parents.get(current)


def _check_cross_form_rules(
    spec: CampaignSpec, forms: list[Form], doc: Doc, issues: list[ConfigIssue]
) -> None:
    by_id = {f.id: f for f in forms}
    for i, form in enumerate(forms):
        for j, rule in enumerate(form.rules):
            where: PathKey = ("forms", i, "rules")
            for ref in rule.references():
                other = by_id.get(ref.form)
                if other is None:
                    issues.append(
                        doc.issue(
                            where,
                            i18n.t("config.rule_unknown_form", kind=rule.kind, form=ref.form),
                        )
                    )
                    continue
                for col in ref.columns:
                    if col not in form.keys or col not in other.keys:
                        issues.append(
                            doc.issue(
                                where,
                                i18n.t(
                                    "config.rule_column_in_both",
                                    kind=rule.kind,
                                    number=j + 1,
                                    column=col,
                                    form=form.id,
                                    other=other.id,
                                ),
                            )
                        )
