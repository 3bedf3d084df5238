"""The command line: ``citecheck`` and its commands (``commands.py``), the options
they share and how errors become exit codes (``options.py``), what they print
(``output.py``), and the database's upkeep (``db.py``: ``db migrate``, ``db copy``)."""

from __future__ import annotations

from .commands import cli
from .db import db
from .options import EXIT_FAILED, EXIT_USAGE

cli.add_command(db)

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "cli"]
