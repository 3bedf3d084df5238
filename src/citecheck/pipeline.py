"""The job, as library calls: sources → check → record → archive → report.

Every CLI command is one call here, so the job can be scripted without the CLI::

    from citecheck.pipeline import check_links_in_store, load_sources
    with Store.open("archive.db") as store:
        load_sources(store, Path("sources.csv"), now=utc_now())
        summary = check_links_in_store(store, Settings())
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .check import Checker, CheckRequest, Clock, check_links
from .config import DEFAULT_ARCHIVE_TIMEOUT_S, ArchiveSettings, ConfirmationPolicy, Settings
from .drift import detect_drift, drift_from_json, drift_to_json
from .errors import FixError, InputError, NetworkOfflineError
from .fetch import Fetcher
from .models import (
    CHANGE_KINDS,
    CheckResult,
    Citation,
    LinkState,
    PageInfo,
    PageSnapshot,
    Status,
)
from .schedule import due_links
from .sources import MergeSummary, iter_sources, merge_citations, read_sources, write_sources
from .store import FixRecord, Store
from .verdict import next_state

if TYPE_CHECKING:
    import httpx

    from .archive import ArchiveSummary
    from .fix import Decision, DocxPlan, FixPlan

# The archive, extraction and fix modules (with lxml, pypdf, python-docx) are imported
# by the functions that use them: a check should not spend its start-up on them.


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CheckSummary:
    """What one check run did. ``counts`` are all cited links by status after the run;
    ``changes`` maps each of CHANGE_KINDS to the URLs it concerns."""

    run_id: int
    checked: int
    counts: dict[str, int]
    elapsed_s: float
    offline: bool = False
    offline_detail: str | None = None
    due_only: bool = False  # only the links the schedule said were due were checked
    changes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def broken(self) -> int:
        return self.counts.get(Status.BROKEN.value, 0)

    @property
    def changed(self) -> bool:
        return any(self.changes.get(kind) for kind in CHANGE_KINDS)

    @property
    def exit_code(self) -> int:
        """0 no broken link; 1 broken links present; 3 the network looks offline."""
        if self.offline:
            return 3
        return 1 if self.broken else 0


@dataclass(frozen=True)
class DocumentCitations:
    """What ``extract`` found in one document."""

    document: str
    citations: list[Citation]
    matched: list[Citation]  # title-only citations matched to a known source
    unresolved: list[Citation]  # title-only citations matching none


def extract_to_sources(
    documents: Iterable[Path], sources: Path, *, store: Store | None = None
) -> tuple[list[DocumentCitations], MergeSummary]:
    """Extract the citations of ``documents`` and merge them into ``sources``.

    Title-only citations are matched against the titles ``sources`` gives its URLs
    and, with a ``store``, the titles the cited pages were last seen with (a PDF's
    own title, say). Rows already in ``sources``, and every edit made to them, stay.
    """
    from .extract import extract_file, match_titles

    existing = read_sources(sources) if sources.exists() else None
    current = list(existing.citations) if existing else []
    known = {c.title: c.url for c in current if c.title and c.url}
    if store is not None:
        for state in store.active_links():
            if state.title:
                known.setdefault(state.title, state.url)
    found: list[Citation] = []
    per_document = []
    for path in documents:
        extraction = extract_file(path, document=str(path))
        matched, unresolved = match_titles(extraction.unresolved, known)
        found += [*extraction.citations, *matched]
        per_document.append(DocumentCitations(str(path), extraction.citations, matched, unresolved))
    merged, summary = merge_citations(current, found)
    write_sources(sources, merged, existing.fieldnames if existing else None)
    return per_document, summary


def load_sources(store: Store, sources: Path, *, now: datetime) -> int:
    """Make the store's citations those of ``sources`` (streamed). Returns their number."""
    counted = 0

    def counting() -> Iterator:
        nonlocal counted
        for citation in iter_sources(sources):
            counted += 1
            yield citation

    store.sync_citations(counting(), now=now)
    return counted


