"""``citecheck fix``: swap dead links for their archived copies, byte for byte.

Pure at its core: document bytes + one :class:`Decision` per URL → a
:class:`FixPlan` (a list of :class:`Replacement`) → new bytes. The document is read
by the same extractors as ``citecheck extract``, so ``fix`` rewrites exactly the
spans that ``extract`` reports (code blocks and code spans in Markdown, a URL that
is the prefix of a longer one, … are already handled there). Everything outside
a replacement is copied from the original bytes, so the encoding, the BOM, the
line endings and the surrounding punctuation cannot change.

Rules:

- ``swap`` (a broken link with a good capture) puts the archived copy in place of
  the URL; ``update`` (a redirected link) puts its final URL there, only when
  ``redirects=True``; ``leave`` and swaps without a capture are listed for a human.
- A URL that already points at an archive is never touched.
- ``style="robust"`` keeps the reader's link and adds the archived copy beside it:
  the Robust Links attributes (``data-originalurl``, ``data-versionurl``,
  ``data-versiondate``) on an HTML ``<a>``, `` ([archived](NEW))`` after a Markdown
  link. A Markdown reference definition has no room for a second URL, so there the
  archived copy replaces the URL (whose original stays readable inside the
  ``web.archive.org/web/<date>/<original>`` address). Updates of redirects always
  replace.
- A fragment (``#section``) of the cited URL is carried over to the new URL.

``.docx`` documents are zip packages: :func:`plan_docx_fix` changes the targets of
their hyperlink relationships instead, and leaves every other zip member as it was.
"""

from __future__ import annotations

import copy
import hashlib
import html
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal, NamedTuple
from urllib.parse import urlsplit

from lxml import etree

from .atomic import atomic_output
from .errors import FixError, InputError
from .extract import Extraction, extract_html, extract_markdown, extract_text, find_url_spans
from .extract.docx import DocxLink, docx_hyperlinks
from .urls import CHECKABLE_SCHEMES, InvalidURLError, normalize_url

Action = Literal["swap", "update", "leave"]
Style = Literal["replace", "robust"]

#: Hosts whose every URL is an archived copy.
ARCHIVE_HOSTS = frozenset(
    {
        "archive.today",
        "archive.ph",
        "archive.is",
        "archive.li",
        "archive.vn",
        "archive.fo",
        "archive.md",
        "webcitation.org",
        "www.webcitation.org",
        "perma.cc",
        "perma-archives.org",
    }
)
#: URL prefixes (normalised) of archived copies on hosts that also serve other pages.
ARCHIVE_PREFIXES: tuple[str, ...] = (
    "https://web.archive.org/web/",
    "http://web.archive.org/web/",
    "https://wayback.archive-it.org/",
    "https://webarchive.nationalarchives.gov.uk/",
)
#: How far (bytes) from its planned offset a hunk may have moved and still be found.
NEARBY_BYTES = 4096
#: Lines of context around each hunk of the diff.
DIFF_CONTEXT_LINES = 1

_UTF8_BOM = b"\xef\xbb\xbf"
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})
_MD_REFERENCE_PREFIX = re.compile(r"^ {0,3}\[(?:[^\]\\\n]|\\.)+\]:[ \t]*<?$")
_MD_INLINE_PREFIX = re.compile(r"\]\([ \t]*<?$")
_MD_INLINE_TAIL = re.compile(r"(?:[ \t]*\r?\n?[ \t]*(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t]*\)")
_MD_ARCHIVED = " ([archived]("
_HTML_ANCHOR_TAG = re.compile(r"<a\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>", re.IGNORECASE)
_HTML_HREF_BEFORE = re.compile(r"""href\s*=\s*(["']?)\s*$""", re.IGNORECASE)
_HTML_BARE_VALUE = re.compile(r"[^\s\"'=<>`]+")
_HTML_ROBUST = re.compile(r"\sdata-versionurl\s*=", re.IGNORECASE)
_HTML_ARCHIVED = ' (<a href="'
#: Characters percent-encoded in a new URL so that it stays one URL in any format.
_UNSAFE_IN_URL = {" ": "%20", '"': "%22", "<": "%3C", ">": "%3E", "`": "%60"}


@dataclass(frozen=True)
class Decision:
    """What to do with one URL, built by the CLI from the store.

    ``url`` is normalised (:func:`citecheck.urls.normalize_url`); ``new_url`` is the
    archived copy for a swap, the final URL for an update; ``version_date`` is the
    ISO date of the capture (Robust Links ``data-versiondate``); ``why`` is what
    the summary says ("broken (not_found); archived 2021-07-14").
    """

    url: str
    action: Action
    new_url: str | None = None
    version_date: str | None = None
    why: str = ""


