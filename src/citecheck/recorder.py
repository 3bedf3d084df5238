"""Results judged as they come and recorded by the batch (a run's and a worker's).

A worker on PostgreSQL waited for the server about ten times a link, its event loop
blocked each time (BENCHMARKS.md). :class:`CheckRecorder` judges each result at once
(the progress and the run's changes need its verdict) and keeps the rows it makes;
they are written together, one transaction for the batch, when :data:`BATCH_CHECKS`
are waiting or when the worker's timer calls :meth:`CheckRecorder.flush` (every
:data:`FLUSH_EVERY_S`), and always before the worker ends or stops.

What a ``kill -9`` loses: the checks judged and not yet written, at most
:data:`BATCH_CHECKS` of them or :data:`FLUSH_EVERY_S` worth. Nothing of them is in
the database, so their links are still due; a worker releases a host only when
every check of it is written (``on_recorded``), so the dead worker's lease on
their host lapses and the worker that takes the host over checks them again and
records them once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import judges
from .check import CheckRequest, internal_error_result
from .config import Settings
from .errors import StoreError
from .frozen import builder
from .incidents import IncidentLog
from .models import CheckResult, LinkState, PageSnapshot
from .store import LinkRead, PendingCheck, Store
from .store.batches import pending_check
from .store.rows import time_text
from .store.runs import baseline_row, check_row, state_row

#: A link's CheckRequest, built in one step (frozen.py): one a link.
_check_request = builder(CheckRequest)
#: Checks written in one transaction at most.
BATCH_CHECKS = 100
#: Seconds between the worker's timed writes of what is waiting.
FLUSH_EVERY_S = 0.1


@dataclass(eq=False, repr=False)  # a worker: compared and printed by no one
class CheckRecorder:
    """Judges results and records them a batch at a time; ``on_recorded`` gets the
    URLs (links.url keys) of each batch once it is committed."""

    store: Store
    run_id: int
    settings: Settings
    incidents: IncidentLog
    on_recorded: Callable[[list[str]], None]
    max_checks: int = BATCH_CHECKS
    #: Reads a 2xx link's drift baseline when ``add`` is given none, inside its guard
    #: (:meth:`LinksInFlight.baseline`: the baseline read with the link).
    read_baseline: Callable[[str], PageSnapshot | None] | None = None
    #: The id of the link keyed by a URL, if it was read with the link
    #: (:meth:`LinksInFlight.link_id`); the batch looks up the others.
    link_id_of: Callable[[str], int | None] | None = None
    _waiting: list[PendingCheck] = field(default_factory=list)
    _pages: list[CheckResult] = field(default_factory=list)

    def add(
        self, previous: LinkState | None, result: CheckResult, baseline: PageSnapshot | None
    ) -> LinkState:
        """Judge ``result`` against ``previous`` and the page's drift ``baseline``, and
        keep it for the next batch (written now if the batch is full). A bug while
        judging it is recorded on the link as ``internal_error``."""
        try:
            live = result.status.is_success
            if baseline is None and self.read_baseline is not None and live:
                baseline = self.read_baseline(result.url)
            state, new_baseline = judges.judge(
                previous, result, baseline if live else None, self.settings.confirmation
            )
            pending = _pending(self.run_id, result, state, new_baseline, self._link_id(state))
        except StoreError:
            raise
        except Exception as exc:  # the unit's last-resort guard, see incidents.py
            detail = self.incidents.record(f"record the check of {result.url}", exc)
            result = internal_error_result(result.url, result.checked_at, detail)
            state = judges.next_state(previous, result, self.settings.confirmation)
            pending = _pending(self.run_id, result, state, None, self._link_id(state))
        self._waiting.append(pending)
        if result.pages is not None:
            self._pages.append(result)
        if len(self._waiting) >= self.max_checks:
            self.flush()
        return state

    def _link_id(self, state: LinkState) -> int | None:
        return None if self.link_id_of is None else self.link_id_of(state.url)

    @property
    def waiting(self) -> int:
        """Checks judged and not yet written."""
        return len(self._waiting)

    def flush(self) -> None:
        """Write the waiting checks in one transaction, then their cited pages."""
        if not self._waiting:
            return
        batch, self._waiting = self._waiting, []
        pages, self._pages = self._pages, []
        self.store.record_checks(self.run_id, batch)
        for result in pages:
            assert result.pages is not None
            try:
                self.store.record_pages(result.url, result.pages)
            except StoreError:
                raise
            except Exception as exc:  # the unit's last-resort guard, see incidents.py
                self.incidents.record(f"record the cited pages of {result.url}", exc)
        self.on_recorded([pending.url for pending in batch])


class LinksInFlight:
    """What the store read with each link being checked (store.LinkRead), from its
    read until its result is judged, so that neither the page check nor the recorder
    asks the store again for one link. Holds the links in flight and the redirected
    ones waiting for their landing (landings.SharedTargets), not the whole run."""

    def __init__(self) -> None:
        self._reads: dict[str, LinkRead] = {}

    def request(self, read: LinkRead) -> CheckRequest:
        """The check of ``read``'s link; what was read with it is kept meanwhile."""
        state = read.state
        self._reads[state.url] = read
        return _check_request(state.url, state, state.etag, state.last_modified)

    def read(self, url: str) -> LinkRead | None:
        """What was read with the link at ``url`` (a links.url key)."""
        return self._reads.get(url)

    def baseline(self, url: str) -> PageSnapshot | None:
        """The drift baseline read with the link at ``url``."""
        read = self._reads.get(url)
        return None if read is None else read.baseline

    def link_id(self, url: str) -> int | None:
        """The id of the link at ``url`` (a links.url key), if it was read."""
        read = self._reads.get(url)
        return None if read is None else read.link_id

    def cites_pages(self, url: str) -> bool:
        """Whether a citation of the link at ``url`` names a page or a claim."""
        read = self._reads.get(url)
        return read is not None and read.cites_pages

    def forget(self, url: str) -> None:
        """The link's result is judged: what was read with it is needed no more."""
        self._reads.pop(url, None)


def _pending(
    run_id: int,
    result: CheckResult,
    state: LinkState,
    baseline: PageSnapshot | None,
    link_id: int | None,
) -> PendingCheck:
    """The check's rows, the link's id in them when known (else None until the batch).
    The check's time is made text once: the state's times and a new baseline's are
    mostly that same time."""
    checked_at = time_text(result.checked_at)
    known_time = (result.checked_at, checked_at)
    return pending_check(
        url=state.url,
        checked_at=checked_at,
        check=check_row(link_id, run_id, checked_at, result),
        state=state_row(state, link_id, known_time),
        baseline=None if baseline is None else baseline_row(baseline, link_id, known_time),
        link_id=link_id,
    )