def judge(
    previous: LinkState | None,
    result: CheckResult,
    baseline: PageSnapshot | None,
    policy: ConfirmationPolicy,
) -> tuple[LinkState, PageSnapshot | None]:
    """The link's new state after ``result``, and the drift baseline to store (if new).

    The confirmation policy decides the status (verdict.py). A fresh success also
    renews the validators for conditional requests and is compared with the page
    as first seen (drift.py); the first live sighting becomes that baseline. A 304
    proves the page unchanged, so validators and drift stand.
    """
    state = next_state(previous, result, policy)
    fresh = result.status.is_success and result.http_status != 304
    if not fresh:
        return state, None
    state = replace(state, etag=result.etag, last_modified=result.last_modified)
    if result.title is None and result.text_fingerprint is None:
        return state, None
    if baseline is None:
        snapshot = PageSnapshot(result.title, result.text_fingerprint, result.checked_at)
        return replace(state, drift=None), snapshot
    page = PageInfo(title=result.title, text_fingerprint=result.text_fingerprint)
    before = drift_from_json(dict(previous.drift)) if previous and previous.drift else None
    drift = detect_drift(baseline, page, now=result.checked_at, previous=before)
    return replace(state, drift=drift_to_json(drift)), None


def _change(previous: LinkState | None, state: LinkState) -> str | None:
    before = previous.status if previous is not None else Status.UNCHECKED
    if state.status is Status.BROKEN and before is not Status.BROKEN:
        return "newly_broken"
    if state.status.is_success and before in (Status.BROKEN, Status.FAILING):
        return "recovered"
    if state.drift is not None and (previous is None or previous.drift is None):
        return "newly_drifted"
    return None


def _requests(states: Iterable[LinkState]) -> Iterator[CheckRequest]:
    for state in states:
        yield CheckRequest(
            url=state.url, previous=state, etag=state.etag, last_modified=state.last_modified
        )


#: Seconds a recorded check may wait for its commit, however slowly results come.
_COMMIT_EVERY_S = 1.0


@contextlib.contextmanager
def _committing_every(store: Store, seconds: float) -> Iterator[None]:
    """Commit the store's grouped writes every ``seconds`` while the block runs
    (inside the event loop, so in the store's own thread)."""
    loop = asyncio.get_running_loop()
    handle: asyncio.TimerHandle | None = None

    def commit() -> None:
        nonlocal handle
        store.commit_batch()
        handle = loop.call_later(seconds, commit)

    handle = loop.call_later(seconds, commit)
    try:
        yield
    finally:
        handle.cancel()


async def _check_all(
    store: Store,
    run_id: int,
    settings: Settings,
    clock: Clock,
    states: Iterable[LinkState],
    changes: dict[str, list[str]],
    on_result: Callable[[CheckResult, LinkState], None] | None,
) -> int:
    checked = 0
    async with Fetcher(settings) as fetcher:
        checker = Checker(fetcher, settings, clock=clock)
        with store.batched_writes(), _committing_every(store, _COMMIT_EVERY_S):
            async for request, result in check_links(_requests(states), checker, settings):
                previous = request.previous
                baseline = store.drift_baseline(result.url) if result.status.is_success else None
                state, new_baseline = judge(previous, result, baseline, settings.confirmation)
                store.record_check(run_id, result, state, baseline=new_baseline)
                kind = _change(previous, state)
                if kind is not None:
                    changes[kind].append(state.url)
                checked += 1
                if on_result is not None:
                    on_result(result, state)
    return checked


