"""Completeness and timeliness per form, rolled up through `parent`.

See docs/design.md, Deadlines and timeliness.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from . import i18n
from .campaign import Campaign
from .consolidate import subtree, tree_order
from .rules.engine import UnitSummary


@dataclass(frozen=True)
class Progress:
    """Counts for one form over a group of units (a parent's subtree or everything)."""

    form: str
    group: str
    group_name: str
    depth: int
    expected: int
    started: int
    valid: int
    submitted: int
    on_time: int
    late: int

    @property
    def completeness(self) -> float:
        return self.submitted / self.expected if self.expected else 0.0

    @property
    def timeliness(self) -> float:
        return self.on_time / self.expected if self.expected else 0.0

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["completeness"] = round(self.completeness, 4)
        data["timeliness"] = round(self.timeliness, 4)
        return data


def _count(form: str, group: str, name: str, depth: int, items: list[UnitSummary]) -> Progress:
    """Counts over the units the form applies to (others are not expected)."""
    items = [s for s in items if s.applicable]
    submitted = [s for s in items if s.submitted]
    return Progress(
        form=form,
        group=group,
        group_name=name,
        depth=depth,
        expected=len(items),
        started=sum(1 for s in items if s.rows > 0),
        valid=sum(1 for s in items if s.rows > 0 and s.errors == 0),
        submitted=len(submitted),
        on_time=sum(1 for s in submitted if s.on_time),
        late=sum(1 for s in submitted if s.on_time is False),
    )


def progress(campaign: Campaign, summaries: Iterable[UnitSummary]) -> list[Progress]:
    """Per form: the whole campaign first, then every unit that has children (its subtree)."""
    by_key = {(s.unit, s.form): s for s in summaries}
    out = []
    for form in campaign.forms:
        everyone = [by_key[(u.id, form.id)] for u in campaign.units if (u.id, form.id) in by_key]
        out.append(_count(form.id, "*", i18n.t("progress.whole_campaign"), 0, everyone))
        for unit, depth in tree_order(campaign):
            if not campaign.children(unit.id):
                continue
            ids = subtree(campaign, unit.id)
            items = [by_key[(u, form.id)] for u in ids if (u, form.id) in by_key]
            out.append(_count(form.id, unit.id, unit.name, depth + 1, items))
    return out
