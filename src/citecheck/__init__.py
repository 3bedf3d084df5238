"""citecheck: check, archive and repair the links that campaign texts cite as evidence."""

__version__ = "0.1.0"
