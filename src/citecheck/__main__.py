"""``python -m citecheck`` and the ``citecheck`` console script: the CLI in a
process of its own, with the garbage collector set for it (collector.py)."""

from __future__ import annotations

from . import collector


def main() -> None:
    collector.set_for_this_process()
    with collector.paused_while_importing():
        from .cli import cli
    cli()


if __name__ == "__main__":
    main()
