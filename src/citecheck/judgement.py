"""Pure: one check result judged against the link's history. The link's new state
(the confirmation policy, verdict.py), its drift from the page as first seen
(drift.py), and what the result changed for the run's summary."""

from __future__ import annotations

from .config import ConfirmationPolicy
from .drift import detect_drift, drift_from_json, drift_to_json
from .frozen import builder
from .models import CheckResult, LinkState, PageInfo, PageSnapshot, Status
from .verdict import next_state

#: A page's first live sighting, built in one step (frozen.py): one a new link.
_page_snapshot = builder(PageSnapshot)


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
    fresh = result.status.is_success and result.http_status != 304
    if not fresh:
        return next_state(previous, result, policy), None
    # The state is built once, with its new validators and drift (verdict.py).
    etag, last_modified = result.etag, result.last_modified
    if result.title is None and result.text_fingerprint is None:
        return next_state(previous, result, policy, etag=etag, last_modified=last_modified), None
    if baseline is None:
        snapshot = _page_snapshot(result.title, result.text_fingerprint, result.checked_at)
        state = next_state(
            previous, result, policy, etag=etag, last_modified=last_modified, drift=None
        )
        return state, snapshot
    before = drift_from_json(dict(previous.drift)) if previous and previous.drift else None
    title, fingerprint = result.title, result.text_fingerprint
    if title == baseline.title and fingerprint == baseline.text_fingerprint:
        # The page as first seen, as most are night after night: detect_drift finds
        # no drift in an equal title and equal fingerprints (similarity 1.0), and is
        # not asked (it cost three quarters of judging such a check). A fingerprint
        # it could not read still fails as it would there.
        if fingerprint:
            int(fingerprint, 16)
        drift = None
    else:
        page = PageInfo(title=title, text_fingerprint=fingerprint)
        drift = detect_drift(baseline, page, now=result.checked_at, previous=before)
    state = next_state(
        previous,
        result,
        policy,
        etag=etag,
        last_modified=last_modified,
        drift=drift_to_json(drift),
    )
    return state, None


def change_of(previous: LinkState | None, state: LinkState) -> str | None:
    """What ``state`` changed since ``previous``: one of CHANGE_KINDS, or None."""
    before = previous.status if previous is not None else Status.UNCHECKED
    if state.status is Status.BROKEN and before is not Status.BROKEN:
        return "newly_broken"
    if state.status is Status.FAILING and before is not Status.FAILING:
        return "newly_failing"
    if state.status.is_success and before in (Status.BROKEN, Status.FAILING):
        return "recovered"
    if state.drift is not None and (previous is None or previous.drift is None):
        return "newly_drifted"
    return None