@dataclass(frozen=True)
class Replacement:
    """One planned change: ``original[start:end] == old_text`` becomes ``new_text``.

    ``start``/``end`` are byte offsets in the original document; ``line``/``column``
    are the cited URL's position as ``extract`` reports it.
    """

    document: str
    line: int
    column: int
    start: int
    end: int
    old_text: bytes
    new_text: bytes
    old_url: str
    new_url: str
    action: str


class LeftLink(NamedTuple):
    """A cited URL left as it is for a human, and why."""

    url: str
    line: int
    why: str


@dataclass(frozen=True)
class FixPlan:
    """Every change planned for one text document (nothing is written).

    ``replacements`` are in document order and never overlap; ``encoding`` is how
    the document was read ("utf-8", or "latin-1" for a document that is not UTF-8).
    """

    document: str
    original: bytes
    replacements: list[Replacement] = field(default_factory=list)
    left: list[LeftLink] = field(default_factory=list)
    encoding: str = "utf-8"

    def apply(self) -> bytes:
        """The new document: the original with every replacement made."""
        pieces = []
        cursor = 0
        for item in self.replacements:
            pieces.append(self.original[cursor : item.start])
            pieces.append(item.new_text)
            cursor = item.end
        pieces.append(self.original[cursor:])
        return b"".join(pieces)

    def diff(self) -> str:
        """A unified diff of the plan, a hunk per replacement (nearby ones share one)."""
        if not self.replacements:
            return ""
        old_lines = self.original.split(b"\n")
        new_lines = self.apply().split(b"\n")
        line_starts = _byte_line_starts(self.original)
        spans = []
        for item in self.replacements:
            first = _line_of(line_starts, item.start)
            last = _line_of(line_starts, max(item.start, item.end - 1))
            spans.append((first, last))
        out = [f"--- a/{self.document}\n", f"+++ b/{self.document}\n"]
        for first, last in _hunks(spans, len(old_lines)):
            count = last - first + 1
            out.append(f"@@ -{first + 1},{count} +{first + 1},{count} @@\n")
            out.extend(_hunk_lines(old_lines, new_lines, first, last, self._display))
        return "".join(out)

    def summary(self) -> str:
        """What the plan does, for a person: counts, then each link left and why."""
        return _summary(self.document, self.replacements, self.left)

    def _display(self, line: bytes) -> str:
        return line.rstrip(b"\r").decode(self.encoding, errors="replace").lstrip("\ufeff")


def is_archive_url(url: str, archive_prefixes: Sequence[str] = ()) -> bool:
    """Whether ``url`` is an archived copy (Wayback, archive.today, perma.cc, …).

    ``archive_prefixes`` adds the configured Wayback base (``https://wb.example/web/``).
    """
    try:
        key = normalize_url(url)
    except InvalidURLError:
        return False
    if (urlsplit(key).hostname or "") in ARCHIVE_HOSTS:
        return True
    prefixes = list(ARCHIVE_PREFIXES)
    for prefix in archive_prefixes:
        try:
            prefixes.append(normalize_url(prefix))
        except InvalidURLError:
            continue
    return any(key.startswith(prefix) for prefix in prefixes)


# --- text documents -----------------------------------------------------------------


@dataclass(frozen=True)
class _Site:
    """A cited URL located in the decoded text.

    ``raw`` is ``text[start:end]`` (for HTML it may differ from ``url`` by entities);
    ``insert_at`` is where robust style adds the archived copy (None: nowhere).
    """

    kind: str  # "bare", "md-inline", "md-autolink", "md-reference", "html-href", "html-text"
    start: int
    end: int
    url: str
    raw: str
    line: int
    column: int
    insert_at: int | None = None
    quote: str = ""


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    new: str
    site: _Site
    new_url: str
    action: str


