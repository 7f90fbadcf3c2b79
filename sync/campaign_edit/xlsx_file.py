"""Apply edits to a campaign workbook (.xlsx): the cells of «Đơn vị» and «Biểu mẫu» change
in place through `sync.campaign_xlsx.edit_workbook` (formatting, notes, dropdowns and the
other tabs are kept); the old values come from the campaign as loaded."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .. import i18n
from ..campaign import Campaign, Form, Unit, load_campaign
from ..campaign.model import PolicyRef, parse_duration
from ..campaign_xlsx import edit_workbook
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


def apply_xlsx(file: Path, edits: Sequence[Edit]) -> tuple[bytes, list[Change]]:
    """The workbook's new bytes and what changed (empty when nothing changes)."""
    old = load_campaign(file)
    units: dict[str, dict[str, Any]] = {}
    forms: dict[str, dict[str, Any]] = {}
    new_units: list[dict[str, Any]] = []
    changes: list[Change] = []
    policies = list(old.policies)
    for edit in edits:
        if isinstance(edit, UnitEdit):
            unit = _unit(old, edit.id)
            wanted: list[tuple[str, Any, Any]] = []
            if edit.level is not None:
                wanted.append(("level", unit.level, parse_text(edit.level)))
            if edit.staff is not None:
                wanted.append(("staff", unit.staff, parse_whole(edit.staff)))
            if edit.editors is not None:
                wanted.append(("editors", list(unit.editors) or None, parse_editors(edit.editors)))
            for form_id, raw in edit.quotas.items():
                before = _model(unit.quotas.get(form_id))
                wanted.append((f"quotas.{form_id}", before, parse_quota(raw, policies)))
            for name, before, after in wanted:
                if plain(before) != plain(after):
                    units.setdefault(unit.id, {})[name] = after
                    changes.append(Change("unit", unit.id, name, plain(before), plain(after)))
        elif isinstance(edit, FormEdit):
            form = _form(old, edit.id)
            if edit.due_date is not None:
                before_text = _due_text(form, old)
                after = _due_value(parse_due(edit.due_date, edit.due_time or ""))
                if plain(after) != before_text:
                    forms.setdefault(form.id, {})["due"] = after
                    changes.append(Change("form", form.id, "due", before_text, plain(after)))
            if edit.grace is not None:
                grace = parse_grace(edit.grace)
                value = _grace_value(grace)
                if value != form.grace:
                    forms.setdefault(form.id, {})["grace"] = value
                    changes.append(Change("form", form.id, "grace", _grace_text(form.grace), grace))
        else:
            added = _new_unit(edit, policies)
            new_units.append(added)
            changes.append(Change("unit", added["id"], "added", None, plain(added)))
    if not changes:
        return file.read_bytes(), []
    fd, name = tempfile.mkstemp(prefix=f".{file.stem}.edit-", suffix=file.suffix, dir=file.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        shutil.copyfile(file, tmp)
        edit_workbook(tmp, units=units, forms=forms, new_units=new_units)
        return tmp.read_bytes(), changes
    except OSError as exc:
        raise ConfigError(
            i18n.t("settings.cannot_write", file=file.name, reason=exc.strerror or exc)
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _unit(campaign: Campaign, unit_id: str) -> Unit:
    try:
        return campaign.unit(unit_id)
    except KeyError:
        raise ConfigError(i18n.t("settings.no_such_unit", unit=unit_id)) from None


def _form(campaign: Campaign, form_id: str) -> Form:
    try:
        return campaign.form(form_id)
    except KeyError:
        raise ConfigError(i18n.t("settings.no_such_form", form=form_id)) from None


def _model(value: int | PolicyRef | None) -> Any:
    return {"policy": value.policy} if isinstance(value, PolicyRef) else value


def _due_text(form: Form, campaign: Campaign) -> str:
    """The form's due as the campaign file would write it (a day alone at 23:59:59)."""
    local = form.due.astimezone(campaign.tz).replace(tzinfo=None)
    if (local.hour, local.minute, local.second) == (23, 59, 59):
        return local.date().isoformat()
    return str(plain(local))


def _due_value(value: date | str) -> date | datetime | str:
    """A cell value: a date, a date-time (local), or the typed text for the loader."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _grace_value(text: str | None) -> timedelta | str:
    if text is None:
        return timedelta(0)
    try:
        return parse_duration(text)
    except ValueError:
        return text  # the loader says why


def _grace_text(value: timedelta) -> str | None:
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return None
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return "".join(f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (rest // 60, "m")) if n)


def _new_unit(edit: NewUnit, policies: list[str]) -> dict[str, Any]:
    unit: dict[str, Any] = {"id": edit.id.strip(), "name": edit.name.strip()}
    for key, value in (
        ("parent", parse_text(edit.parent)),
        ("level", parse_text(edit.level)),
        ("editors", parse_editors(edit.editors)),
        ("staff", parse_whole(edit.staff)),
    ):
        if value is not None:
            unit[key] = value
    quotas = {
        k: q for k, raw in edit.quotas.items() if (q := parse_quota(raw, policies)) is not None
    }
    if quotas:
        unit["quotas"] = quotas
    return unit
