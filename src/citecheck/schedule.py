"""Which links a run checks: the due-based schedule and the excludes.

Pure: link states and a clock value in, decisions out.

Each status has an interval (:class:`~citecheck.config.Schedule`): ``ok`` links a
week, ``failing`` links a day (the confirmation policy needs three failed checks
over three days before it says ``broken``, so a failing link must be looked at
every night to conclude in days rather than weeks), ``broken`` links a month (in
case they come back), ``blocked`` links on their own interval. New links are due
at once.

Spreading the load. If a link were due exactly ``interval`` after its last check,
the 10,000 links of a new project, all checked on the first night, would all come
due again on night 8, and on night 15, forever. Instead each URL has a fixed day
within the interval, its phase, derived from a hash of the URL (stable across runs
and machines): a link checked on day ``d`` (UTC) is next due on the last day at or
before ``d + interval`` that falls on its phase, at the time of day it was checked.
So:

- a link is never due later than ``interval`` after its last check;
- in the steady state it is checked exactly every ``interval`` (on a nightly run, on
  the same weekday every week);
- after a check off its phase (its first check, a change of status, a ``--all``
  run) it comes due once sooner, on its own day, which is what spreads 10,000 new
  links evenly over the next seven nights instead of piling them on night 8.

Phases are whole days because runs are (mostly) nightly: a phase at any time of day
would fall, for some links, between a run's start and the moment it reaches them,
and push them to the next night. For the same reason a link due within
:data:`DUE_TOLERANCE` of a run's start is checked by it: runs take time and timers
add a random delay, so last week's check may have been recorded at 03:40 and this
week's run start at 03:10. Intervals under two days have no phase.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from .config import Schedule, Settings
from .models import LinkState, Status
from .urls import host_key

#: A link due this soon after a run starts is checked by it (see the module's doc);
#: capped at a quarter of the link's interval.
DUE_TOLERANCE = timedelta(hours=6)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = timedelta(days=1)


def interval_for(status: Status, schedule: Schedule) -> timedelta | None:
    """How long after a check a link with ``status`` is due again.

    None for ``unchecked`` (due at once) and ``skipped`` (deciding to skip a link
    costs no request, so it is decided again every run and a changed exclude list
    takes effect at once).
    """
    if status in (Status.OK, Status.REDIRECTED):
        return schedule.ok
    if status is Status.FAILING:
        return schedule.failing
    if status is Status.BROKEN:
        return schedule.broken
    if status is Status.BLOCKED:
        return schedule.blocked
    return None


def next_due(state: LinkState, schedule: Schedule) -> datetime | None:
    """When the link is next due; None when it is due now whatever the time.

    None for a link never checked, and for a skipped one (see :func:`interval_for`).
    """
    return _next_due(state, interval_for(state.status, schedule))


def is_due(state: LinkState, schedule: Schedule, now: datetime) -> bool:
    """True when a scheduled run starting at ``now`` should check the link."""
    interval = interval_for(state.status, schedule)
    due = _next_due(state, interval)
    if due is None or interval is None:
        return True
    return due <= now + _tolerance(interval)


def due_links(
    states: Iterable[LinkState], schedule: Schedule, now: datetime
) -> Iterator[LinkState]:
    """The links of ``states`` that are due at ``now``, streamed in the given order."""
    return (state for state in states if is_due(state, schedule, now))


def is_excluded(url: str, settings: Settings) -> str | None:
    """Why the configured excludes skip ``url`` (a sentence for the report), or None.

    Domains match the host and its subdomains (``example.org`` excludes
    ``www.example.org`` but not ``badexample.org``); patterns are searched anywhere in
    the URL, so anchor them (``^https://intranet\\.``) to match a prefix.
    """
    if settings.exclude_domains:  # (most runs exclude none: no host to look up)
        host = host_key(url).rstrip(".")
        for domain in settings.exclude_domains:
            if host == domain or host.endswith("." + domain):
                return f"the domain {domain} is excluded"
    for pattern in settings.exclude_patterns:
        if pattern.search(url):
            return f"the URL matches the exclude pattern {pattern.pattern!r}"
    return None


def _next_due(state: LinkState, interval: timedelta | None) -> datetime | None:
    if state.checked_at is None or interval is None:
        return None
    phase_days = interval // _DAY
    if phase_days < 2:
        return state.checked_at + interval
    # Counted from the tolerance ahead, so that a check made a little before its
    # phase day began (a run that started early) counts as made on its phase day.
    check_day = (state.checked_at + _tolerance(interval) - _EPOCH) // _DAY
    days_past_phase = (check_day + phase_days - _phase(state.url, phase_days)) % phase_days
    return state.checked_at + interval - days_past_phase * _DAY


def _tolerance(interval: timedelta) -> timedelta:
    return min(DUE_TOLERANCE, interval / 4)


def _phase(url: str, days: int) -> int:
    """The URL's fixed day within an interval of ``days`` days, uniform over them."""
    digest = hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "big") * days) >> 64