def plan_fix(
    path_or_name: str,
    data: bytes,
    decisions: Mapping[str, Decision],
    *,
    style: Style = "replace",
    redirects: bool = False,
    archive_prefixes: Sequence[str] = (),
) -> FixPlan:
    """Plan the changes to one text document (.txt, .md, .html); nothing is written.

    The format comes from the suffix of ``path_or_name``. URLs with no decision are
    not touched and not listed: the caller passes decisions for the links that need
    attention. Raises FixError for a document that is not text.
    """
    if style not in ("replace", "robust"):
        raise FixError(f"unknown fix style {style!r} (expected replace or robust)")
    if b"\x00" in data:
        raise FixError(f"{path_or_name}: not a text document (it contains NUL bytes)")
    bom = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    try:
        text = data[bom:].decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        # latin-1 maps every byte to one character, so offsets stay exact; only
        # ASCII URLs are rewritten, and written back as the same ASCII bytes.
        bom, text, encoding = 0, data.decode("latin-1"), "latin-1"
    suffix = PurePosixPath(path_or_name).suffix.lower()
    sites, left = _locate_all(text, suffix, path_or_name)
    edits: list[_Edit] = []
    for site in sites:
        outcome = _edit_for(text, site, decisions, style, redirects, archive_prefixes, encoding)
        if isinstance(outcome, LeftLink):
            left.append(outcome)
        elif outcome is not None:
            edits.append(outcome)
    edits.sort(key=lambda edit: edit.start)
    kept: list[_Edit] = []
    for edit in edits:
        if kept and edit.start < kept[-1].end:
            left.append(LeftLink(edit.site.url, edit.site.line, "overlaps another change"))
            continue
        kept.append(edit)
    offsets = _byte_offsets(text, encoding, bom, [o for e in kept for o in (e.start, e.end)])
    replacements = [
        Replacement(
            document=path_or_name,
            line=edit.site.line,
            column=edit.site.column,
            start=offsets[edit.start],
            end=offsets[edit.end],
            old_text=data[offsets[edit.start] : offsets[edit.end]],
            new_text=edit.new.encode(encoding),
            old_url=edit.site.url,
            new_url=edit.new_url,
            action=edit.action,
        )
        for edit in kept
    ]
    left.sort(key=lambda item: item.line)
    return FixPlan(path_or_name, data, replacements, left, encoding)


def _locate_all(text: str, suffix: str, document: str) -> tuple[list[_Site], list[LeftLink]]:
    reader: Callable[[str, str], Extraction]
    if suffix in _MARKDOWN_SUFFIXES:
        reader, locate = extract_markdown, _locate_markdown
    elif suffix in _HTML_SUFFIXES:
        reader, locate = extract_html, _locate_html
    else:
        reader, locate = extract_text, _locate_bare
    starts = _char_line_starts(text)
    sites, left = [], []
    for citation in reader(text, document).citations:
        if citation.url is None or citation.line is None or citation.column is None:
            continue
        start = starts[citation.line - 1] + citation.column - 1
        site = locate(text, start, citation.url, citation.line, citation.column)
        if site is None:
            left.append(
                LeftLink(citation.url, citation.line, "could not locate its exact characters")
            )
        else:
            sites.append(site)
    return sites, left


def _locate_bare(text: str, start: int, url: str, line: int, column: int) -> _Site | None:
    end = start + len(url)
    if text[start:end] != url:
        return None
    return _Site("bare", start, end, url, url, line, column, end)


def _locate_markdown(text: str, start: int, url: str, line: int, column: int) -> _Site | None:
    end = start + len(url)
    if text[start:end] != url:
        return None
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    if _MD_REFERENCE_PREFIX.match(before):
        return _Site("md-reference", start, end, url, url, line, column, None)
    if _MD_INLINE_PREFIX.search(before):
        tail_start = end + 1 if before.endswith("<") and text[end : end + 1] == ">" else end
        tail = _MD_INLINE_TAIL.match(text, tail_start)
        insert_at = tail.end() if tail else None
        return _Site("md-inline", start, end, url, url, line, column, insert_at)
    if before.endswith("<") and text[end : end + 1] == ">":
        return _Site("md-autolink", start, end, url, url, line, column, end + 1)
    return _Site("bare", start, end, url, url, line, column, end)


def _locate_html(text: str, start: int, url: str, line: int, column: int) -> _Site | None:
    tag_start = text.rfind("<", 0, start)
    if tag_start > text.rfind(">", 0, start):
        tag = _HTML_ANCHOR_TAG.match(text, tag_start)
        href = _HTML_HREF_BEFORE.search(text, tag_start, start)
        if tag is None or href is None or tag.end() <= start:
            return None
        quote = href.group(1)
        if quote:
            close = text.find(quote, start, tag.end())
            raw = text[start:close].rstrip() if close != -1 else ""
        else:
            value = _HTML_BARE_VALUE.match(text, start)
            raw = value.group(0) if value else ""
        if not raw or html.unescape(raw) != url:
            return None
        insert_at = tag.end() - 1
        if text[insert_at - 1] == "/":
            insert_at -= 1
        return _Site("html-href", start, start + len(raw), url, raw, line, column, insert_at, quote)
    line_end = text.find("\n", start)
    span = next(find_url_spans(text, start, len(text) if line_end == -1 else line_end), None)
    if span is None or span.start != start or html.unescape(span.url) != url:
        return None
    return _Site("html-text", start, span.end, url, span.url, line, column, span.end)


