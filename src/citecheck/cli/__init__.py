"""The command line: ``citecheck`` and its commands (``commands.py``), the options
they share and how errors become exit codes (``options.py``), and what they print
(``output.py``)."""

from __future__ import annotations

from .commands import cli
from .options import EXIT_FAILED, EXIT_USAGE

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "cli"]
