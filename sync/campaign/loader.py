"""Load and cross-check a campaign file and its templates (DESIGN §3.1–§3.2)."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from .. import i18n
from ..errors import ConfigError, ConfigIssue
from .campaign import Campaign, Column, Form, Unit
from .model import CampaignSpec, ColumnSpec, FormSpec, PolicyRef, TemplateSpec
from .rulespec import RuleSpec
from .yamlio import PathKey, YamlDoc, read_yaml, validation_issues


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


def _check_template(spec: TemplateSpec, doc: YamlDoc) -> list[ConfigIssue]:
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
    issues += _check_rules(spec.rules, set(keys), doc, ("rules",))
    return issues


def _check_rules(
    rules: list[RuleSpec], keys: set[str], doc: YamlDoc, prefix: PathKey
) -> list[ConfigIssue]:
    issues = []
    for i, rule in enumerate(rules):
        for col in sorted(rule.reads() - keys):
            issues.append(
                doc.issue(
                    (*prefix, i), i18n.t("config.rule_unknown_column", kind=rule.kind, column=col)
                )
            )
    return issues


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
    )


def load_campaign(path: str | Path) -> Campaign:
    """Load, validate and cross-check a campaign file. Raises ConfigError listing every issue."""
    file = Path(path)
    if file.is_dir():
        file = file / "campaign.yaml"
    doc = read_yaml(file, i18n.t("config.what.campaign"))
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
        form = _resolve_form(fspec, i, doc, file.parent, tz, spec, issues)
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
    )


def _resolve_form(
    fspec: FormSpec,
    i: int,
    doc: YamlDoc,
    base_dir: Path,
    tz: ZoneInfo,
    spec: CampaignSpec,
    issues: list[ConfigIssue],
) -> Form | None:
    try:
        template, _tdoc = load_template(fspec.template, base_dir)
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
    keys = {c.key for c in template.columns}
    issues += _check_rules(fspec.rules, keys, doc, ("forms", i, "rules"))
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
    uses_quota = any(getattr(r, "quota", False) for r in (*template.rules, *fspec.rules))
    if uses_quota and fspec.quota is None and not any(fspec.id in u.quotas for u in spec.units):
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
    return Form(
        id=fspec.id,
        template_id=template.id,
        title=fspec.title or template.title,
        tab=fspec.tab or template.tab,
        header_row=template.header_row,
        columns=columns,
        rules=(*template.rules, *fspec.rules),
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
    )


def _unknown_policy(doc: YamlDoc, path: PathKey, name: str, spec: CampaignSpec) -> ConfigIssue:
    known = ", ".join(spec.quota_policies) or i18n.t("config.no_policies")
    return doc.issue(path, i18n.t("config.no_such_policy", name=name, known=known))


def _check_units(
    spec: CampaignSpec, doc: YamlDoc, form_ids: list[str], issues: list[ConfigIssue]
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
    spec: CampaignSpec, forms: list[Form], doc: YamlDoc, issues: list[ConfigIssue]
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
