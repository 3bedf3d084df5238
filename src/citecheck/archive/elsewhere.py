"""A broken link's copy in the other Memento archives, chosen together with the
Wayback Machine's by the one rule of policy.py, the chosen memento verified.

Asked only for a link that wants a copy *before* a date (broken or failing) and has
no good Wayback capture before it: a copy taken closer to the citation's date in
another archive then wins over a later Wayback one. Every archive is one unit: one
that times out, answers garbage or 429 is skipped for the link (and, after
:data:`CLOSE_AFTER` such answers in a row, for the run), said in the look-up's note
and the run's summary; it never fails the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from ..captures import ArchiveLookup, Snapshot
from ..config import ArchiveSettings, MementoArchive
from ..errors import ArchiveError
from ..models import WAYBACK
from .answers import lookup_problem
from .memento import memento_problem, nearest, stored_memento_problem
from .memento_client import MementoClient
from .policy import CopyWanted, choose_snapshot, judge_snapshot, replay_url
from .ratelimit import EndpointClosed, with_tries

#: Failed answers in a row after which an archive is not asked again this run.
CLOSE_AFTER = 2
#: A 429 from another archive is not retried within the look-up (the Wayback copy, or
#: another archive's, may do); its Retry-After holds the archive's later requests back,
#: and one longer than this skips the archive for the link at once.
MAX_RETRY_AFTER_S = 60.0
_NOT_NEEDED = "listed by the archive; not verified, a closer copy was chosen"


@dataclass(frozen=True)
class ElsewhereAnswer:
    """What the other archives said about one link."""

    chosen: Snapshot | None
    judged: list[tuple[Snapshot, str | None]]
    copies: int  # archives (the Wayback Machine included) holding a copy the rule could offer
    skipped: list[tuple[str, str]]  # ("UK Web Archive", "did not answer in 20 s")

    @property
    def note(self) -> str | None:
        return "; ".join(f"{name} skipped: {why}" for name, why in self.skipped) or None


@dataclass
class ArchivesHealth:
    """Which archives answered this run: failures in a row, and those closed."""

    failures: dict[str, int] = field(default_factory=dict)
    closed: dict[str, str] = field(default_factory=dict)  # name -> why

    def failed(self, name: str, why: str) -> None:
        self.failures[name] = self.failures.get(name, 0) + 1
        if self.failures[name] >= CLOSE_AFTER:
            self.closed.setdefault(name, why)

    def answered(self, name: str) -> None:
        self.failures[name] = 0


def _key(snapshot: Snapshot) -> tuple[str, str, str | None]:
    return snapshot.archive, snapshot.timestamp, snapshot.memento_url


def _verifier(
    client: MementoClient, archive: MementoArchive, memento: Snapshot
) -> Callable[[], Awaitable[tuple[Snapshot, str | None]]]:
    return lambda: client.verify(archive, memento)


async def _ask(
    client: MementoClient,
    archive: MementoArchive,
    url: str,
    wanted: CopyWanted,
    settings: ArchiveSettings,
) -> list[Snapshot]:
    limiter = client.limiters[archive.key]
    if archive.timemap_url is not None:
        return await with_tries(limiter, lambda: client.timemap(archive, url), settings)
    return await with_tries(limiter, lambda: client.timegate(archive, url, wanted.anchor), settings)


async def _listed(
    client: MementoClient,
    url: str,
    wanted: CopyWanted,
    settings: ArchiveSettings,
    health: ArchivesHealth,
) -> tuple[list[Snapshot], list[tuple[str, str]]]:
    """Every asked archive's mementos of ``url`` near the wanted date, and the
    archives skipped (with why)."""
    memento = settings.memento
    skipped: list[tuple[str, str]] = []
    by_archive: dict[str, list[Snapshot]] = {}
    if memento.aggregator_url is not None:
        if "the aggregator" in health.closed:
            return [], [("the aggregator", health.closed["the aggregator"])]
        try:
            found = await with_tries(
                client.aggregator_limiter, lambda: client.aggregated(url), settings
            )
        except (ArchiveError, EndpointClosed) as exc:
            health.failed("the aggregator", str(exc))
            return [], [("the aggregator", str(exc))]
        health.answered("the aggregator")
        for snapshot in found:
            by_archive.setdefault(snapshot.archive, []).append(snapshot)
    else:
        asked = [archive for archive in memento.asked if archive.name not in health.closed]
        closed = list(health.closed.items())
        skipped += [(name, f"{why} (not asked again this run)") for name, why in closed]
        answers = await asyncio.gather(
            *(_ask(client, archive, url, wanted, settings) for archive in asked),
            return_exceptions=True,
        )
        for archive, answer in zip(asked, answers, strict=True):
            if isinstance(answer, ArchiveError | EndpointClosed):
                health.failed(archive.name, str(answer))
                skipped.append((archive.name, str(answer)))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                health.answered(archive.name)
                by_archive[archive.key] = answer
    hosts = {archive.key: archive.hosts for archive in memento.archives}
    candidates = [
        snapshot
        for key, snapshots in by_archive.items()
        for snapshot in nearest(snapshots, wanted.anchor, memento.candidates)
        if memento_problem(snapshot.memento_url, url, hosts[key]) is None
    ]
    return candidates, skipped


async def look_elsewhere(
    client: MementoClient,
    settings: ArchiveSettings,
    url: str,
    wanted: CopyWanted,
    content_type: str | None,
    wayback: list[tuple[Snapshot, str | None]],
    health: ArchivesHealth,
) -> ElsewhereAnswer:
    """Ask the other archives about ``url``; choose across them and the Wayback
    answers ``wayback`` (judged) by the rule; verify the chosen memento by fetching
    it, and try the next best when it is not a copy (at most
    ``settings.memento.verifications`` fetches)."""
    listed, skipped = await _listed(client, url, wanted, settings, health)
    archives = {archive.key: archive for archive in settings.memento.archives}
    good_wayback = [snapshot for snapshot, rejected in wayback if rejected is None]
    # Unverified mementos take part in the choice as if they answered 200; the one
    # chosen is then fetched, and only offered if it really does.
    pool = good_wayback + [replace(snapshot, status_code=200) for snapshot in listed]
    verdicts: dict[tuple[str, str, str | None], tuple[Snapshot, str | None]] = {}
    chosen: Snapshot | None = None
    for _ in range(settings.memento.verifications):
        pick, _ = choose_snapshot(pool, wanted, None)
        if pick is None or pick.archive == WAYBACK:
            chosen = pick
            break
        pool = [snapshot for snapshot in pool if _key(snapshot) != _key(pick)]
        archive = archives[pick.archive]
        unverified = replace(pick, status_code=None)
        try:
            checked, why = await with_tries(
                client.limiters[archive.key], _verifier(client, archive, unverified), settings
            )
        except (ArchiveError, EndpointClosed) as exc:
            checked, why = unverified, f"could not be verified: {exc}"
        if why is None:
            why = judge_snapshot(checked, wanted, content_type)
        verdicts[_key(pick)] = (checked, why)
        if why is None:
            chosen = replace(checked, found_by=pick.found_by.replace("cdx-", "memento-"))
            break
    judged = [verdicts.get(_key(snapshot), (snapshot, _NOT_NEEDED)) for snapshot in listed]
    holding = {snapshot.archive for snapshot in good_wayback}
    for snapshot, why in judged:
        offered = judge_snapshot(replace(snapshot, status_code=200), wanted, None) is None
        if why in (None, _NOT_NEEDED) and offered:
            holding.add(snapshot.archive)
    return ElsewhereAnswer(chosen, judged, len(holding), skipped)


class Elsewhere:
    """The other archives over one run: when to ask them, and what was skipped."""

    def __init__(self, client: MementoClient, settings: ArchiveSettings) -> None:
        self.client = client
        self.settings = settings
        #: One try per request, and no long waits: see MAX_RETRY_AFTER_S.
        self.one_try = replace(settings, max_tries=1, max_retry_after_s=MAX_RETRY_AFTER_S)
        self.health = ArchivesHealth()
        #: Archive name -> (the first reason it was skipped, look-ups it missed).
        self.skipped: dict[str, tuple[str, int]] = {}
        self.chosen = 0  # look-ups whose copy came from another archive

    @staticmethod
    def wanted(wanted: CopyWanted, wayback_choice: Snapshot | None) -> bool:
        """Only a link that wants a copy from before a date, with no good Wayback
        capture before it, is looked for elsewhere."""
        if wanted.mode != "before":
            return False
        return wayback_choice is None or wayback_choice.found_by != "cdx-before"

    async def look(
        self,
        url: str,
        wanted: CopyWanted,
        content_type: str | None,
        wayback: list[tuple[Snapshot, str | None]],
    ) -> ElsewhereAnswer:
        answer = await look_elsewhere(
            self.client, self.one_try, url, wanted, content_type, wayback, self.health
        )
        for name, why in answer.skipped:
            first, count = self.skipped.get(name, (why, 0))
            self.skipped[name] = (first, count + 1)
        if answer.chosen is not None and answer.chosen.archive != WAYBACK:
            self.chosen += 1
        return answer

    def summary(self) -> tuple[str, ...]:
        """One line per archive skipped this run: which, why, how many look-ups."""
        return tuple(
            f"{name} was skipped for {count} look-up{'s' * (count != 1)}: {why}"
            for name, (why, count) in self.skipped.items()
        )


def copy_url(wayback_url: str, chosen: Snapshot) -> str:
    """Where a reader sees ``chosen``: its memento URL, or the Wayback replay URL."""
    if chosen.archive != WAYBACK and chosen.memento_url is not None:
        return chosen.memento_url
    return replay_url(wayback_url, chosen.timestamp, chosen.original)


def stored_lookup_problem(url: str, lookup: ArchiveLookup, settings: ArchiveSettings) -> str | None:
    """Why a stored look-up must be set aside: checked as a Wayback replay URL, or
    as a memento of the configured archive that holds it."""
    if lookup.archive in (None, WAYBACK):
        return lookup_problem(url, lookup.timestamp, lookup.archive_url, settings.wayback_url)
    archives = {archive.key: archive for archive in settings.memento.archives}
    if lookup.archive not in archives:
        return f"its copy is from {lookup.archive!r:.60}, an archive no longer configured"
    hosts = archives[lookup.archive].hosts
    return stored_memento_problem(url, lookup.timestamp, lookup.archive_url, hosts)
