"""Server-rendered SVG charts (no JavaScript library, no CDN): completeness and timeliness.

Bars are sized in percent of the chart's width, text in pixels, so the chart stays legible
from a phone (360 px) to a desktop without scaling the text.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from markupsafe import Markup, escape

from sync.progress import Progress

from .dashboard_data import fmt_pct

COMPLETE = "#0b4f8a"  # brand blue
ON_TIME = "#1a6b32"  # green
TRACK = "#e3e8ee"
INK = "#1b1f24"
GROUP_H = 96
BAR_H = 12


def _bar(y: int, share: float, colour: str, label: str) -> str:
    width = max(0.0, min(1.0, share)) * 100
    return (
        f'<text x="0" y="{y + 13}" font-size="13" fill="{INK}">{escape(label)}</text>'
        f'<rect x="0" y="{y + 19}" width="100%" height="{BAR_H}" rx="3" fill="{TRACK}"/>'
        f'<rect x="0" y="{y + 19}" width="{width:.2f}%" height="{BAR_H}" rx="3" '
        f'fill="{colour}"/>'
    )


def progress_chart(chart_id: str, title: str, groups: Sequence[Progress]) -> Markup:
    """Per group (the campaign, then each parent's subtree): two bars with counts and %."""
    lines: list[str] = []
    described: list[str] = []
    y = 0
    for p in groups:
        name = (
            (_("Toàn đợt") if p.group == "*" else p.group_name)
            + " — "
            + _("%(n)d đơn vị", n=p.expected)
        )
        done = _(
            "Đã nộp: %(n)d/%(total)d (%(pct)s)",
            n=p.submitted,
            total=p.expected,
            pct=fmt_pct(p.completeness),
        )
        timely = _(
            "Nộp đúng hạn: %(n)d/%(total)d (%(pct)s)",
            n=p.on_time,
            total=p.expected,
            pct=fmt_pct(p.timeliness),
        )
        described.append(f"{name}: {done}; {timely}.")
        lines.append(
            f'<text x="0" y="{y + 15}" font-size="14" font-weight="600" fill="{INK}">'
            f"{escape(name)}</text>"
        )
        lines.append(_bar(y + 20, p.completeness, COMPLETE, done))
        lines.append(_bar(y + 54, p.timeliness, ON_TIME, timely))
        y += GROUP_H
    height = max(y - 8, 20)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    svg = (
        f'<svg class="chart" id="{escape(chart_id)}" width="100%" height="{height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(" ".join(described))}</desc>' + "".join(lines) + "</svg>"
    )
    return Markup(svg)
