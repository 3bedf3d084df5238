"""The judges of a check's answers, imported once its first requests are out.

classify.py, sites.py and moves.py (with markers.py and urlshapes.py) judge a
fetched answer; judgement.py, verdict.py and drift.py judge a result against the
link's history. No request needs them, the first answer does: imported before a
check's first request, they were 8% of the instructions it ran to get there
(issue 11; BENCHMARKS.md, the twelfth step). check.py imports them in its warm-up,
once the first links' requests are all written (with the page reader, readers.py),
while they wait for their answers; whatever asks for one of them before that
imports them then.

The modules on a check's path (check.py, siblings.py, landings.py, recorder.py,
pipeline.py, workers.py) name them ``judges.classify`` and so on: once imported,
each is an attribute of this module, looked up as fast as a module's global.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .classify import Classification as Classification
    from .classify import classify as classify
    from .classify import needs_sibling_probe as needs_sibling_probe
    from .classify import sibling_url as sibling_url
    from .judgement import change_of as change_of
    from .judgement import judge as judge
    from .markers import url_parts as url_parts
    from .moves import KnownContent as KnownContent
    from .moves import as_landing as as_landing
    from .moves import is_landing as is_landing
    from .moves import is_landing_candidate as is_landing_candidate
    from .sites import FOREIGN_PAGE_REASONS as FOREIGN_PAGE_REASONS
    from .sites import consent_verdict as consent_verdict
    from .sites import consent_wall as consent_wall
    from .sites import site_verdict as site_verdict
    from .verdict import next_state as next_state

#: Each judge's name, and the module it lives in.
_JUDGES = {
    "Classification": "classify",
    "classify": "classify",
    "needs_sibling_probe": "classify",
    "sibling_url": "classify",
    "change_of": "judgement",
    "judge": "judgement",
    "url_parts": "markers",
    "KnownContent": "moves",
    "as_landing": "moves",
    "is_landing": "moves",
    "is_landing_candidate": "moves",
    "FOREIGN_PAGE_REASONS": "sites",
    "consent_verdict": "sites",
    "consent_wall": "sites",
    "site_verdict": "sites",
    "next_state": "verdict",
}


def warm_judges() -> None:
    """Import the judges now, if they are not yet."""
    if "classify" not in globals():
        _import_judges()


def __getattr__(name: str) -> object:
    """A judge asked for before the warm-up: all of them imported now."""
    if name not in _JUDGES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _import_judges()
    return globals()[name]


def _import_judges() -> None:
    found = {}
    for name, module in _JUDGES.items():
        found[name] = getattr(importlib.import_module(f".{module}", __package__), name)
    globals().update(found)
