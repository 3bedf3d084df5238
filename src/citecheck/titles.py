"""Read what a page says it is: title, first heading, a text sample, a fingerprint.

Pure: bytes and headers in, a :class:`PageInfo` out. The body is the start of the
response (at most the configured cap), so everything here copes with documents cut
off anywhere, with wrong or missing charsets and with hostile markup, and never
raises on what a server sends.

Parser choice: lxml (libxml2) rather than the stdlib ``html.parser``. On Python
3.11 ``html.parser`` is quadratic on crafted malformed markup (400 KB of ``<a``
takes minutes, CVE-2025-6069) and raises ``AssertionError`` on ``<![``; building a
BeautifulSoup tree costs about a second for 65,000 tags. libxml2 parses a 512 KB
body in milliseconds, recovers from broken markup and stops nesting at 256 levels.
We walk lxml's tree directly; the bytes are decoded before lxml sees them, by the
WHATWG rules (decoding.py).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import operator
import re
import threading
from collections.abc import Mapping

from lxml import etree

from .decoding import decode, decode_html, detect_encoding, meta_element_encoding
from .frozen import builder
from .models import HTML_TYPES, PDF_TYPES, PageInfo
from .pdfmeta import pdf_metadata

#: Titles and headlines longer than this are cut: enough for any real title.
MAX_TITLE_CHARS = 500
#: Length of :attr:`PageInfo.text_sample`.
TEXT_SAMPLE_CHARS = 2_000
#: Main text read from a page, for the sample and the fingerprint. Enough to tell
#: pages apart; bounds the work on a page of 500 KB of text.
MAX_TEXT_CHARS = 50_000
#: A fingerprint needs at least this many words: fewer say nothing about a page.
MIN_FINGERPRINT_WORDS = 8

#: Content types that say nothing, so the body is sniffed.
_UNTYPED = frozenset({"application/octet-stream", "binary/octet-stream", "application/unknown"})
#: WHATWG MIME sniffing: a body whose first tag is one of these is HTML.
_HTML_SNIFF = re.compile(
    rb"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|!--)[\s>]",
    re.IGNORECASE,
)
#: The attributes by which a <meta> element declares an encoding.
_META_ATTRIBUTES = ("charset", "http-equiv", "content")
#: Elements whose text is not the page's main content.
_HIDDEN_TAGS = frozenset(
    {
        "head", "script", "style", "noscript", "template", "nav", "header", "footer", "aside",
        "form", "svg", "math", "iframe", "object", "select", "button", "title",
    }
)  # fmt: skip
#: Inline elements: their boundaries do not separate words.
_INLINE_TAGS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd",
        "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
    }
)  # fmt: skip
#: The attributes by which an element is hidden or named boilerplate.
_FILTER_ATTRIBUTES = frozenset({"hidden", "role", "aria-hidden", "class", "id"})
#: ARIA landmarks that hold a site's furniture rather than the page's content.
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
#: class/id tokens that mark boilerplate only as whole words: "ad" must not match
#: "header" or "download", "comment" not "commentary", "share" not "shared".
_BOILERPLATE_WORDS = frozenset(
    {"ad", "ads", "share", "shares", "sharing", "comment", "comments", "commenting"}
)
#: class/id tokens that mark boilerplate as a word or a word's start: "advert" also
#: matches "advertisement", "promo" "promoted", "recommend" "recommendations".
_BOILERPLATE_STEMS = (
    "advert", "sponsor", "promo", "related", "recommend", "mostread", "newsletter", "cookie",
    "consent", "social", "byline", "dateline",
)  # fmt: skip
#: Consecutive class/id tokens that mark boilerplate ("most-read", "mostRead").
_BOILERPLATE_PHRASES = frozenset({("most", "read")})
#: Characters of a class or id attribute tokenised: real ones are far shorter, and
#: the cap bounds both the work on hostile attributes and the memory of the cache.
_MAX_CLASS_CHARS = 256
#: Words of a class or id: split on non-alphanumerics and at camelCase humps.
_CLASS_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
#: <article> elements examined when looking for the page's single one: a page with
#: more is a listing, and the bound keeps the ancestor checks cheap on hostile pages.
_MAX_ARTICLES = 64
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_WORD = re.compile(r"\w+")
#: Text with at least :data:`MIN_FINGERPRINT_WORDS` words (runs of ``_WORD``), matched
#: from its start once, without backtracking: linear on any text.
_ENOUGH_WORDS = re.compile(rf"\W*+\w++(?:\W++\w++){{{MIN_FINGERPRINT_WORDS - 1}}}")
#: A shingle's hash: 64 bits of blake2b.
_BLAKE2B_64 = functools.partial(hashlib.blake2b, digest_size=8)
_DIGEST = operator.methodcaller("digest")
#: For each bit of a byte, most significant first: a table that maps a byte to 1 when
#: it has that bit, else to 0 (bytes.translate, then count(1), counts the votes).
_BIT_MASKS = tuple(bytes(1 if byte & 0x80 >> bit else 0 for byte in range(256)) for bit in range(8))
#: Bytes after "<dc:title" searched for its value: bounds the search in a 32 MB PDF.


def page_info(body: bytes, headers: Mapping[str, str], *, truncated: bool = False) -> PageInfo:
    """What the body says it is; ``PageInfo()`` for anything but HTML and PDF.

    ``headers`` have lower-case names; ``truncated`` says the body was cut off at
    the fetch cap (so a trailing partial character is dropped, not mis-decoded).
    """
    content_type = _media_type(headers)
    if content_type in PDF_TYPES or body.startswith(b"%PDF-"):
        return _pdf_info(body, truncated=truncated)
    if _is_html(body, content_type):
        return _html_info(_html_root(body, headers, truncated=truncated))
    return PageInfo()


def html_text(body: bytes, headers: Mapping[str, str]) -> str:
    """The main visible text of an HTML body, white space collapsed (at most
    :data:`MAX_TEXT_CHARS` characters)."""
    root = _html_root(body, headers, truncated=False)
    return _main_text(root) if root is not None else ""


def fingerprint(text: str) -> str | None:
    """A 64-bit simhash of the text's word 3-shingles, as 16 hex digits.

    Near-identical texts get fingerprints a few bits apart, so two renderings of the
    same "page not found" template compare as similar though they echo different
    paths. None when the text has fewer than :data:`MIN_FINGERPRINT_WORDS` words.

    Each shingle is hashed with blake2b (stable across processes and machines, unlike
    the salted built-in hash()); bit ``i`` of the fingerprint is set when more than
    half of the shingles' hashes have it. Written for speed (a 100 KiB article has
    8,000 shingles): the shingles are slices of the words joined once, hashed in
    C-level map()s, and the votes are counted per bit over all hashes at once.
    """
    words = _WORD.findall(text[:MAX_TEXT_CHARS].casefold())
    if len(words) < MIN_FINGERPRINT_WORDS:
        return None
    joined = " ".join(words).encode("utf-8")
    sizes = map(len, words) if joined.isascii() else (len(w.encode("utf-8")) for w in words)
    # starts[i]: where word i begins in ``joined``; shingle i runs to the end of word i + 2.
    starts = list(itertools.accumulate((size + 1 for size in sizes), initial=0))
    shingles = map(joined.__getitem__, map(slice, starts[:-3], [end - 1 for end in starts[3:]]))
    hashes = b"".join(map(_DIGEST, map(_BLAKE2B_64, shingles)))
    half = (len(words) - 2) / 2
    value = 0
    for byte in range(8):
        column = hashes[byte::8]  # byte ``byte`` of every hash
        for mask in _BIT_MASKS:
            value = value << 1 | (column.translate(mask).count(1) > half)
    return f"{value:016x}"


def similarity(fp_a: str, fp_b: str) -> float:
    """1.0 for equal fingerprints, down to 0.0 when all 64 bits differ."""
    return 1 - (int(fp_a, 16) ^ int(fp_b, 16)).bit_count() / 64


def _media_type(headers: Mapping[str, str]) -> str | None:
    raw = headers.get("content-type")
    if not raw:
        return None
    return raw.split(";", 1)[0].strip().lower() or None


def _is_html(body: bytes, content_type: str | None) -> bool:
    if content_type in HTML_TYPES:
        return True
    if content_type is not None and content_type not in _UNTYPED:
        return False
    start = body[:1024].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\f")
    return _HTML_SNIFF.match(start) is not None


def _html_root(
    body: bytes, headers: Mapping[str, str], *, truncated: bool
) -> etree._Element | None:
    """The parsed page, decoded as a browser decodes it (decoding.py).

    While the encoding is only tentative (no byte-order mark, no header charset), the
    first ``<meta>`` element the parser met that declares an encoding decides it, as
    the HTML Standard's tree builder does ("change the encoding"): one past the
    prescan's 1,024 bytes counts, one in a comment, a script or an attribute does not.
    """
    decoded = decode_html(body, headers.get("content-type"), truncated=truncated)
    root = _parse(decoded.text)
    if root is None or decoded.certain:
        return root
    declared = next(
        (
            encoding
            for meta in root.iter("meta")
            if (encoding := meta_element_encoding(*map(meta.get, _META_ATTRIBUTES)))
        ),
        None,
    )
    if declared is None and decoded.source == "provisional":
        declared = detect_encoding(body)
    if declared is not None and declared != decoded.encoding:
        root = _parse(decode(body, declared, truncated=truncated))
    return root


#: One lxml parser per thread (a parser may not be shared by threads; making one per
#: page cost a tenth of reading a small page). Page checks read pages in a worker thread.
_PARSERS = threading.local()


def _parser() -> etree.HTMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.HTMLParser(
            recover=True,
            no_network=True,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
            huge_tree=False,
            encoding="utf-8",
        )
    return parser


def _parse(text: str) -> etree._Element | None:
    text = _CONTROL_CHARS.sub("", text)
    parser = _parser()
    try:
        return etree.fromstring(text.encode("utf-8", "replace"), parser)
    except (etree.LxmlError, ValueError):
        return None


def _html_info(root: etree._Element | None) -> PageInfo:
    if root is None:
        return PageInfo()
    main_text = _main_text(root)
    return _page_info(
        title=_document_title(root)
        or _meta_title(root, "og:title")
        or _meta_title(root, "twitter:title"),
        page_count=None,
        headline=_clean_title(_element_text(next(root.iter("h1"), None))),
        text_sample=_sample(main_text) or None,
        text_fingerprint=fingerprint(main_text),
    )


#: A page's PageInfo, built in one step (frozen.py): one a link.
_page_info = builder(PageInfo)


def _document_title(root: etree._Element) -> str | None:
    for element in root.iter("title"):
        if next(element.iterancestors("svg", "math"), None) is not None:
            continue  # (an SVG or MathML title names a drawing, not the page)
        title = _clean_title(_element_text(element))
        if title:
            return title
    return None


def _meta_title(root: etree._Element, name: str) -> str | None:
    for element in root.iter("meta"):
        key = element.get("property") or element.get("name") or ""
        if key.strip().lower() == name:
            title = _clean_title(element.get("content"))
            if title:
                return title
    return None


def _element_text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    if not len(element):  # no children: its text is all (itertext costs microseconds)
        return element.text or ""
    return "".join(piece for piece in element.itertext() if isinstance(piece, str))


def _main_text(root: etree._Element) -> str:
    """The page's main text, collapsed: what a reader came for, without boilerplate.

    The fingerprint that drift detection compares is taken from this text, so
    everything that changes while the article does not (date lines, ads, "related
    stories" rails, share bars, comment counts) is left out. Read from the page's
    single <article>, or else its single <main>, or else <body>; inside it, landmarks
    of navigation, banners, footers, asides and search, aria-hidden elements, <time>
    and elements whose class or id names boilerplate are dropped.

    Class names are a guess. WordPress writes a post's tag slugs into the classes of
    its wrapper ("tag-social-media"), and modal scripts set aria-hidden on the whole
    page, so the ancestors of the first <h1> are never dropped for their attributes.
    When the filters leave fewer than :data:`MIN_FINGERPRINT_WORDS` words, the
    whole of <body> is read as before them: a short page ("Page not found") keeps its
    text for the soft-404 rules.
    """
    body = next(root.iterchildren("body"), None)  # root.find("body"), without ElementPath
    page = body if body is not None else root
    container = _content_container(page)
    headline = next(container.iter("h1"), None)
    protected = {headline, *headline.iterancestors()} if headline is not None else set()
    text, filtered = _visible_text(container, protected=protected, drop_boilerplate=True)
    if _ENOUGH_WORDS.match(text) is not None or (container is page and not filtered):
        return text  # (when the filters left nothing out, <body> reads the same without them)
    return _visible_text(page, protected=set(), drop_boilerplate=False)[0]


def _content_container(page: etree._Element) -> etree._Element:
    """The page's single <article> outside boilerplate, else its single <main>,
    else ``page``.

    A listing has many articles, and a story page often has teaser <article>s in its
    "related" rail or comments as <article>s nested in the story: neither counts.
    """
    if next(page.iter("article", "main"), None) is None:
        return page  # neither: one look at the tree instead of two
    articles = []
    for examined, article in enumerate(page.iter("article")):
        if examined == _MAX_ARTICLES:
            return _single_main(page)
        # Up to ``page`` only: <body class="has-ads"> says nothing about the story.
        ancestors = list(
            itertools.takewhile(lambda node: node is not page, article.iterancestors())
        )
        if any(ancestor.tag == "article" for ancestor in ancestors):
            continue
        if _is_hidden(article) or any(_is_dropped(ancestor) for ancestor in ancestors):
            continue
        articles.append(article)
    if len(articles) == 1:
        return articles[0]
    return _single_main(page)


def _single_main(page: etree._Element) -> etree._Element:
    mains = list(itertools.islice(page.iter("main"), 2))
    return mains[0] if len(mains) == 1 and not _is_hidden(mains[0]) else page


def _visible_text(
    start: etree._Element, *, protected: set[etree._Element], drop_boilerplate: bool
) -> tuple[str, bool]:
    """The text under ``start`` without hidden elements (and, with
    ``drop_boilerplate``, without boilerplate), white space collapsed; and whether an
    element was left out as boilerplate only (without it, the text is what a walk
    without ``drop_boilerplate`` reads).

    The hot loop of reading a page: the checks of :func:`_is_hidden` and
    :func:`_is_boilerplate` are inlined, and an element without any attribute they
    read is only looked at for its tag.
    """
    pieces: list[str] = []
    size = 0
    dropped: etree._Element | None = None
    filtered = False
    inline_tags, hidden_tags, read = _INLINE_TAGS, _HIDDEN_TAGS, _FILTER_ATTRIBUTES
    walker = etree.iterwalk(start, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if tag.__class__ is not str:
            tag = ""
        if event == "start":
            if element is not start:
                keys = element.keys()
                attributes = keys and not read.isdisjoint(keys)
                if tag in hidden_tags or (attributes and element.get("hidden") is not None):
                    drop = True
                elif drop_boilerplate and (
                    tag == "time" or (attributes and _is_boilerplate(element, tag, protected))
                ):
                    drop = filtered = True
                else:
                    drop = False
                if drop:
                    dropped = element
                    walker.skip_subtree()  # its "end" still comes, for the tail
                    continue
            text = element.text or ""
            pieces.append("" if tag in inline_tags else " ")
        else:
            text = (element.tail or "") if element is not start else ""
            pieces.append("" if tag in inline_tags and element is not dropped else " ")
        pieces.append(text)
        size += len(text)
        if size >= MAX_TEXT_CHARS:
            break
    return _collapse("".join(pieces))[:MAX_TEXT_CHARS], filtered


def _is_hidden(element: etree._Element) -> bool:
    return element.tag in _HIDDEN_TAGS or element.get("hidden") is not None


def _is_dropped(element: etree._Element) -> bool:
    """Whether the element or its subtree is left out of the main text."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return _is_hidden(element) or _is_boilerplate(element, tag, set())


def _is_boilerplate(element: etree._Element, tag: str, protected: set[etree._Element]) -> bool:
    if tag == "time":
        return True
    if element in protected:
        return False
    role = element.get("role")
    if role and not _BOILERPLATE_ROLES.isdisjoint(role.lower().split()):
        return True
    if (element.get("aria-hidden") or "").strip().lower() == "true":
        return True
    return any(
        _names_boilerplate(value[:_MAX_CLASS_CHARS])
        for value in (element.get("class"), element.get("id"))
        if value
    )


@functools.lru_cache(maxsize=4096)
def _names_boilerplate(class_or_id: str) -> bool:
    """Whether a class or id attribute names boilerplate ("ad-slot", "mostRead",
    "related_stories"), matching whole words and word starts, never inner parts."""
    tokens = [token.lower() for token in _CLASS_TOKEN.findall(class_or_id)]
    if any(token in _BOILERPLATE_WORDS or token.startswith(_BOILERPLATE_STEMS) for token in tokens):
        return True
    return any(pair in _BOILERPLATE_PHRASES for pair in itertools.pairwise(tokens))


def _sample(text: str) -> str:
    if len(text) <= TEXT_SAMPLE_CHARS:
        return text
    cut = text[:TEXT_SAMPLE_CHARS]
    space = cut.rfind(" ", TEXT_SAMPLE_CHARS - 100)
    return cut[:space] if space > 0 else cut


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _clean_title(text: str | None) -> str | None:
    if text is None:
        return None
    title = _collapse(_CONTROL_CHARS.sub("", text))[:MAX_TITLE_CHARS].rstrip()
    return title or None


def _pdf_info(body: bytes, *, truncated: bool) -> PageInfo:
    title, page_count = pdf_metadata(body, truncated=truncated, clean_title=_clean_title)
    return PageInfo(title=title, page_count=page_count)