def _edit_for(
    text: str,
    site: _Site,
    decisions: Mapping[str, Decision],
    style: Style,
    redirects: bool,
    archive_prefixes: Sequence[str],
    encoding: str,
) -> _Edit | LeftLink | None:
    """The change for one located URL, a reason to leave it, or None (nothing to do)."""
    chosen = _choose(site.url, site.line, decisions, redirects, archive_prefixes)
    if chosen is None or isinstance(chosen, LeftLink):
        return chosen
    decision, new_url = chosen
    if encoding != "utf-8" and not (site.url.isascii() and new_url.isascii()):
        return LeftLink(site.url, site.line, "non-ASCII URL in a document that is not UTF-8")
    robust = style == "robust" and decision.action == "swap" and site.kind != "md-reference"
    if not robust:
        return _Edit(site.start, site.end, _written(site, new_url), site, new_url, decision.action)
    if site.insert_at is None:
        return LeftLink(site.url, site.line, "could not find the end of the link")
    if site.kind == "html-href":
        tag_text = text[site.start : site.insert_at]
        if _HTML_ROBUST.search(text[text.rfind("<", 0, site.start) : site.insert_at]):
            return LeftLink(site.url, site.line, "already has Robust Links attributes")
        separator = "" if tag_text[-1:].isspace() else " "
        added = _robust_attributes(site.url, new_url, decision.version_date)
        new = tag_text + separator + added
    elif site.kind == "html-text":
        if text.startswith(_HTML_ARCHIVED, site.insert_at):
            return LeftLink(site.url, site.line, "already has an archived copy beside it")
        link = html.escape(new_url, quote=True)
        new = text[site.start : site.insert_at] + f'{_HTML_ARCHIVED}{link}">archived</a>)'
    else:
        if text.startswith(_MD_ARCHIVED, site.insert_at):
            return LeftLink(site.url, site.line, "already has an archived copy beside it")
        link = _balanced_parentheses(new_url)
        new = text[site.start : site.insert_at] + f"{_MD_ARCHIVED}{link}))"
    return _Edit(site.start, site.insert_at, new, site, new_url, decision.action)


def _choose(
    url: str,
    line: int,
    decisions: Mapping[str, Decision],
    redirects: bool,
    archive_prefixes: Sequence[str],
) -> tuple[Decision, str] | LeftLink | None:
    """The decision to carry out and the URL to write, or why not."""
    try:
        key = normalize_url(url)
    except InvalidURLError as exc:
        return LeftLink(url, line, f"not a valid URL: {exc}")
    decision = decisions.get(key)
    if decision is None:
        return None
    if is_archive_url(key, archive_prefixes):
        if decision.action == "leave":
            return None
        return LeftLink(url, line, "already points at an archived copy")
    why = decision.why or decision.action
    if decision.action == "leave":
        return LeftLink(url, line, why)
    if decision.action == "update" and not redirects:
        return LeftLink(url, line, f"{why}; redirects are updated only when asked")
    if decision.action not in ("swap", "update"):
        return LeftLink(url, line, f"unknown action {decision.action!r}")
    if not decision.new_url:
        return LeftLink(url, line, f"{why}; no URL to put in its place")
    new_url = _with_fragment(_url_safe(decision.new_url.strip()), url)
    try:
        new_key = normalize_url(new_url)
    except InvalidURLError as exc:
        return LeftLink(url, line, f"the new URL is not valid: {exc}")
    if urlsplit(new_key).scheme not in CHECKABLE_SCHEMES:
        return LeftLink(url, line, f"the new URL {new_url!r} is not http(s)")
    if new_url == url:
        return None
    return decision, new_url


def _url_safe(url: str) -> str:
    return "".join(_UNSAFE_IN_URL.get(char, char) for char in url)


def _with_fragment(new_url: str, cited: str) -> str:
    fragment = urlsplit(cited).fragment
    if fragment and "#" not in new_url:
        return f"{new_url}#{fragment}"
    return new_url


def _balanced_parentheses(url: str) -> str:
    """``url`` safe as a Markdown link destination: unbalanced parentheses escaped."""
    if url.count("(") == url.count(")"):
        return url
    return url.replace("(", "%28").replace(")", "%29")


