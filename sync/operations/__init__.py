"""The use cases: what the CLI, the demo, the queue and the web pages ask of `sync`.

Every caller goes through here to check units, consolidate and submit, so a run records
the same audit rows wherever it started. An operation is a function taking a
`Workspace` (campaign, sheet store, states) first; it takes its states with
`ws.states()`, calls the pipeline, and records what it found through the `States`
protocol (`sync.form_state`), which the audit database implements. A new operation
(`review`, `return`, `extend`…) is one more module here, re-exported below.
"""

from __future__ import annotations

from ..pipeline import SheetCache
from .checks import check_units, warm_cache
from .consolidation import Consolidation, consolidate
from .review import Reviewed, extend, review
from .submission import Submitted, submit
from .workspace import Workspace, new_run_id, open_workspace

__all__ = [
    "Consolidation",
    "Reviewed",
    "SheetCache",
    "Submitted",
    "Workspace",
    "check_units",
    "consolidate",
    "extend",
    "new_run_id",
    "open_workspace",
    "review",
    "submit",
    "warm_cache",
]
