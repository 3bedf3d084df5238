"""What an archive run did (:class:`ArchiveSummary`) and where it stands while it
runs (:class:`ArchiveProgress`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ArchiveSummary:
    """What one archive run did."""

    links: int = 0  # cited links considered
    looked_up: int = 0  # CDX look-ups made
    cached: int = 0  # links whose cached answer still stood
    with_copy: int = 0  # links that have a copy to offer after the run
    without_copy: int = 0  # links that want one and have none
    lookups_left: int = 0  # look-ups that failed or did not fit the time budget
    saves_requested: int = 0
    saves_verified: int = 0
    saves_pending: int = 0  # SPN2 jobs still running, polled again next run
    saves_left: int = 0  # failed, unknown or unverified captures, for the next run
    unreachable: bool = False
    unreachable_detail: str | None = None
    elapsed_s: float = 0.0
    interrupted_by: int | None = None  # the signal that stopped the run, if one did
    from_other_archives: int = 0  # look-ups whose copy came from another Memento archive
    archives_skipped: tuple[str, ...] = ()  # "UK Web Archive was skipped for 3 look-ups: …"

    @property
    def exit_code(self) -> int:
        """0 done (captures left for the next run included); 3 the archive is
        unreachable; 128 + the signal's number when a signal stopped the run."""
        if self.interrupted_by is not None:
            return 128 + self.interrupted_by
        return 3 if self.unreachable else 0

    def counts(self) -> dict[str, int]:
        return {
            name: getattr(self, name)
            for name in (
                "links",
                "looked_up",
                "cached",
                "with_copy",
                "without_copy",
                "lookups_left",
                "saves_requested",
                "saves_verified",
                "saves_pending",
                "saves_left",
            )
        }


@dataclass(frozen=True)
class ArchiveProgress:
    """Where an archive run stands, for a progress display: the summary's counts so
    far and, when ``waiting_s`` is set, that a capture waits that long for the Save
    Page Now rate limit."""

    counts: Mapping[str, int]
    waiting_s: float = 0.0