def check_links_in_store(
    store: Store,
    settings: Settings,
    *,
    clock: Clock = utc_now,
    command: str = "check",
    due_only: bool = False,
    on_result: Callable[[CheckResult, LinkState], None] | None = None,
) -> CheckSummary:
    """Check the cited links (all of them, or with ``due_only`` those the schedule
    says are due) and record each result as it comes.

    Holds the store's writer lock for the whole run (a second run refuses with
    DatabaseBusyError). If the network turns out to be down, the checks already
    recorded stand (each was believed only after the network was seen working),
    the run is recorded as offline, and the summary says so: nothing is marked
    broken because of a dead network.
    """
    started = time.monotonic()
    with store.writer_lock():
        now = clock()
        run_id = store.begin_run(command, now=now)
        states: Iterable[LinkState] = store.active_links()
        if due_only:
            states = due_links(states, settings.schedule, now)
        changes: dict[str, list[str]] = {kind: [] for kind in CHANGE_KINDS}
        outcome = "failed"
        offline_detail = None
        checked = 0
        try:
            checked = asyncio.run(
                _check_all(store, run_id, settings, clock, states, changes, on_result)
            )
            outcome = "finished"
        except NetworkOfflineError as exc:
            outcome, offline_detail = "offline", str(exc)
        except (KeyboardInterrupt, asyncio.CancelledError):
            outcome = "interrupted"
            raise
        finally:
            counts = store.status_counts()
            store.record_changes(run_id, changes)
            store.finish_run(run_id, now=clock(), outcome=outcome, summary=counts)
    return CheckSummary(
        run_id=run_id,
        checked=checked,
        counts=counts,
        elapsed_s=time.monotonic() - started,
        offline=outcome == "offline",
        offline_detail=offline_detail,
        due_only=due_only,
        changes=changes,
    )


async def _archive_all(
    store: Store,
    settings: Settings,
    archive_settings: ArchiveSettings,
    clock: Clock,
    transport: httpx.AsyncBaseTransport | None,
) -> ArchiveSummary:
    from .archive import WaybackClient, archive_links

    async with Fetcher(settings, transport=transport) as fetcher:
        client = WaybackClient(
            fetcher.client,
            archive_settings,
            timeout_s=max(settings.timeout_s, DEFAULT_ARCHIVE_TIMEOUT_S),
        )
        return await archive_links(store, client, archive_settings, clock=clock)


def archive_links_in_store(
    store: Store,
    settings: Settings,
    archive_settings: ArchiveSettings,
    *,
    clock: Clock = utc_now,
    command: str = "archive",
    transport: httpx.AsyncBaseTransport | None = None,
) -> ArchiveSummary:
    """Find every cited link's archived copy and capture live pages that need one.

    Holds the writer lock and records the run like a check. If the archive cannot be
    reached at all, the run is recorded as ``offline`` and the summary says so
    (exit code 3); nothing was marked because of it.
    """
    from .archive import ArchiveSummary, ArchiveUnreachableError

    started = time.monotonic()
    with store.writer_lock():
        run_id = store.begin_run(command, now=clock())
        outcome = "failed"
        summary = ArchiveSummary()
        try:
            summary = asyncio.run(_archive_all(store, settings, archive_settings, clock, transport))
            outcome = "finished"
        except ArchiveUnreachableError as exc:
            outcome = "offline"
            summary = ArchiveSummary(unreachable=True, unreachable_detail=str(exc))
        except (KeyboardInterrupt, asyncio.CancelledError):
            outcome = "interrupted"
            raise
        finally:
            store.finish_run(run_id, now=clock(), outcome=outcome, summary=summary.counts())
    return replace(summary, elapsed_s=time.monotonic() - started)


# -- fix: the editors' swap ---------------------------------------------------------------


