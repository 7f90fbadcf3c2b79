"""`thidua` — a thin click CLI over the library (docs/design.md).

Exit status: 0 fine, 1 validation errors found, 2 usage or configuration error.
"""

from __future__ import annotations

import sys

from . import (  # noqa: F401  (register commands)
    campaign_cmds,
    demo_cmds,
    export_cmds,
    language,
    links_cmds,
    record_cmds,
    remind_cmds,
    serve_cmds,
    sheet_cmds,
    user_cmds,
    watch_cmds,
    worker_cmds,
)
from .app import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, cli

language.choose(None, cli)

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "cli", "main"]


def main() -> None:
    """Console-script entry point."""
    # the language must be known before click prints anything (e.g. `--help --lang en`)
    language.choose(language.language_in(sys.argv[1:]), cli)
    cli(prog_name="thidua")


if __name__ == "__main__":  # pragma: no cover
    main()