def _written(site: _Site, new_url: str) -> str:
    """``new_url`` as it must be written at ``site``: escaped the way the original was."""
    if site.kind == "md-inline":
        return _balanced_parentheses(new_url)
    if site.kind not in ("html-href", "html-text"):
        return new_url
    escape_ampersand = "&" not in site.url or site.raw != site.url
    value = new_url.replace("&", "&amp;") if escape_ampersand else new_url
    if site.kind == "html-text":
        return value.replace("<", "&lt;").replace(">", "&gt;")
    if site.quote == '"':
        return value.replace('"', "&quot;")
    if site.quote == "'":
        return value.replace("'", "&#39;")
    # An unquoted attribute value may not contain = (HTML's syntax rules).
    return value.replace("'", "&#39;").replace("=", "&#61;")


def _robust_attributes(original: str, version_url: str, version_date: str | None) -> str:
    """The Robust Links attributes (https://robustlinks.mementoweb.org/spec/)."""
    attributes = [
        f'data-originalurl="{html.escape(original, quote=True)}"',
        f'data-versionurl="{html.escape(version_url, quote=True)}"',
    ]
    if version_date:
        attributes.append(f'data-versiondate="{html.escape(version_date, quote=True)}"')
    return " ".join(attributes)


def _char_line_starts(text: str) -> list[int]:
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts


def _byte_offsets(text: str, encoding: str, bom: int, offsets: list[int]) -> dict[int, int]:
    """Character offsets in ``text`` → byte offsets in the document, in one pass."""
    result: dict[int, int] = {}
    char_cursor, byte_cursor = 0, bom
    for offset in sorted(set(offsets)):
        byte_cursor += len(text[char_cursor:offset].encode(encoding))
        char_cursor = offset
        result[offset] = byte_cursor
    return result


# --- the diff and the summary ------------------------------------------------------


def _byte_line_starts(data: bytes) -> list[int]:
    starts = [0]
    position = data.find(b"\n")
    while position != -1:
        starts.append(position + 1)
        position = data.find(b"\n", position + 1)
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    """0-based line of a byte offset."""
    low, high = 0, len(starts)
    while high - low > 1:
        middle = (low + high) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle
    return low


def _hunks(spans: list[tuple[int, int]], line_count: int) -> Iterator[tuple[int, int]]:
    """0-based (first, last) line ranges of the hunks: changed lines plus context,
    merged when their context would overlap (a valid unified diff)."""
    current: tuple[int, int] | None = None
    for first, last in sorted(spans):
        low = max(0, first - DIFF_CONTEXT_LINES)
        high = min(line_count - 1, last + DIFF_CONTEXT_LINES)
        if current is not None and low <= current[1] + 1:
            current = (current[0], max(current[1], high))
            continue
        if current is not None:
            yield current
        current = (low, high)
    if current is not None:
        yield current


def _hunk_lines(
    old_lines: list[bytes],
    new_lines: list[bytes],
    first: int,
    last: int,
    display: Callable[[bytes], str],
) -> Iterator[str]:
    """A hunk's body: context lines, then each run of changed lines as removals
    followed by additions. Replacements never add or remove line breaks, so line
    ``n`` of the old document is line ``n`` of the new one."""
    removed: list[str] = []
    added: list[str] = []
    for number in range(first, last + 1):
        old, new = old_lines[number], new_lines[number]
        if old == new:
            yield from removed
            yield from added
            removed, added = [], []
            yield f" {display(old)}\n"
        else:
            removed.append(f"-{display(old)}\n")
            added.append(f"+{display(new)}\n")
    yield from removed
    yield from added


_VERBS = {"swap": "swapped", "update": "updated", "undo": "restored"}


def _summary(
    document: str, changes: Sequence[Replacement | TargetSwap], left: Sequence[LeftLink]
) -> str:
    swapped = sum(1 for item in changes if item.action == "swap")
    updated = sum(1 for item in changes if item.action == "update")
    restored = sum(1 for item in changes if item.action == "undo")
    counts = (
        f"{restored} restored"
        if restored
        else f"{swapped} swapped for an archived copy, {updated} updated to where they redirect"
    )
    lines = [f"{document}: {counts}, {len(left)} left for a human"]
    for item in changes:
        verb = _VERBS.get(item.action, item.action)
        lines.append(f"  line {item.line}: {verb} {item.old_url} -> {item.new_url}")
    for item in left:
        lines.append(f"  line {item.line}: left {item.url} ({item.why})")
    return "\n".join(lines) + "\n"


# --- safety ---------------------------------------------------------------------------


