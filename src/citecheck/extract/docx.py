"""Word (.docx): hyperlinks and URLs typed in the text.

The package is read through size limits (``_ooxml``) and each part holding
paragraphs is streamed with lxml's ``iterparse``, a top-level paragraph at a time,
so memory stays bounded at any document size. A hyperlink's URL is the target of
an external relationship of the part that holds it (``w:hyperlink r:id="rId5"``). ``line`` is
the paragraph's 1-based number in its part (the main document, or a footnotes,
endnotes, header, footer or comments part, named in ``extra["part"]``); ``column``
is the 1-based character offset of the link in the paragraph's text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..errors import InputError
from ..models import Citation
from ._claims import MAX_CONTEXT_CHARS, Extraction, Found, build_extraction
from ._ooxml import HYPERLINK, Package, rels_member
from ._spans import EXTRACTED_SCHEMES, blank_ranges, find_url_spans

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PARAGRAPH = f"{_W}p"
_HYPERLINK = f"{_W}hyperlink"
_TEXT = f"{_W}t"
#: Elements that read as one character of text.
_SPACING = {f"{_W}tab": "\t", f"{_W}br": " ", f"{_W}cr": " ", f"{_W}noBreakHyphen": "-"}
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_TEXT_PARTS = frozenset(
    {
        f"{_WML}.document.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        f"{_WML}.footnotes+xml",
        f"{_WML}.endnotes+xml",
        f"{_WML}.header+xml",
        f"{_WML}.footer+xml",
        f"{_WML}.comments+xml",
    }
)
_MAIN_PART = "word/document.xml"


@dataclass(frozen=True)
class DocxLink:
    """A URL in a .docx: a hyperlink (``rel_id`` set) or a URL typed as text.

    ``part`` and ``rels_member`` are zip member names ("word/document.xml",
    "word/_rels/document.xml.rels"); ``text`` is what the reader sees.
    """

    part: str
    rels_member: str
    paragraph: int
    column: int
    rel_id: str | None
    url: str
    text: str


@dataclass
class _Hyperlink:
    start: int
    end: int
    rel_id: str


def docx_hyperlinks(path: Path) -> list[DocxLink]:
    """Every URL of the document, hyperlinks and typed ones, in document order."""
    links, _ = _scan(path, str(path))
    return links


def extract_docx(path: Path, document: str) -> Extraction:
    """The citations of a .docx; a hyperlink's context is its text (unless a URL)."""
    _, extraction = _scan(path, document)
    return extraction


def _scan(path: Path, document: str) -> tuple[list[DocxLink], Extraction]:
    links: list[DocxLink] = []
    citations: list[Citation] = []
    unresolved: list[Citation] = []
    with Package(path) as package:
        for member in _text_parts(package):
            targets = {
                rel.rel_id: rel.target
                for rel in package.relationships(member)
                if rel.external and rel.reltype == HYPERLINK
            }
            extra = {} if member == _MAIN_PART else {"part": member}
            for number, paragraph in _paragraphs(package, member):
                part_links, result = _read_paragraph(paragraph, targets, document)
                for link, citation in zip(part_links, result.citations, strict=True):
                    links.append(
                        DocxLink(member, rels_member(member), number, link.column, *link.found)
                    )
                    citations.append(dataclasses.replace(citation, line=number, extra=extra))
                unresolved.extend(
                    dataclasses.replace(citation, line=number, extra=extra)
                    for citation in result.unresolved
                )
    return links, Extraction(citations=citations, unresolved=unresolved)


@dataclass(frozen=True)
class _ParagraphLink:
    column: int
    found: tuple[str | None, str, str]  # rel_id, url, text


