"""The resolved campaign: units, forms with their templates, quotas, deadlines."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .model import (
    Backend,
    CampaignInfo,
    ColumnType,
    GoogleBackend,
    LocalBackend,
    PolicyRef,
    QuotaPolicy,
    RemindersSpec,
    UnitSpec,
)
from .policies import resolve_quota
from .rulespec import RuleSpec

STATUS_HEADER = "Kết quả kiểm tra"


@dataclass(frozen=True)
class Column:
    """A column of a form, with its choice list resolved."""

    key: str
    header: str
    type: ColumnType
    required: bool = False
    choices: tuple[str, ...] | None = None
    choice_list: str | None = None
    min: float | date | None = None
    max: float | date | None = None
    pattern: str | None = None
    help: str | None = None
    width: int | None = None
    print: bool = True
    print_width: float | None = None
    formula: str | None = None
    """error / warning / allow for formula-looking text; None: by column (see `formula_severity`)."""

    @property
    def is_name(self) -> bool:
        """A column holding a person's or a body's name (Họ và tên, Tên…)."""
        header = self.header.casefold()
        return self.key in ("ho_ten", "ten") or header.startswith(("họ và tên", "họ tên", "tên"))

    @property
    def formula_severity(self) -> str | None:
        """Severity of `formula_text` in this column (None: allowed)."""
        if self.formula == "allow" or self.type != "text":
            return None
        return self.formula or ("error" if self.is_name else "warning")


@dataclass(frozen=True)
class Deadline:
    """When one unit's form opens, is due and closes (the form's, an override or an extension)."""

    due: datetime
    opens: datetime | None = None
    grace: timedelta = timedelta(0)
    lock: bool = False
    extended: bool = False
    """True when an organiser's extension moved it (on time is then "đúng hạn (gia hạn)")."""
    reopened_until: datetime | None = None
    """A return for correction opens the form to the unit until then, whatever the lock."""

    @property
    def closes(self) -> datetime:
        """End of the grace period (or of a return): after it, a locked form accepts nothing."""
        end = self.due + self.grace
        if self.reopened_until is not None and self.reopened_until > end:
            return self.reopened_until
        return end

    def extend(self, until: datetime) -> Deadline:
        """This deadline with its due time moved to `until` by an extension (grace kept)."""
        return replace(self, due=until, extended=True)

    def reopen(self, until: datetime) -> Deadline:
        """This deadline with the form open again until `until` (a return for correction)."""
        return replace(self, reopened_until=until)


@dataclass(frozen=True)
class Form:
    """A form of the campaign: its template's columns and rules plus deadline and quota."""

    id: str
    template_id: str
    title: str
    tab: str
    header_row: int
    columns: tuple[Column, ...]
    rules: tuple[RuleSpec, ...]
    due: datetime
    opens: datetime | None = None
    grace: timedelta = timedelta(0)
    lock: bool = False
    submission: str = "explicit"
    quota: int | PolicyRef | None = None
    title_block: tuple[str, ...] = ()
    instructions: tuple[str, ...] = ()
    status_header: str = STATUS_HEADER
    print_title: str | None = None
    print_sort: tuple[tuple[str, str], ...] = ()
    """(column key, "text" | "given_name") pairs ordering rows inside a unit when printed."""

    @property
    def print_columns(self) -> list[Column]:
        """Columns of the official list (print / Word), in form order."""
        return [c for c in self.columns if c.print]

    @property
    def official_title(self) -> str:
        """Title of the official list: the template's `print_title`, else the form's title."""
        return self.print_title or self.title.upper()

    applies_to: frozenset[str] | None = None
    """Unit ids the form applies to (None: every unit)."""
    deadlines: dict[str, Deadline] = field(default_factory=dict)
    """Per-unit deadline overrides (levels already expanded to unit ids)."""

    def applies(self, unit_id: str) -> bool:
        """Whether the unit fills this form (units outside `applies_to` get no tab)."""
        return self.applies_to is None or unit_id in self.applies_to

    def deadline_for(self, unit_id: str | None) -> Deadline:
        """The unit's deadline: its override, else the form's."""
        found = self.deadlines.get(unit_id) if unit_id is not None else None
        if found is not None:
            return found
        return Deadline(due=self.due, opens=self.opens, grace=self.grace, lock=self.lock)

    @property
    def closes(self) -> datetime:
        """End of the grace period: after it, a locked form accepts nothing."""
        return self.due + self.grace

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def header_of(self, key: str | None) -> str:
        """The header a user sees for a column key ('' for none, the key if unknown)."""
        if not key:
            return ""
        for col in self.columns:
            if col.key == key:
                return col.header
        return key

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


