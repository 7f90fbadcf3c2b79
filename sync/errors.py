"""The project's exception hierarchy (gspread style): one base, small subclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from . import i18n

E = TypeVar("E", bound="ThiduaError")


class ThiduaError(Exception):
    """Base of every error thidua-sync raises on purpose.

    Its text comes from the message catalogue: `raise ReviewError.of("review.no_unit",
    unit=…)` reads the id in the current language and keeps it as `message_id`, which
    callers and tests compare instead of the sentence (docs/messages.md)."""

    message_id: str | None = None

    @classmethod
    def of(cls: type[E], message_id: str, /, **params: Any) -> E:
        """The error whose text is catalogue message `message_id` filled with `params`."""
        error = cls(i18n.t(message_id, **params))
        error.message_id = message_id
        return error


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a campaign or template file."""

    file: str
    path: str
    message: str
    line: int | None = None
    subject: str | None = None
    """Who the path is about, e.g. "đơn vị TP-LAICHAU" for a path under units[0]."""
    sheet: str | None = None
    """In a campaign workbook: the tab («Đơn vị»), row (1-based) and column header."""
    row: int | None = None
    column: str | None = None

    @property
    def cell(self) -> str:
        """ "Trang «Đơn vị», dòng 7, cột «Số CB-NLĐ»" (workbook issues; "" otherwise)."""
        if self.sheet is None:
            return ""
        parts = [i18n.t("workbook.at_sheet", sheet=self.sheet)]
        if self.row is not None:
            parts.append(i18n.t("workbook.at_row", row=self.row))
        if self.column:
            parts.append(i18n.t("workbook.at_column", column=self.column))
        return ", ".join(parts)

    @property
    def where(self) -> str:
        """The path as people read it: 'đơn vị TP-LAICHAU (units[0]) — staff'."""
        if not self.subject:
            return self.path
        end = self.path.find("]") + 1
        head, tail = self.path[:end], self.path[end:].lstrip(".")
        return f"{self.subject} ({head})" + (f" — {tail}" if tail else "")

    def __str__(self) -> str:
        if self.sheet is not None:
            return ": ".join(p for p in (self.file, self.cell, self.message) if p)
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [p for p in (where, self.where) if p]
        return ": ".join([*parts, self.message])


class ConfigError(ThiduaError):
    """The campaign file or a template is invalid."""

    def __init__(self, issues: list[ConfigIssue] | str) -> None:
        if isinstance(issues, str):
            issues = [ConfigIssue(file="", path="", message=issues)]
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class StoreError(ThiduaError):
    """A sheet store could not read or write."""


class SheetNotFound(StoreError):
    """A unit's spreadsheet or workbook does not exist or cannot be opened."""


class WorkbookUnreadable(StoreError):
    """A workbook exists but is not a readable xlsx (wrong format, encrypted, damaged)."""


class WorkbookLocked(StoreError):
    """A workbook is locked or held open by another process."""


class PermissionDenied(StoreError):
    """The service has no right to read or write a sheet or folder."""


class QuotaExceeded(StoreError):
    """Google refused for quota reasons (rate limit or Drive storage)."""


class RemoteError(StoreError):
    """A remote API answered with an error after all retries."""


class SubmissionError(ThiduaError):
    """A submission cannot be accepted (locked, not valid, unknown unit or form)."""


class AllocationError(ThiduaError):
    """A total cannot be split over units as asked."""


class ReviewError(ThiduaError):
    """A review or an extension cannot be recorded (nothing submitted, bad date…)."""
