"""What ``fix`` should do with each cited link: the store's verdicts and archived
copies turned into :class:`~citecheck.fix.rules.Decision` values."""

from __future__ import annotations

from ..archive.answers import lookup_problem
from ..archive.elsewhere import stored_lookup_problem
from ..captures import ArchiveLookup
from ..config import ArchiveSettings
from ..models import WAYBACK, Reason, Status
from ..store import Store
from .rules import Decision


def fix_decisions(store: Store, settings: ArchiveSettings | None = None) -> dict[str, Decision]:
    """What ``fix`` should do with each cited link, from its status and archived copy.

    Broken links with a good capture are swapped; redirected ones updated (fix/
    applies that only with ``--redirects``); broken links without a capture, failing
    and blocked links are left for a human, with the reason. A copy from another
    Memento archive is used only while ``settings`` still names that archive, and
    only if its URL is on that archive's hosts.
    """
    settings = settings if settings is not None else ArchiveSettings()
    decisions: dict[str, Decision] = {}
    for row in store.iter_archive_rows():
        state = row.state
        why = state.status.value + (f" ({state.reason.value})" if state.reason else "")
        lookup = row.lookup
        if state.status is Status.BROKEN:
            if lookup is not None and _usable_copy(state.url, lookup, settings):
                date = f"{lookup.timestamp[:4]}-{lookup.timestamp[4:6]}-{lookup.timestamp[6:8]}"
                decisions[state.url] = Decision(
                    state.url,
                    "swap",
                    lookup.archive_url,
                    date,
                    f"{why}; archived {date}",
                    pdf_pages=store.remembered_pages(state.url, archived_at=_read_at(lookup)),
                )
            else:
                decisions[state.url] = Decision(
                    state.url, "leave", why=f"{why}; no good capture in the archive yet"
                )
        elif state.status is Status.REDIRECTED and state.reason is Reason.REDIRECT_UNVERIFIED:
            decisions[state.url] = Decision(
                state.url,
                "leave",
                why=f"{why}: moved to {state.final_url}, a page not shown to be the cited "
                "content; look by hand",
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


def _usable_copy(url: str, lookup: ArchiveLookup, settings: ArchiveSettings) -> bool:
    """True when a stored copy may be written into a document: a replay URL of
    this very page (an older citecheck stored the archive's answers unvalidated),
    or a memento of it on the hosts of the configured archive that holds it."""
    if lookup.archive not in (None, WAYBACK):
        return stored_lookup_problem(url, lookup, settings) is None
    timestamp, archive_url = lookup.timestamp, lookup.archive_url
    if not timestamp or not archive_url or not archive_url.startswith(("http://", "https://")):
        return False
    base = archive_url.split("/web/", 1)[0]
    return lookup_problem(url, timestamp, archive_url, base) is None


def _read_at(lookup: ArchiveLookup) -> str | None:
    """The timestamp of the copy whose pages archive/pages.py reads (Wayback's)."""
    return lookup.timestamp if lookup.archive in (None, WAYBACK) else None