@dataclass(frozen=True)
class Unit:
    """A unit (đơn vị) that fills the forms."""

    id: str
    name: str
    parent: str | None = None
    editors: tuple[str, ...] = ()
    staff: int | None = None
    quotas: dict[str, int | PolicyRef] = field(default_factory=dict)
    spreadsheet: str | None = None
    level: str | None = None
    tags: tuple[str, ...] = ()

    @classmethod
    def from_spec(cls, spec: UnitSpec) -> Unit:
        return cls(
            id=spec.id,
            name=spec.name,
            parent=spec.parent,
            editors=tuple(spec.editors),
            staff=spec.staff,
            quotas=dict(spec.quotas),
            spreadsheet=spec.spreadsheet,
            level=spec.level,
            tags=tuple(spec.tags),
        )


@dataclass
class Campaign:
    """A loaded, cross-checked campaign."""

    info: CampaignInfo
    backend: Backend
    policies: dict[str, QuotaPolicy]
    units: tuple[Unit, ...]
    forms: tuple[Form, ...]
    source: Path
    extra: dict[str, Any] = field(default_factory=dict)
    reminders: RemindersSpec | None = None  # the service's e-mail schedule (sync.reminders)
    origin: str | None = None
    """The Google Sheet id or URL the campaign was read from (None: a file, `source`)."""

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.info.timezone)

    @property
    def language(self) -> str:
        return self.info.language

    @property
    def base_dir(self) -> Path:
        return self.source.parent

    @property
    def local_path(self) -> Path:
        """Folder of the local backend's workbooks (relative paths are from the campaign file)."""
        path = (
            Path(self.backend.path) if isinstance(self.backend, LocalBackend) else Path("workbooks")
        )
        return path if path.is_absolute() else (self.base_dir / path)

    @property
    def google(self) -> GoogleBackend | None:
        return self.backend if isinstance(self.backend, GoogleBackend) else None

    def unit(self, unit_id: str) -> Unit:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise KeyError(unit_id)

    def form(self, form_id: str) -> Form:
        for form in self.forms:
            if form.id == form_id:
                return form
        raise KeyError(form_id)

    def deadline(self, unit_id: str, form_id: str) -> Deadline:
        """The unit's deadline for the form from the campaign file (overrides included)."""
        return self.form(form_id).deadline_for(unit_id)

    def forms_for(self, unit_id: str) -> tuple[Form, ...]:
        """The forms a unit fills (those whose `applies_to` includes it)."""
        return tuple(f for f in self.forms if f.applies(unit_id))

    def units_for(self, form_id: str) -> tuple[Unit, ...]:
        """The units a form applies to, in campaign order."""
        form = self.form(form_id)
        return tuple(u for u in self.units if form.applies(u.id))

    def children(self, unit_id: str | None) -> list[Unit]:
        return [u for u in self.units if u.parent == unit_id]

    def quota(self, unit_id: str, form_id: str) -> int | None:
        """The unit's quota for the form: explicit number, or computed by its policy."""
        unit = self.unit(unit_id)
        value = unit.quotas.get(form_id, self.form(form_id).quota)
        return resolve_quota(value, unit, self.policies)

    def quotas(self, form_id: str) -> dict[str, int | None]:
        """Quotas of the units the form applies to."""
        return {u.id: self.quota(u.id, form_id) for u in self.units_for(form_id)}