def verify_plan(plan: FixPlan, current: bytes) -> list[str]:
    """What prevents applying ``plan`` to ``current`` (empty: nothing).

    Each planned ``old_text`` must still be at its offsets, or found exactly once
    nearby with the same bytes on either side (a line added above it moves it).
    """
    return [problem for _, problem in _rebased(plan, current) if problem]


def rebase_plan(plan: FixPlan, current: bytes) -> FixPlan:
    """``plan`` moved onto ``current``: each hunk at its new offsets.

    Raises FixError naming every hunk that no longer matches.
    """
    results = _rebased(plan, current)
    problems = [problem for _, problem in results if problem]
    if problems:
        raise FixError(
            f"{plan.document} changed since the fix was planned:\n" + "\n".join(problems)
        )
    moved = [item for item, _ in results if item is not None]
    return replace(plan, original=current, replacements=moved)


def _rebased(plan: FixPlan, current: bytes) -> list[tuple[Replacement | None, str]]:
    results: list[tuple[Replacement | None, str]] = []
    previous_end = 0
    for item in plan.replacements:
        start = _find_hunk(plan.original, current, item)
        if start is None or start < previous_end:
            results.append(
                (
                    None,
                    f"line {item.line}: {item.old_url} is no longer where the fix planned "
                    "to change it",
                )
            )
            continue
        shift = start - item.start
        results.append((replace(item, start=start, end=item.end + shift), ""))
        previous_end = item.end + shift
    return results


def _find_hunk(original: bytes, current: bytes, item: Replacement) -> int | None:
    before = original[item.start - 1 : item.start] if item.start else b""
    after = original[item.end : item.end + 1]

    def fits(start: int) -> bool:
        end = start + len(item.old_text)
        return (
            current[start:end] == item.old_text
            and (current[start - 1 : start] if start else b"") == before
            and current[end : end + 1] == after
        )

    if fits(item.start):
        return item.start
    low = max(0, item.start - NEARBY_BYTES)
    high = min(len(current), item.end + NEARBY_BYTES)
    found = []
    position = current.find(item.old_text, low, high)
    while position != -1 and len(found) < 2:
        if fits(position):
            found.append(position)
        position = current.find(item.old_text, position + 1, high)
    return found[0] if len(found) == 1 else None


def plan_undo(path_or_name: str, data: bytes, swaps: Sequence[Replacement]) -> FixPlan:
    """Put back what ``swaps`` (the recorded replacements of a fix) changed.

    Each swap's ``new_text`` is looked for on its line of ``data`` (the fixed
    document) and turned back into its ``old_text``; offsets are not trusted, so the
    record survives edits elsewhere in the document. Raises FixError naming every
    swap that is no longer there.
    """
    line_starts = _byte_line_starts(data)
    taken: list[tuple[int, int]] = []
    undone: list[Replacement] = []
    problems: list[str] = []
    for item in sorted(swaps, key=lambda swap: swap.line):
        start = _find_on_line(data, line_starts, item.line, item.new_text, taken)
        if start is None:
            problems.append(f"line {item.line}: {item.new_url} is no longer there")
            continue
        end = start + len(item.new_text)
        taken.append((start, end))
        undone.append(
            replace(
                item,
                document=path_or_name,
                start=start,
                end=end,
                old_text=item.new_text,
                new_text=item.old_text,
                old_url=item.new_url,
                new_url=item.old_url,
                action="undo",
            )
        )
    if problems:
        raise FixError(f"{path_or_name}: cannot undo the last fix:\n" + "\n".join(problems))
    encoding = "utf-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        encoding = "latin-1"
    undone.sort(key=lambda item: item.start)
    return FixPlan(path_or_name, data, undone, [], encoding)


