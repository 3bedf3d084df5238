"""Text documents (plain text, Markdown, HTML): plan the swaps, byte for byte.

Pure: document bytes + one :class:`Decision` per URL → a :class:`FixPlan` (a list of
:class:`Replacement`) → new bytes. The document is read by the same extractors as
``citecheck extract``, so ``fix`` rewrites exactly the spans that ``extract``
reports (code blocks and code spans in Markdown, a URL that is the prefix of a
longer one, … are already handled there). Everything outside a replacement is
copied from the original bytes, so the encoding, the BOM, the line endings and the
surrounding punctuation cannot change. ``style="robust"`` keeps the reader's link
and adds the archived copy beside it (``markdown.py``, ``html.py``); updates of
redirects always replace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from ..errors import FixError
from ..extract import Extraction, extract_html, extract_markdown, extract_text
from .diff import byte_line_starts, hunk_lines, hunks, line_of, summary
from .html import locate_html, robust_html, written_html
from .markdown import balanced_parentheses, locate_markdown, robust_markdown
from .rules import Decision, LeftLink, Style, choose, with_page
from .sites import Site, char_line_starts, locate_bare

_UTF8_BOM = b"\xef\xbb\xbf"
Locator = Callable[[str, int, str, int, int], Site | None]
#: Each text format's reader (the extractor) and locator, by suffix; others are plain text.
_FORMATS: dict[str, tuple[Callable[[str, str], Extraction], Locator]] = {
    ".md": (extract_markdown, locate_markdown),
    ".markdown": (extract_markdown, locate_markdown),
    ".html": (extract_html, locate_html),
    ".htm": (extract_html, locate_html),
}


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
        line_starts = byte_line_starts(self.original)
        spans = []
        for item in self.replacements:
            first = line_of(line_starts, item.start)
            last = line_of(line_starts, max(item.start, item.end - 1))
            spans.append((first, last))
        out = [f"--- a/{self.document}\n", f"+++ b/{self.document}\n"]
        for first, last in hunks(spans, len(old_lines)):
            count = last - first + 1
            out.append(f"@@ -{first + 1},{count} +{first + 1},{count} @@\n")
            out.extend(hunk_lines(old_lines, new_lines, first, last, self._display))
        return "".join(out)

    def summary(self) -> str:
        """What the plan does, for a person: counts, then each link left and why."""
        return summary(self.document, self.replacements, self.left)

    def _display(self, line: bytes) -> str:
        return line.rstrip(b"\r").decode(self.encoding, errors="replace").lstrip("\ufeff")


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    new: str
    site: Site
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


def _locate_all(text: str, suffix: str, document: str) -> tuple[list[Site], list[LeftLink]]:
    reader, locate = _FORMATS.get(suffix, (extract_text, locate_bare))
    starts = char_line_starts(text)
    sites, left = [], []
    for citation in reader(text, document).citations:
        if citation.url is None or citation.line is None or citation.column is None:
            continue
        start = starts[citation.line - 1] + citation.column - 1
        site = locate(text, start, citation.url, citation.line, citation.column)
        if site is not None and citation.page is not None:
            site = replace(site, page=citation.page)
        if site is None:
            left.append(
                LeftLink(citation.url, citation.line, "could not locate its exact characters")
            )
        else:
            sites.append(site)
    return sites, left


def _edit_for(
    text: str,
    site: Site,
    decisions: Mapping[str, Decision],
    style: Style,
    redirects: bool,
    archive_prefixes: Sequence[str],
    encoding: str,
) -> _Edit | LeftLink | None:
    """The change for one located URL, a reason to leave it, or None (nothing to do)."""
    chosen = choose(site.url, site.line, decisions, redirects, archive_prefixes)
    if chosen is None or isinstance(chosen, LeftLink):
        return chosen
    decision, new_url = chosen
    new_url = with_page(new_url, site.page, decision)
    if encoding != "utf-8" and not (site.url.isascii() and new_url.isascii()):
        return LeftLink(site.url, site.line, "non-ASCII URL in a document that is not UTF-8")
    robust = style == "robust" and decision.action == "swap" and site.kind != "md-reference"
    if not robust:
        return _Edit(site.start, site.end, _written(site, new_url), site, new_url, decision.action)
    if site.insert_at is None:
        return LeftLink(site.url, site.line, "could not find the end of the link")
    if site.kind in ("html-href", "html-text"):
        new = robust_html(text, site, new_url, decision.version_date)
    else:
        new = robust_markdown(text, site, new_url)
    if isinstance(new, LeftLink):
        return new
    return _Edit(site.start, site.insert_at, new, site, new_url, decision.action)


def _written(site: Site, new_url: str) -> str:
    """``new_url`` as it must be written at ``site``: escaped the way the original was."""
    if site.kind == "md-inline":
        return balanced_parentheses(new_url)
    if site.kind not in ("html-href", "html-text"):
        return new_url
    return written_html(site, new_url)


def _byte_offsets(text: str, encoding: str, bom: int, offsets: list[int]) -> dict[int, int]:
    """Character offsets in ``text`` → byte offsets in the document, in one pass."""
    result: dict[int, int] = {}
    char_cursor, byte_cursor = 0, bom
    for offset in sorted(set(offsets)):
        byte_cursor += len(text[char_cursor:offset].encode(encoding))
        char_cursor = offset
        result[offset] = byte_cursor
    return result
