"""Declarative shapes of the campaign file (docs/design.md: Campaign file, Form templates).

These are validated with pydantic (unknown keys are errors); cross-references are checked
by `sync.campaign.loader`, which also turns them into the resolved `Campaign`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import i18n
from ..normalize import parse_when
from .rulespec import RuleEntry, RuleSpec

ColumnType = Literal[
    "text", "integer", "number", "percent", "year", "date", "bool", "choice", "email", "phone"
]
KEY_RE = r"^[a-z][a-z0-9_]*$"
UNIT_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(_Model):
    key: str = Field(pattern=KEY_RE)
    header: str = Field(min_length=1)
    type: ColumnType = "text"
    required: bool = False
    choices: list[str] | str | None = None
    min: float | date | None = None
    max: float | date | None = None
    pattern: str | None = None
    help: str | None = None
    width: int | None = Field(default=None, ge=4, le=120)
    print: bool = True
    """Shown in the printed / Word official list."""
    print_width: float | None = Field(default=None, gt=0, le=120)
    """Relative width in the printed list (characters, like `width`; scaled to the page)."""
    formula: Literal["error", "warning", "allow"] | None = None
    """Text that looks like a spreadsheet formula (=HYPERLINK(…)): error in name columns,
    warning elsewhere, unless set here."""

    @field_validator("min", "max", mode="before")
    @classmethod
    def _date_bound(cls, value: object) -> object:
        if isinstance(value, str) and any(sep in value for sep in "-/"):
            when = parse_when(value)
            return when.date() if isinstance(when, datetime) else when
        return value

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(i18n.t("campaign.bad_pattern", exc=exc)) from exc
        return value

    @model_validator(mode="after")
    def _choices_need_choice(self) -> ColumnSpec:
        if self.type == "choice" and not self.choices:
            raise ValueError(i18n.t("campaign.choice_needs_choices"))
        if self.min is not None and self.max is not None and self.min > self.max:  # type: ignore[operator]
            raise ValueError(i18n.t("campaign.min_above_max", min=self.min, max=self.max))
        return self


class PrintSort(_Model):
    key: str = Field(pattern=KEY_RE)
    by: Literal["text", "given_name"] = "text"
    """`given_name`: Vietnamese names by the last word (tên) first, then the whole name."""


class TemplateSpec(_Model):
    id: str = Field(pattern=KEY_RE)
    title: str = Field(min_length=1)
    tab: str = Field(min_length=1, max_length=100)
    header_row: int = Field(default=1, ge=1, le=50)
    title_block: list[str] = Field(default_factory=list)
    instructions: list[str] = Field(default_factory=list)
    columns: list[ColumnSpec] = Field(min_length=1)
    rules: list[RuleSpec] = Field(default_factory=list)
    print_title: str | None = None
    """Title of the printed / Word official list (default: the form's title, upper case)."""
    print_sort: list[str | PrintSort] = Field(default_factory=list)
    """Order of rows inside a unit in the official list (Vietnamese collation)."""

    @field_validator("tab")
    @classmethod
    def _tab_name(cls, value: str) -> str:
        bad = set(value) & set("[]:*?/\\")
        if bad:
            raise ValueError(i18n.t("campaign.bad_tab_characters", characters="".join(sorted(bad))))
        return value

    @model_validator(mode="after")
    def _title_block_fits(self) -> TemplateSpec:
        if len(self.title_block) >= self.header_row:
            raise ValueError(
                i18n.t(
                    "campaign.title_block_too_long",
                    count=len(self.title_block),
                    header_row=self.header_row,
                )
            )
        keys = {c.key for c in self.columns}
        for item in self.print_sort:
            key = item if isinstance(item, str) else item.key
            if key not in keys:
                raise ValueError(i18n.t("campaign.print_sort_unknown_column", key=key))
        if not any(c.print for c in self.columns):
            raise ValueError(i18n.t("campaign.nothing_printed"))
        return self


class Tier(_Model):
    below: int | None = Field(default=None, gt=0)
    share: float = Field(ge=0, le=1)
    max: int | None = Field(default=None, ge=0)
    min: int | None = Field(default=None, ge=0)


class TieredPolicy(_Model):
    kind: Literal["tiered"]
    base: Literal["staff"] = "staff"
    rounding: Literal["floor", "round", "ceil"] = "floor"
    tiers: list[Tier] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> TieredPolicy:
        bounds = [t.below for t in self.tiers]
        if bounds[-1] is not None:
            raise ValueError(i18n.t("campaign.last_tier_below"))
        if any(b is None for b in bounds[:-1]):
            raise ValueError(i18n.t("campaign.tier_needs_below"))
        numbers = [b for b in bounds[:-1] if b is not None]
        if numbers != sorted(set(numbers)):
            raise ValueError(i18n.t("campaign.tiers_not_increasing"))
        return self


QuotaPolicy = Annotated[TieredPolicy, Field(discriminator="kind")]


class PolicyRef(_Model):
    policy: str


LEVEL_RE = r"^[a-z][a-z0-9_]*$"


class UnitSpec(_Model):
    id: str = Field(pattern=UNIT_ID_RE, max_length=40)
    name: str = Field(min_length=1)
    parent: str | None = None
    level: str | None = Field(default=None, pattern=LEVEL_RE, max_length=40)
    tags: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(default_factory=list)
    editors: list[str] = Field(default_factory=list)
    staff: int | None = Field(default=None, ge=0)
    quotas: dict[str, Annotated[int, Field(ge=0)] | PolicyRef] = Field(default_factory=dict)
    spreadsheet: str | None = None

    @field_validator("editors")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise ValueError(i18n.t("campaign.bad_email", email=email))
        return value


class AppliesTo(_Model):
    """Which units a form applies to: by level, by tag, or below a unit (all must hold)."""

    level: str | list[str] | None = None
    tags: str | list[str] | None = None
    children_of: str | None = None

    @model_validator(mode="after")
    def _something(self) -> AppliesTo:
        if self.level is None and self.tags is None and self.children_of is None:
            raise ValueError(i18n.t("campaign.applies_to_empty"))
        return self


class DeadlineSpec(_Model):
    """A deadline override for some units of a form."""

    opens: date | datetime | None = None
    due: date | datetime
    grace: timedelta | None = None

    @field_validator("opens", "due", mode="before")
    @classmethod
    def _when(cls, value: object) -> object:
        return parse_when(value) if isinstance(value, str) else value

    @field_validator("grace", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, (str, int)) else value


class FormSpec(_Model):
    id: str = Field(pattern=KEY_RE)
    template: str
    title: str | None = None
    tab: str | None = None
    opens: date | datetime | None = None
    due: date | datetime
    grace: timedelta = timedelta(0)
    lock: bool = False
    submission: Literal["explicit", "implicit"] = "explicit"
    quota: Annotated[int, Field(ge=0)] | PolicyRef | None = None
    disable: list[str] = Field(default_factory=list)
    """Ids of template rules this form does not check."""
    rules: list[RuleEntry] = Field(default_factory=list)
    applies_to: list[str] | AppliesTo | None = None
    deadlines: dict[str, date | datetime | DeadlineSpec] = Field(default_factory=dict)

    @field_validator("opens", "due", mode="before")
    @classmethod
    def _when(cls, value: object) -> object:
        return parse_when(value) if isinstance(value, str) else value

    @field_validator("deadlines", mode="before")
    @classmethod
    def _deadline_dates(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: parse_when(v) if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("grace", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, (str, int)) else value


class Signer(_Model):
    """A signature block of the official list: "TM. BAN THƯỜNG VỤ" / "CHỦ TỊCH" / name."""

    title: str | None = None
    role: str = Field(min_length=1)
    name: str | None = None


class CampaignInfo(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str = Field(min_length=1)
    organizer: str = Field(min_length=1)
    parent_body: str | None = None
    """The organiser's governing body, above its name in official documents."""
    place: str | None = None
    """Place of the date line of official documents ("Lai Châu, ngày … tháng … năm …")."""
    signers: list[Signer] = Field(default_factory=list, max_length=3)
    contact: str | None = None
    """Whom units ask (named in the guide tab of their workbook)."""
    timezone: str = "Asia/Ho_Chi_Minh"
    language: Literal["vi", "en"] = "vi"


class LocalBackend(_Model):
    kind: Literal["local"]
    path: str = "./workbooks"


class GoogleQuota(_Model):
    """Sheets API requests a minute (Google: 60 per user — a service account — and 300 per
    project, reads and writes counted apart)."""

    reads_per_minute: int = Field(default=60, ge=1)
    writes_per_minute: int = Field(default=60, ge=1)
    project_reads_per_minute: int = Field(default=300, ge=1)
    project_writes_per_minute: int = Field(default=300, ge=1)


class GoogleBackend(_Model):
    kind: Literal["google"]
    credentials: str | list[str] | None = None
    """One service-account key file, or several that share the load."""
    oauth_client: str | None = None
    folder_id: str | None = None
    consolidated: str | None = None
    notify_editors: bool = False
    requests_per_minute: int = Field(default=240, ge=1, le=300)
    quota: GoogleQuota = GoogleQuota()
    template_spreadsheet: str | None = None
    """An organiser-prepared spreadsheet holding the bound add-on: units are copies of it."""
    service_url: str | None = None
    """Where the add-on sends its events (written into each copy's developer metadata)."""

    @property
    def credential_files(self) -> list[str]:
        if self.credentials is None:
            return []
        return [self.credentials] if isinstance(self.credentials, str) else list(self.credentials)


Backend = Annotated[LocalBackend | GoogleBackend, Field(discriminator="kind")]


class RemindersSpec(_Model):
    """When the service e-mails late units: durations before and after each form's due."""

    before: list[timedelta] = Field(default_factory=list)
    after: list[timedelta] = Field(default_factory=list)

    @field_validator("before", "after", mode="before")
    @classmethod
    def _durations(cls, value: object) -> object:
        if isinstance(value, list):
            return [parse_duration(v) if isinstance(v, (str, int)) else v for v in value]
        return value


class CampaignSpec(_Model):
    campaign: CampaignInfo
    backend: Backend = LocalBackend(kind="local")
    quota_policies: dict[str, QuotaPolicy] = Field(default_factory=dict)
    reminders: RemindersSpec | None = None
    units: list[UnitSpec] = Field(min_length=1)
    forms: list[FormSpec] = Field(min_length=1)


_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhm])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_duration(value: object) -> timedelta:
    """'2d', '12h', '1d12h', '30m', 0 → timedelta."""
    if isinstance(value, int) and value == 0:
        return timedelta(0)
    text = str(value).strip().lower().replace(" ", "")
    if text in ("0", ""):
        return timedelta(0)
    parts = _DURATION_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(i18n.t("campaign.bad_duration", value=value))
    total = timedelta(0)
    for number, unit in parts:
        total += timedelta(**{_UNITS[unit]: float(number)})
    return total