def _find_on_line(
    data: bytes, line_starts: list[int], line: int, needle: bytes, taken: list[tuple[int, int]]
) -> int | None:
    """The first start of ``needle`` on ``line`` (1-based) not inside a taken range."""
    if not needle or not 1 <= line <= len(line_starts):
        return None
    line_start = line_starts[line - 1]
    line_end = line_starts[line] if line < len(line_starts) else len(data)
    position = data.find(needle, line_start, max(line_end, line_start + len(needle)))
    while position != -1 and position < line_end:
        end = position + len(needle)
        if not any(start < end and position < stop for start, stop in taken):
            return position
        position = data.find(needle, position + 1, max(line_end, position + 1 + len(needle)))
    return None


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` through a temporary file beside it (same mode)."""
    try:
        with atomic_output(path) as out:
            out.write(data)
    except OSError as exc:
        raise FixError(f"{path}: cannot write: {exc.strerror or exc}") from exc


# --- .docx ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetSwap:
    """One hyperlink relationship of a .docx whose target changes.

    ``line`` is the paragraph number (as ``extract`` reports it) of the first
    hyperlink using the relationship; ``text_too`` says that hyperlink texts that
    were the URL itself are updated as well.
    """

    document: str
    line: int
    column: int
    part: str
    rels_member: str
    rel_id: str
    old_url: str
    new_url: str
    action: str
    text_too: bool = False


@dataclass(frozen=True)
class DocxPlan:
    """Every change planned for one .docx: relationship targets, nothing else."""

    document: str
    path: Path
    sha256: str
    replacements: list[TargetSwap] = field(default_factory=list)
    left: list[LeftLink] = field(default_factory=list)

    def diff(self) -> str:
        """A unified-style diff of the hyperlink targets, a hunk per relationship."""
        if not self.replacements:
            return ""
        out = [
            f"--- a/{self.document} (hyperlink targets)\n",
            f"+++ b/{self.document} (hyperlink targets)\n",
        ]
        for item in self.replacements:
            out.append(f"@@ paragraph {item.line} ({item.part}, {item.rel_id}) @@\n")
            out.append(f"-{item.old_url}\n+{item.new_url}\n")
        return "".join(out)

    def summary(self) -> str:
        """What the plan does, for a person: counts, then each link left and why."""
        return _summary(self.document, self.replacements, self.left)

    def apply(self, out: BinaryIO) -> None:
        """Write the new package to ``out``, streaming every unchanged member.

        Raises FixError if the file changed since it was planned.
        """
        if _sha256(self.path) != self.sha256:
            raise FixError(f"{self.document} changed since the fix was planned; plan again")
        try:
            with zipfile.ZipFile(self.path) as source:
                changed = self._changed_members(source)
                with zipfile.ZipFile(out, "w") as target:
                    target.comment = source.comment
                    for info in source.infolist():
                        copied = copy.copy(info)
                        if info.filename in changed:
                            target.writestr(copied, changed[info.filename])
                            continue
                        with source.open(info) as src, target.open(copied, "w") as dst:
                            shutil.copyfileobj(src, dst, 1024 * 1024)
        except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError) as exc:
            raise FixError(f"{self.document}: cannot rewrite the package: {exc}") from exc

    def write(self) -> None:
        """Apply the plan to the document itself, atomically."""
        try:
            with atomic_output(self.path) as out:
                self.apply(out)
        except OSError as exc:
            raise FixError(f"{self.path}: cannot write: {exc.strerror or exc}") from exc

    def _changed_members(self, source: zipfile.ZipFile) -> dict[str, bytes]:
        changed: dict[str, bytes] = {}
        by_rels: dict[str, list[TargetSwap]] = {}
        for item in self.replacements:
            by_rels.setdefault(item.rels_member, []).append(item)
        for member, swaps in by_rels.items():
            changed[member] = _retarget(source.read(member), swaps, self.document)
        texts: dict[str, list[TargetSwap]] = {}
        for item in self.replacements:
            if item.text_too:
                texts.setdefault(item.part, []).append(item)
        for member, swaps in texts.items():
            changed[member] = _retext(source.read(member), swaps)
        return changed


_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_XML_ATTRIBUTE = re.compile(
    rb"""\s(?P<name>[\w:]+)\s*=\s*(?P<quote>["'])(?P<value>.*?)(?P=quote)"""
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _retarget(rels: bytes, swaps: list[TargetSwap], document: str) -> bytes:
    """The relationships part with the swapped targets; every other byte as it was."""
    wanted = {item.rel_id: item for item in swaps}
    done: set[str] = set()

    def rewrite(match: re.Match[bytes]) -> bytes:
        element = match.group(0)
        attributes = {m.group("name"): m for m in _XML_ATTRIBUTE.finditer(element)}
        rel_id = attributes.get(b"Id")
        target = attributes.get(b"Target")
        if rel_id is None or target is None:
            return element
        item = wanted.get(rel_id.group("value").decode("utf-8"))
        if item is None:
            return element
        if html.unescape(target.group("value").decode("utf-8")) != item.old_url:
            raise FixError(f"{document}: {item.rel_id} no longer points at {item.old_url}")
        done.add(item.rel_id)
        value = html.escape(item.new_url, quote=True).encode("utf-8")
        return element[: target.start("value")] + value + element[target.end("value") :]

    result = _RELATIONSHIP.sub(rewrite, rels)
    missing = sorted(set(wanted) - done)
    if missing:
        raise FixError(f"{document}: relationships not found: {', '.join(missing)}")
    return result


def _retext(part: bytes, swaps: list[TargetSwap]) -> bytes:
    """The part with hyperlink texts that were the old URL now showing the new one."""
    root = etree.fromstring(part)
    by_id = {item.rel_id: item for item in swaps}
    for hyperlink in root.iter(f"{{{_W}}}hyperlink"):
        item = by_id.get(hyperlink.get(f"{{{_R}}}id", ""))
        if item is None:
            continue
        texts = list(hyperlink.iter(f"{{{_W}}}t"))
        if texts and _same_url("".join(t.text or "" for t in texts).strip(), item.old_url):
            texts[0].text = item.new_url
            for other in texts[1:]:
                other.text = ""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _same_url(text: str, url: str) -> bool:
    if text == url:
        return True
    try:
        return normalize_url(text) == normalize_url(url)
    except InvalidURLError:
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def plan_docx_fix(
    path: Path,
    decisions: Mapping[str, Decision],
    *,
    redirects: bool = False,
    archive_prefixes: Sequence[str] = (),
    document: str | None = None,
) -> DocxPlan:
    """Plan the changes to a .docx: hyperlink targets (and texts that are the URL).

    Word has no place for a second link beside a hyperlink, so there is only one
    style: the target is replaced. URLs typed as plain text are left for a human.
    """
    name = str(path) if document is None else document
    sha256, links = _read_docx(path)
    swaps: dict[tuple[str, str], TargetSwap] = {}
    left: list[LeftLink] = []
    for link in links:
        if link.rel_id is None:
            chosen = _choose(link.url, link.paragraph, decisions, redirects, archive_prefixes)
            if isinstance(chosen, LeftLink):
                left.append(chosen)
            elif chosen is not None:
                left.append(LeftLink(link.url, link.paragraph, "typed as text, not a hyperlink"))
            continue
        key = (link.rels_member, link.rel_id)
        if key in swaps:
            if _same_url(link.text.strip(), link.url):
                swaps[key] = replace(swaps[key], text_too=True)
            continue
        chosen = _choose(link.url, link.paragraph, decisions, redirects, archive_prefixes)
        if isinstance(chosen, LeftLink):
            left.append(chosen)
        elif chosen is not None:
            decision, new_url = chosen
            swaps[key] = _target_swap(name, link, new_url, decision.action)
    ordered = sorted(swaps.values(), key=lambda item: (item.part != "word/document.xml", item.line))
    left.sort(key=lambda item: item.line)
    return DocxPlan(name, path, sha256, ordered, left)


def _read_docx(path: Path) -> tuple[str, list[DocxLink]]:
    """The file's digest (to refuse writing over a changed file) and its hyperlinks."""
    try:
        return _sha256(path), docx_hyperlinks(path)
    except OSError as exc:
        raise FixError(f"{path}: cannot read the document: {exc.strerror or exc}") from exc
    except InputError as exc:
        raise FixError(str(exc)) from exc


def plan_docx_undo(
    path: Path, swaps: Sequence[TargetSwap], *, document: str | None = None
) -> DocxPlan:
    """Put back the hyperlink targets that ``swaps`` (a recorded fix) changed.

    A relationship is restored when its target is still the recorded new URL;
    raises FixError naming every swap that is no longer there.
    """
    name = str(path) if document is None else document
    sha256, links = _read_docx(path)
    present = {(link.rels_member, link.rel_id, link.url): link for link in links if link.rel_id}
    undone: list[TargetSwap] = []
    problems: list[str] = []
    for item in swaps:
        link = present.get((item.rels_member, item.rel_id, item.new_url))
        if link is None:
            problems.append(f"paragraph {item.line}: {item.new_url} is no longer there")
            continue
        undone.append(
            replace(
                _target_swap(name, link, item.old_url, "undo"),
                text_too=item.text_too and _same_url(link.text.strip(), link.url),
            )
        )
    if problems:
        raise FixError(f"{name}: cannot undo the last fix:\n" + "\n".join(problems))
    return DocxPlan(name, path, sha256, undone, [])


def _target_swap(document: str, link: DocxLink, new_url: str, action: str) -> TargetSwap:
    return TargetSwap(
        document=document,
        line=link.paragraph,
        column=link.column,
        part=link.part,
        rels_member=link.rels_member,
        rel_id=link.rel_id or "",
        old_url=link.url,
        new_url=new_url,
        action=action,
        text_too=_same_url(link.text.strip(), link.url),
    )