def _read_paragraph(
    paragraph: etree._Element, targets: dict[str, str], document: str
) -> tuple[list[_ParagraphLink], Extraction]:
    text, hyperlinks = _paragraph_text(paragraph)
    found: list[tuple[Found, str | None]] = []
    for hyperlink in hyperlinks:
        url = targets.get(hyperlink.rel_id, "").strip()
        if _has_scheme(url):
            label = text[hyperlink.start : hyperlink.end]
            item = Found(
                hyperlink.start,
                hyperlink.end,
                url,
                hyperlink.start,
                hyperlink.end,
                " ".join(label.split()),
            )
            found.append((item, hyperlink.rel_id))
    typed = blank_ranges(text, [(link.start, link.end) for link in hyperlinks])
    for span in find_url_spans(typed):
        found.append((Found(span.start, span.end, span.url, span.start, span.end), None))
    found.sort(key=lambda pair: pair[0].start)
    result = build_extraction(text, text, [item for item, _ in found], [0], document)
    links = []
    citations = []
    for (item, rel_id), citation in zip(found, result.citations, strict=True):
        links.append(
            _ParagraphLink(citation.column or 1, (rel_id, item.url, text[item.start : item.end]))
        )
        context = citation.context
        if rel_id is not None and item.label and not _has_scheme(item.label):
            context = _shorten(item.label)
        citations.append(dataclasses.replace(citation, context=context))
    return links, Extraction(citations=citations, unresolved=result.unresolved)


def _text_parts(package: Package) -> Iterator[str]:
    """The main document part first, then the other parts that hold paragraphs."""
    main = package.main_part()
    if package.content_type(main) not in _TEXT_PARTS:
        raise InputError(f"{package.path}: not a readable .docx document: {main} is not Word text")
    yield main
    for member in package.walk_parts():
        if member != main and package.content_type(member) in _TEXT_PARTS:
            yield member


def _paragraphs(package: Package, member: str) -> Iterator[tuple[int, etree._Element]]:
    """Every paragraph of a part with its 1-based number, in document order.

    A paragraph can hold others (a text box's); each top-level paragraph is read
    once complete, then dropped with everything before it, so memory holds one.
    """
    number = 0
    depth = 0
    with package.open_member(member) as stream:
        events = etree.iterparse(
            stream,
            events=("start", "end"),
            tag=_PARAGRAPH,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
        )
        try:
            for event, element in events:
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                if depth:
                    continue
                for paragraph in element.iter(_PARAGRAPH):
                    number += 1
                    yield number, paragraph
                element.clear()
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            raise InputError(f"{package.path}: {member} is not well-formed XML: {exc}") from exc


def _paragraph_text(paragraph: etree._Element) -> tuple[str, list[_Hyperlink]]:
    """The paragraph's own text (not that of a text box nested in it) and where
    each of its hyperlinks is in that text."""
    pieces: list[str] = []
    length = 0
    # Keyed by the element itself: holding it keeps lxml's proxy (and identity) alive.
    hyperlinks: dict[etree._Element, _Hyperlink] = {}
    for element in paragraph.iter(_HYPERLINK, _TEXT, *_SPACING):
        if _owner(element, _PARAGRAPH) is not paragraph:
            continue
        if element.tag == _HYPERLINK:
            rel_id = element.get(_R_ID)
            if rel_id:
                hyperlinks[element] = _Hyperlink(length, length, rel_id)
            continue
        piece = _SPACING.get(element.tag) or (element.text or "").replace("\n", " ")
        pieces.append(piece)
        length += len(piece)
        hyperlink = _owner(element, _HYPERLINK, stop=paragraph)
        if hyperlink is not None and hyperlink in hyperlinks:
            hyperlinks[hyperlink].end = length
    return "".join(pieces), list(hyperlinks.values())


def _owner(
    element: etree._Element, tag: str, stop: etree._Element | None = None
) -> etree._Element | None:
    """The nearest ancestor of ``element`` with ``tag``, not looking past ``stop``."""
    for ancestor in element.iterancestors():
        if ancestor is stop:
            return None
        if ancestor.tag == tag:
            return ancestor
    return None


def _has_scheme(url: str) -> bool:
    head, colon, _ = url.partition(":")
    return bool(colon) and f"{head.lower()}:" in EXTRACTED_SCHEMES


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_CONTEXT_CHARS:
        return text
    return text[: MAX_CONTEXT_CHARS - 1].rstrip() + "…"
