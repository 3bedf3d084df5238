"""Where a run's redirects land: a target several cited URLs of a site are sent
to is a landing page (moves.py, rule ``landing-shared-target``).

Apart from moves.py because a check needs it before its first request: every
link read is remembered for its last landing as it is read, while the judges
(moves.py among them, judges.py) are imported only once the first requests are
out. The judging itself is moves.py's, asked through judges.py.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from . import judges
from .models import CheckResult, LinkState, Reason, Status

#: How many cited URLs of a host a target must receive to be a landing page.
SHARED_TARGET_MIN = 2
T = TypeVar("T")


class SharedTargets(Generic[T]):
    """Groups landing candidates by target: a target several cited URLs are sent to
    is a landing page.

    ``add`` returns the results that can be recorded now: the result itself, nothing
    while it waits alone at its target, or every held one (judged again) once the
    group is big enough. ``flush`` returns those still held at the end of a run.
    Each result travels with the caller's ``payload`` (its request).
    Memory grows with the number of redirected links only.
    """

    def __init__(self) -> None:
        self._seen: dict[str, set[str]] = {}
        self._held: dict[str, list[tuple[CheckResult, T]]] = {}

    def remember(self, state: LinkState) -> None:
        """A link's last known landing (from the store), counted for its target."""
        final_url = state.final_url
        if not final_url or _target(final_url) == _target(state.url):
            return
        if state.reason in (Reason.SOFT_404, Reason.REDIRECT_UNVERIFIED) or (
            state.status is Status.OK and state.reason is None
        ):
            self._seen.setdefault(_target(final_url), set()).add(state.url)

    def add(self, result: CheckResult, payload: T) -> list[tuple[CheckResult, T]]:
        target = _target(result.final_url or "")
        if judges.is_landing(result):
            senders = self._seen.setdefault(target, set())
            senders.add(result.url)
            held = self._held.pop(target, [])
            others = len(senders) - 1
            return [(judges.as_landing(r, others), p) for r, p in held] + [(result, payload)]
        if not judges.is_landing_candidate(result):
            return [(result, payload)]
        senders = self._seen.setdefault(target, set())
        senders.add(result.url)
        if len(senders) < SHARED_TARGET_MIN:
            self._held.setdefault(target, []).append((result, payload))
            return []
        ready = [*self._held.pop(target, []), (result, payload)]
        return [(judges.as_landing(r, len(senders) - 1), p) for r, p in ready]

    def flush(self) -> list[tuple[CheckResult, T]]:
        """The held results, judged with every sender known by now (links remembered
        after their target's candidate arrived count too)."""
        released = []
        for target, group in self._held.items():
            senders = len(self._seen.get(target, ()))
            for result, payload in group:
                if senders >= SHARED_TARGET_MIN:
                    result = judges.as_landing(result, senders - 1)
                released.append((result, payload))
        self._held.clear()
        return released


def _target(url: str) -> str:
    """A redirect's target: its URL without the fragment."""
    return url.split("#", 1)[0]


__all__ = ["SHARED_TARGET_MIN", "SharedTargets"]
