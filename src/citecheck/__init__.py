"""citecheck: check, archive and repair the links that campaign texts cite as evidence."""

import sys

__version__ = "0.1.0"

# httpx imports its own command line (httpx._main) with itself, for ``httpx.main``,
# and with it pygments and rich where they are installed: 10 ms of a check's start
# with pygments alone (pytest brings it), 100 ms with rich too (issue 11,
# BENCHMARKS.md). citecheck never runs httpx's command line, so that import is
# refused: None in sys.modules makes it an ImportError, which httpx meets with a
# ``main`` that asks for ``pip install 'httpx[cli]'``. A process that imported httpx
# before citecheck keeps it whole.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]
