"""The command line (``commands.py``) over its shared options (``options.py``) and
what it prints (``output.py``)."""

from __future__ import annotations

from .commands import cli

__all__ = ["cli"]