def fix_decisions(store: Store) -> dict[str, Decision]:
    """What ``fix`` should do with each cited link, from its status and archived copy.

    Broken links with a good capture are swapped; redirected ones updated (fix.py
    applies that only with ``--redirects``); broken links without a capture, failing
    and blocked links are left for a human, with the reason.
    """
    from .fix import Decision

    decisions: dict[str, Decision] = {}
    for row in store.iter_archive_rows():
        state = row.state
        why = state.status.value + (f" ({state.reason.value})" if state.reason else "")
        lookup = row.lookup
        if state.status is Status.BROKEN:
            if lookup is not None and lookup.timestamp and lookup.archive_url:
                date = f"{lookup.timestamp[:4]}-{lookup.timestamp[4:6]}-{lookup.timestamp[6:8]}"
                decisions[state.url] = Decision(
                    state.url, "swap", lookup.archive_url, date, f"{why}; archived {date}"
                )
            else:
                decisions[state.url] = Decision(
                    state.url, "leave", why=f"{why}; no good capture in the archive yet"
                )
        elif state.status is Status.REDIRECTED and state.final_url:
            decisions[state.url] = Decision(
                state.url, "update", state.final_url, why=f"moved permanently to {state.final_url}"
            )
        elif state.status is Status.FAILING:
            decisions[state.url] = Decision(
                state.url, "leave", why=f"{why}: not yet confirmed, checked again on later runs"
            )
        elif state.status is Status.BLOCKED:
            decisions[state.url] = Decision(
                state.url, "leave", why=f"{why}: the site refuses automated checks, look by hand"
            )
    return decisions


def _document_key(path: Path) -> str:
    return str(path.resolve())


def plan_document_fix(
    path: Path,
    decisions: dict[str, Decision],
    *,
    redirects: bool,
    style: str,
    archive_prefixes: tuple[str, ...],
) -> FixPlan | DocxPlan:
    """Plan the swaps in one document (nothing is written)."""
    from .fix import plan_docx_fix, plan_fix

    if path.suffix.lower() == ".docx":
        return plan_docx_fix(
            path, decisions, redirects=redirects, archive_prefixes=archive_prefixes,
            document=str(path),
        )  # fmt: skip
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the document ({exc.strerror})") from exc
    return plan_fix(
        str(path), data, decisions, style=style, redirects=redirects,
        archive_prefixes=archive_prefixes,
    )  # fmt: skip


def write_document_fix(store: Store, path: Path, plan: FixPlan | DocxPlan, *, now: datetime) -> int:
    """Apply a plan to the document (atomically) and record every swap for --undo.

    The document is read again first: a change since planning that makes a planned
    swap no longer match is refused with FixError naming it.
    """
    from .fix import DocxPlan, rebase_plan, write_atomically

    if isinstance(plan, DocxPlan):
        plan.write()
        records = [
            FixRecord(
                document=str(path),
                line=swap.line,
                column=swap.column,
                start=0,
                end=0,
                old_url=swap.old_url,
                new_url=swap.new_url,
                action=swap.action,
                old_text=b"",
                new_text=b"",
                part=json.dumps(dataclasses.asdict(swap)),
            )  # fmt: skip
            for swap in plan.replacements
        ]
    else:
        plan = rebase_plan(plan, path.read_bytes())
        write_atomically(path, plan.apply())
        records = [FixRecord(**dataclasses.asdict(item)) for item in plan.replacements]
    if not records:
        return 0
    return store.record_fix(_document_key(path), records, now=now)


def undo_document_fix(store: Store, path: Path, *, now: datetime) -> FixPlan | DocxPlan:
    """Restore the swaps of the last fix of ``path`` and mark that fix undone."""
    from .fix import Replacement, TargetSwap, plan_docx_undo, plan_undo, write_atomically

    records = store.last_fix(_document_key(path))
    if not records:
        raise FixError(f"{path}: citecheck has no fix of this document to undo")
    if path.suffix.lower() == ".docx":
        swaps = [TargetSwap(**json.loads(record.part or "{}")) for record in records]
        plan: FixPlan | DocxPlan = plan_docx_undo(path, swaps, document=str(path))
        plan.write()
    else:
        names = [field.name for field in dataclasses.fields(Replacement)]
        replacements = [Replacement(**{n: getattr(r, n) for n in names}) for r in records]
        plan = plan_undo(str(path), path.read_bytes(), replacements)
        write_atomically(path, plan.apply())
    store.mark_fix_undone(records[0].batch or 0, now=now)
    return plan
