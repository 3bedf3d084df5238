"""``python -m citecheck`` runs the CLI."""

from .cli import cli

cli()
