"""``python -m citecheck`` and the ``citecheck`` console script: the CLI in a
process of its own, whose imports the garbage collector skips (collector.py)."""

from __future__ import annotations

from .collector import freeze_imports, paused_while_importing


def main() -> None:
    freeze_imports()
    with paused_while_importing():
        from .cli import cli
    cli()


if __name__ == "__main__":
    main()
