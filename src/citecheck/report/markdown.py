"""The Markdown report, for maintainers reading a GitHub issue or a cron mail.

What needs a human comes first (broken, failing, blocked, redirected), each link
with where it is cited, since when it fails and its last good check. Text from
the web and from documents is escaped so that a title with ``|``, ``[`` or a
newline cannot break a table or a link.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TextIO

from ..models import CHANGE_KINDS, STATUS_ORDER, Status
from . import LinkReport, Report, ordered_summary, run_notice
from .pages import page_check_lines

#: Sections listed link by link; the rest are summarised by count.
_DETAILED = (Status.BROKEN, Status.FAILING, Status.BLOCKED, Status.REDIRECTED)
_HEADINGS = {
    Status.BROKEN: "Broken: swap in an archived copy or replace",
    Status.FAILING: "Failing: not yet confirmed, re-checked on later runs",
    Status.BLOCKED: "Blocked: the site refuses automated checks, look by hand",
    Status.REDIRECTED: "Redirected: the citation should be updated",
    Status.OK: "OK",
    Status.SKIPPED: "Skipped",
    Status.UNCHECKED: "Not checked yet",
}
# "&" too: "&lt;" in a title must stay those four characters, not become "<".
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")
# Bytes that end or break a "<...>" destination: white space, controls, "<", ">" and
# "\\" (which would escape the closing ">").
_UNSAFE_IN_TARGET = re.compile(r"[\x00-\x20\x7f<>\\]")
#: GitHub turns "@name" into a mention (it notifies that person or team) and "#12" or
#: "GH-12" into a link to an issue, even backslash-escaped: a backslash only reaches
#: the Markdown, and the mention is found in the rendered text. A zero-width space
#: after the sign breaks the reference and reads the same.
_GITHUB_REFERENCE = re.compile(r"@(?=[A-Za-z0-9])|(?:#|\bGH-)(?=\d)", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"
_LIST_MARKER = re.compile(r"^(-|\d{1,9}\.)(?=\s|$)")
_WEB_URL = re.compile(r"(?i)https?://\S+")


def escape(text: str) -> str:
    """Text safe inside a Markdown paragraph, list item or table cell (one line),
    that mentions nobody and links no issue when posted on GitHub."""
    one_line = " ".join(text.split())
    escaped = _SPECIAL.sub(r"\\\1", one_line)
    escaped = _GITHUB_REFERENCE.sub(lambda m: m.group() + _ZERO_WIDTH_SPACE, escaped)
    # At the start of a list item, "- x" or "1. x" would open a nested list.
    return _LIST_MARKER.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], escaped)


def link_target(url: str) -> str:
    """A URL safe as a Markdown link destination: ``<...>`` with risky bytes encoded."""
    safe = _UNSAFE_IN_TARGET.sub(lambda m: f"%{ord(m.group()):02X}", url.strip())
    return f"<{safe}>"


def _linked(label: str, url: str) -> str:
    """``[label](url)`` for an http(s) URL; other schemes (``javascript:``) stay text."""
    if _WEB_URL.fullmatch(url.strip()):
        return f"[{label}]({link_target(url)})"
    return f"{label} ({escape(url)})" if label != escape(url) else label


def _url(url: str) -> str:
    """A bare URL: an autolink when it is http(s), escaped text otherwise."""
    return link_target(url) if _WEB_URL.fullmatch(url.strip()) else escape(url)


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "never"


def _held_by(link: LinkReport) -> str:
    """`` (in arquivo-pt; copies in 2 archives)`` when other archives were asked."""
    if link.archive_copies is None:
        return ""
    where = f"in {escape(link.archive_name)}; " if link.archive_name else ""
    plural = "" if link.archive_copies == 1 else "s"
    return f" ({where}copies in {link.archive_copies} archive{plural})"


def _entry(link: LinkReport) -> list[str]:
    state = link.state
    label = escape(state.title) if state.title else escape(state.url)
    lines = [f"- **{_linked(label, state.url)}**"]
    why = [f"`{state.status.value}`"]
    if state.reason is not None:
        why.append(escape(state.reason.value))
    if state.http_status is not None:
        why.append(f"HTTP {state.http_status}")
    if link.detail:
        why.append(escape(link.detail))
    lines.append("  - " + " · ".join(why))
    if state.status is Status.REDIRECTED and state.final_url:
        lines.append(f"  - Update to: {_url(state.final_url)}")
    if link.archive_url:
        lines.append(f"  - Archived copy: {_url(link.archive_url)}{_held_by(link)}")
    for citation in link.citations:
        where = escape(citation.cited_in or "sources.csv")
        if citation.page:
            where += f" (p. {escape(citation.page)})"
        if citation.title:
            where += f", cited as “{escape(citation.title)}”"
        if citation.context:
            where += f": “{escape(citation.context)}”"
        lines.append(f"  - Cited in {where}")
        for text in page_check_lines(link, citation):
            lines.append(f"    - Page check: {escape(text)}")
    if state.status.is_error:
        failures = state.consecutive_failures
        lines.append(
            f"  - Failing since {_date(state.first_failure_at)}"
            f" ({failures} failed check{'s' if failures != 1 else ''} in a row)"
            f" · last good check: {_date(state.last_ok_at)}"
        )
    elif state.status is Status.BLOCKED:
        lines.append(f"  - Last good check: {_date(state.last_ok_at)}")
    return lines


def _page_checks(link: LinkReport) -> list[str]:
    """Under a link listed without details: its citations that had a page check."""
    lines = []
    for citation in link.citations:
        for text in page_check_lines(link, citation):
            where = escape(citation.cited_in or "sources.csv")
            page = f" (p. {escape(citation.page)})" if citation.page else ""
            lines.append(f"  - Cited in {where}{page}: {escape(text)}")
    return lines


_CHANGE_TITLES = {
    "newly_broken": "Newly broken",
    "newly_failing": "Newly failing",
    "recovered": "Recovered",
    "newly_drifted": "Newly drifted",
}


def _write_changes(report: Report, out: TextIO) -> None:
    changed = [(kind, report.changes.get(kind) or []) for kind in CHANGE_KINDS]
    if not any(urls for _, urls in changed):
        return
    out.write(f"\n## Changes in the last run ({_date(report.changes_at)})\n\n")
    for kind, urls in changed:
        if urls:
            out.write(f"- {_CHANGE_TITLES[kind]}: " + ", ".join(_url(url) for url in urls) + "\n")


def _write_drifted(report: Report, out: TextIO) -> None:
    """Live pages that changed since they were cited: the claim may have lost its proof."""
    heading = False
    for state in report.drifted():
        if not heading:
            out.write("\n## Drifted: the page changed since it was cited, check the claim\n\n")
            heading = True
        drift = state.drift or {}
        label = escape(state.title) if state.title else escape(state.url)
        what = {"title": "title", "text": "text", "title+text": "title and text"}.get(
            str(drift.get("kind")), "page"
        )
        line = f"- {_linked(label, state.url)}: the {what} changed"
        if drift.get("before_title") != drift.get("after_title"):
            before = escape(str(drift.get("before_title") or ""))
            after = escape(str(drift.get("after_title") or ""))
            line += f" (“{before}” → “{after}”)"
        since = str(drift.get("since") or "")[:10]
        out.write(line + (f", since {escape(since)}" if since else "") + "\n")


def write_markdown(report: Report, out: TextIO) -> None:
    summary = ordered_summary(report.summary)
    total = sum(summary.values())
    out.write("# Citation link report\n\n")
    out.write(f"Generated {_date(report.generated_at)} · {total} links\n\n")
    notice = run_notice(report, _date)
    if notice is not None:
        out.write(f"> **{escape(notice)}**\n\n")
    out.write("| Status | Links |\n|---|---:|\n")
    for status in STATUS_ORDER:
        out.write(f"| {status.value} | {summary[status.value]} |\n")
    _write_changes(report, out)
    _write_drifted(report, out)
    current: Status | None = None
    # Ordered by status (see Report). The history is not shown, so it is not read.
    for link in report.iter_links(latest=0):
        state = link.state
        if state.status is not current:
            current = state.status
            out.write(f"\n## {_HEADINGS[current]} ({summary[current.value]})\n\n")
        if current in _DETAILED:
            out.write("\n".join(_entry(link)) + "\n")
        else:
            label = escape(state.title) if state.title else escape(state.url)
            out.write(f"- {_linked(label, state.url)}\n")
            for line in _page_checks(link):
                out.write(line + "\n")
