import io
import logging
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from citecheck.models import PageInfo
from citecheck.titles import (
    MAX_TITLE_CHARS,
    TEXT_SAMPLE_CHARS,
    fingerprint,
    html_text,
    page_info,
    similarity,
)

HTML = {"content-type": "text/html"}
HTML_UTF8 = {"content-type": "text/html; charset=utf-8"}
PDF = {"content-type": "application/pdf"}
#: Generous for a slow CI machine; each hostile page takes milliseconds locally.
HOSTILE_BUDGET_S = 1.0

ARTICLE_WORDS = (
    "The committee published its annual report on river water quality yesterday and "
    "found that nitrate levels in the lower basin had fallen for the third year running "
    "after farmers adopted buffer strips along the banks"
)


def _pdf(title: str | None, pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if title is not None:
        writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _timed(body: bytes, headers: dict[str, str]) -> tuple[PageInfo, float]:
    start = time.perf_counter()
    info = page_info(body, headers)
    return info, time.perf_counter() - start


# --- titles and text -------------------------------------------------------------


def test_title_headline_sample_and_fingerprint_from_a_plain_page():
    body = (
        "<html><head><title>River report</title></head><body>"
        f"<h1>Nitrates fall</h1><p>{ARTICLE_WORDS}</p></body></html>"
    ).encode()
    info = page_info(body, HTML_UTF8)
    assert info.title == "River report"
    assert info.headline == "Nitrates fall"
    assert info.text_sample == f"Nitrates fall {ARTICLE_WORDS}"
    assert info.text_fingerprint == fingerprint(f"Nitrates fall {ARTICLE_WORDS}")
    assert info.page_count is None


def test_title_entities_are_decoded_and_white_space_collapsed():
    body = b"<title>\n  Caf&eacute; &amp;\t&quot;Bar&quot; &#8211; &#x1F600;&nbsp;menu  </title>"
    assert page_info(body, HTML).title == 'Café & "Bar" – 😀 menu'


def test_og_title_then_twitter_title_are_fallbacks():
    og = b'<head><title>  </title><meta property="og:title" content=" OG &amp; co "></head>'
    twitter = b'<head><meta name="twitter:title" content="Tweet title"></head><p>x</p>'
    both = b'<meta name="twitter:title" content="T"><meta property="og:title" content="O">'
    assert page_info(og, HTML).title == "OG & co"
    assert page_info(twitter, HTML).title == "Tweet title"
    assert page_info(both, HTML).title == "O"


def test_title_inside_svg_is_not_the_page_title():
    body = b"<body><svg><title>icon</title></svg><p>text</p></body>"
    assert page_info(body, HTML).title is None


def test_empty_and_over_long_titles():
    assert page_info(b"<title> \n </title><p>x</p>", HTML).title is None
    long_title = page_info(f"<title>{'word ' * 300}</title>".encode(), HTML).title
    assert long_title is not None
    assert len(long_title) <= MAX_TITLE_CHARS
    assert long_title.startswith("word word")
    assert not long_title.endswith(" ")


def test_main_text_drops_navigation_scripts_and_forms_but_keeps_tails():
    body = (
        b"<body><header>Site name</header><nav>Home | About</nav>"
        b"<script>var tracking = 1;</script><style>p {color: red}</style>"
        b"<noscript>Enable JS</noscript><template><p>tpl</p></template>"
        b"<main><p>First <b>bold</b>er paragraph.</p><div hidden>secret</div>"
        b"<aside>Related</aside> after aside <form>Search <input></form></main>"
        b"<footer>Copyright</footer></body>"
    )
    info = page_info(body, HTML)
    assert info.text_sample == "First bolder paragraph. after aside"
    assert html_text(body, HTML) == "First bolder paragraph. after aside"


def test_headline_is_the_first_h1_collapsed():
    body = b"<body><h1>\n  Page <em>not</em>\n found </h1><h1>Second</h1></body>"
    assert page_info(body, HTML).headline == "Page not found"


def test_text_sample_is_capped_near_the_sample_length_on_a_word_boundary():
    body = ("<p>" + "lorem ipsum " * 1000 + "</p>").encode()
    sample = page_info(body, HTML).text_sample
    assert sample is not None
    assert TEXT_SAMPLE_CHARS - 100 <= len(sample) <= TEXT_SAMPLE_CHARS
    assert sample.split()[-1] in ("lorem", "ipsum")


# --- main text without boilerplate ---------------------------------------------------

#: Text a reader came for, long enough to be kept on its own.
STORY = "The river report found nitrate levels had fallen for the third year running."


def _text(body: str) -> str | None:
    return page_info(body.encode(), HTML_UTF8).text_sample


def test_the_single_article_is_the_main_text():
    body = (
        "<body><div class='menu'>Home World Sport</div><p>Site-wide notice.</p>"
        f"<article><h1>Nitrates fall</h1><p>{STORY}</p></article>"
        "<div class='footer-links'>Jobs Contact</div></body>"
    )
    assert _text(body) == f"Nitrates fall {STORY}"


def test_teaser_and_comment_articles_do_not_hide_the_story():
    body = (
        f"<body><p>Outside.</p><article><h1>Story</h1><p>{STORY}</p>"
        "<section><article><p>A reader's nested comment.</p></article></section></article>"
        "<aside><article>Teaser one</article></aside>"
        "<div class='related-stories'><article>Teaser two</article></div></body>"
    )
    assert _text(body) == f"Story {STORY} A reader's nested comment."


def test_the_body_s_classes_do_not_disqualify_the_article():
    body = (
        "<body class='single has-ads cookie-consent-shown'><div class='menu'>Home</div>"
        f"<div id='page'><article class='post tag-ads'><p>{STORY}</p></article></div></body>"
    )
    assert _text(body) == STORY


def test_several_articles_fall_back_to_main_then_body():
    listing = f"<article><p>{STORY}</p></article><article><p>Second story.</p></article>"
    in_main = f"<body><p>Outside main.</p><main>{listing}</main></body>"
    no_main = f"<body><p>Outside main.</p>{listing}</body>"
    assert _text(in_main) == f"{STORY} Second story."
    assert _text(no_main) == f"Outside main. {STORY} Second story."


def test_landmark_roles_aria_hidden_and_time_are_dropped():
    body = (
        "<body><div role='banner'>Masthead</div><div role='navigation'>Menu</div>"
        "<div role='search'>Search the site</div>"
        f"<p>Published <time datetime='2024-03-12'>12 March 2024</time> in Science.</p>"
        f"<p>{STORY}</p><div role='complementary note'>Sidebar</div>"
        "<div aria-hidden='true'>Ad label</div><div aria-hidden='false'>Kept.</div>"
        "<div role='contentinfo'>Copyright</div><div role='main'>Main role kept.</div></body>"
    )
    assert _text(body) == f"Published in Science. {STORY} Kept. Main role kept."


@pytest.mark.parametrize(
    "name",
    [
        'class="ad"',
        'class="ad-slot top"',
        'id="ads_728x90"',
        'class="adSlot"',
        'class="GoogleAds"',
        'class="advertisement"',
        'class="sponsored-content"',
        'class="promoBox"',
        'class="related_stories"',
        'class="recommendations"',
        'class="most-read"',
        'class="mostRead"',
        'id="mostread"',
        'class="newsletter-signup"',
        'id="cookie-banner"',
        'class="consent-dialog"',
        'class="share-tools"',
        'class="sd-sharing-enabled"',
        'class="social-links"',
        'id="comments"',
        'class="comment-list"',
        'class="byline"',
        'class="dateline"',
    ],
)
def test_class_or_id_naming_boilerplate_is_dropped(name):
    body = f"<body><h1>Story</h1><p>{STORY}</p><div {name}>Boilerplate here</div></body>"
    assert _text(body) == f"Story {STORY}"


@pytest.mark.parametrize(
    "name",
    [
        'class="header-inner"',
        'class="download-box"',
        'class="loading"',
        'class="address"',
        'class="badge"',
        'class="commentary"',
        'class="shared-layout"',
        'class="readmore"',
        'class="story-body"',
        'id="content"',
    ],
)
def test_class_or_id_that_only_contains_a_boilerplate_word_is_kept(name):
    body = f"<body><h1>Story</h1><p>{STORY}</p><div {name}>Content here</div></body>"
    assert _text(body) == f"Story {STORY} Content here"


def test_wrappers_of_the_headline_are_kept_whatever_their_classes_say():
    # WordPress writes tag slugs into a post's classes; modal scripts hide the page.
    body = (
        "<body class='single has-ads'><div id='page' aria-hidden='true'>"
        "<div class='post tag-social-media category-advertising'>"
        f"<h1>Story</h1><p>{STORY}</p><div class='share-bar'>Share</div></div>"
        "</div><div class='newsletter'>Sign up</div></body>"
    )
    assert _text(body) == f"Story {STORY}"


def test_a_short_page_keeps_its_whole_text_for_the_soft_404_rules():
    body = (
        "<body><div class='site-header'>Example News</div><div class='promo'>Subscribe</div>"
        "<main><h1>Page not found</h1><p>Sorry.</p></main></body>"
    )
    assert _text(body) == "Example News Subscribe Page not found Sorry."


def test_a_not_found_template_matches_itself_whatever_its_rails_say():
    template = (
        "<body><nav>Home News Sport</nav><main><h1>Page not found</h1><p>We looked everywhere "
        "for /2019/05/river but the page you requested does not exist on this server any "
        "more. Try the search box or start again from our front page.</p>"
        "<p>Served <time>{time}</time>.</p></main><div class='most-read'>{rail}</div></body>"
    )
    a = page_info(template.format(time="03:00:01", rail="Floods").encode(), HTML)
    b = page_info(template.format(time="03:00:09", rail="Elections, Tennis").encode(), HTML)
    assert a.text_fingerprint is not None
    assert a.text_fingerprint == b.text_fingerprint
    assert a.text_sample is not None and a.text_sample.startswith("Page not found We looked")


def test_html_text_drops_boilerplate_too():
    body = f"<body><div class='ad'>Buy</div><h1>Story</h1><p>{STORY}</p></body>".encode()
    assert html_text(body, HTML) == f"Story {STORY}"


# --- charsets ----------------------------------------------------------------------


def test_charset_from_the_header():
    body = "<title>Grüße aus Köln</title>".encode("iso-8859-15")
    headers = {"content-type": "text/html; charset=ISO-8859-15"}
    assert page_info(body, headers).title == "Grüße aus Köln"


def test_charset_from_meta_charset_and_http_equiv():
    meta = '<meta charset="windows-1252"><title>“Smart” quotes – naïve</title>'
    equiv = (
        '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><title>Новости</title>'
    )
    assert page_info(meta.encode("cp1252"), HTML).title == "“Smart” quotes – naïve"
    assert page_info(equiv.encode("koi8-r"), HTML).title == "Новости"


def test_undeclared_cp1252_is_decoded_as_windows_1252():
    body = "<title>Café crème – “Les élèves”</title><p>Ça coûte 5 €.</p>".encode("cp1252")
    info = page_info(body, HTML)
    assert info.title == "Café crème – “Les élèves”"
    assert info.text_sample == "Ça coûte 5 €."


def test_undeclared_utf8_is_decoded_as_utf8():
    body = "<title>日本語のページ – ok</title>".encode()
    assert page_info(body, HTML).title == "日本語のページ – ok"


def test_undeclared_cyrillic_is_detected():
    body = (
        "<title>Привет мир</title>"
        "<p>Это тестовая страница на русском языке для проверки кодировки текста.</p>"
    ).encode("cp1251")
    assert page_info(body, HTML).title == "Привет мир"


def test_header_charset_is_kept_over_bytes_invalid_in_it():
    # Browsers show what the header says, bad bytes as U+FFFD: the title a reader saw.
    body = "<title>Déjà vu – “encore”</title>".encode("cp1252")
    assert page_info(body, HTML_UTF8).title == "D\ufffdj\ufffd vu \ufffd \ufffdencore\ufffd"


def test_western_header_charset_is_not_overridden_by_a_utf8_body():
    body = '<meta charset="utf-8"><title>Straße – naïve</title>'.encode()
    headers = {"content-type": "text/html; charset=ISO-8859-1"}
    assert page_info(body, headers).title == "StraÃŸe â€“ naÃ¯ve"


def test_unknown_header_charset_is_ignored():
    body = "<title>Zürich</title>".encode()
    assert page_info(body, {"content-type": "text/html; charset=x-bogus"}).title == "Zürich"


def test_byte_order_mark_wins_over_the_header():
    body = "\ufeff<title>été</title>".encode()
    headers = {"content-type": "text/html; charset=iso-8859-1"}
    assert page_info(body, headers).title == "été"


def test_a_meta_past_the_prescan_still_decides_a_tentative_encoding():
    # The tree builder's "change the encoding": at 1,100, 2,100 and 5,000 bytes.
    title = "個人情報保護委員会"
    for filler in (1_100, 2_100, 5_000):
        head = b"<head><script>" + b"x" * filler + b'</script><meta charset="euc-jp">'
        body = head + b"<title>" + title.encode("euc_jp") + b"</title></head>"
        assert page_info(body, HTML).title == title, filler
    pragma = b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=EUC-JP">'
    body = b"<head><script>" + b"x" * 1_100 + b"</script>" + pragma + b"<title>"
    assert page_info(body + title.encode("euc_jp") + b"</title>", HTML).title == title


def test_a_late_meta_in_a_comment_or_script_does_not_count():
    # Undeclared UTF-8 is detected as UTF-8; the decoys are no <meta> elements.
    for decoy in (b"<!-- <meta charset=koi8-r> -->", b"<script>'<meta charset=koi8-r>'</script>"):
        body = b"<head>" + b" " * 1_100 + decoy + "<title>Новости дня</title>".encode()
        assert page_info(body, HTML).title == "Новости дня"


def test_a_late_meta_does_not_override_a_header_or_bom():
    body = b" " * 1_100 + b'<meta charset="koi8-r"><title>' + "Zürich".encode() + b"</title>"
    assert page_info(body, HTML_UTF8).title == "Zürich"
    assert page_info(b"\xef\xbb\xbf" + body, HTML).title == "Zürich"


def test_the_first_declaring_meta_element_decides():
    title = "Новости дня"
    body = (
        b"<head>" + b" " * 1_100 + b"<meta charset=bogus><meta charset=windows-1251>"
        b"<meta charset=koi8-r><title>" + title.encode("cp1251") + b"</title></head>"
    )
    assert page_info(body, HTML).title == title


def test_truncated_body_cut_inside_a_utf8_character():
    body = "<title>Ünïcödé</title><p>Grüße</p>".encode()
    cut = body[: body.index("ü".encode()) + 1]  # half of "ü"
    info = page_info(cut, HTML, truncated=True)
    assert info.title == "Ünïcödé"
    assert info.text_sample == "Gr"


# --- content types -------------------------------------------------------------------


def test_html_is_sniffed_without_a_content_type():
    body = b"  <!DOCTYPE html><html><title>Sniffed</title></html>"
    assert page_info(body, {}).title == "Sniffed"
    assert page_info(body, {"content-type": "application/octet-stream"}).title == "Sniffed"


def test_non_html_content_gives_nothing():
    assert page_info(b"<title>not html</title>", {"content-type": "text/plain"}) == PageInfo()
    assert page_info(b'{"title": "x"}', {"content-type": "application/json"}) == PageInfo()
    assert page_info(b"\x89PNG\r\n\x1a\n", {}) == PageInfo()
    assert page_info(b"plain words", {}) == PageInfo()


def test_xhtml_content_type_is_html():
    body = b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><title>X</title>'
    assert page_info(body, {"content-type": "application/xhtml+xml"}).title == "X"


def test_empty_html_body():
    assert page_info(b"", HTML) == PageInfo()


# --- hostile input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000, id="deep"
        ),
        pytest.param(b"<span>" * 100_000, id="deep-unclosed"),
        pytest.param(b'<title>t</title><a href="' + b"a" * 500_000 + b'">x</a>', id="attribute"),
        pytest.param(b"<title>a\x00b</title>" + b"\x00" * 200_000, id="nul-bytes"),
        pytest.param(b"<a" * 200_000, id="unclosed-tags"),
        pytest.param(b"<!--a" * 100_000, id="unclosed-comments"),
        pytest.param(b"<![" * 150_000, id="cdata-openers"),
        pytest.param(b"</" * 200_000, id="end-tag-openers"),
        pytest.param(b"<<<>>><title<<a href='</" * 20_000, id="broken-markup"),
        pytest.param(b"<p>" + b"word " * 100_000, id="one-huge-paragraph"),
        pytest.param(b"<b>x</b>" * 65_000, id="many-tags"),
        pytest.param(b"<meta c=" * 65_000, id="meta-charset-scan"),
        pytest.param(b"<meta charset" * 40_000 + b">", id="unclosed-charset-metas"),
        pytest.param(b"<meta charset='x'>" * 28_000, id="many-unknown-charset-metas"),
        pytest.param(b"\xff\xfe\x00<" * 130_000, id="binary"),
        pytest.param(b'<div class="ad-slot x">w</div>' * 17_000, id="many-boilerplate-classes"),
        pytest.param(
            b"".join(b'<p class="c%d-%d">w</p>' % (i, i) for i in range(25_000)),
            id="many-distinct-classes",
        ),
        pytest.param(b'<p class="' + b"ad-" * 170_000 + b'">x</p>', id="long-class"),
        pytest.param(b"<article>" * 60_000, id="nested-articles"),
        pytest.param(b"<div><article>x</article></div>" * 16_000, id="many-articles"),
        pytest.param(b"<h1><div role=navigation>" * 40_000, id="nested-headline"),
    ],
)
def test_hostile_pages_finish_fast_and_do_not_raise(body):
    info, elapsed = _timed(body[: 512 * 1024], HTML)
    assert isinstance(info, PageInfo)
    assert elapsed < HOSTILE_BUDGET_S


def test_nul_bytes_are_dropped_from_the_title():
    info, _ = _timed(b"<title>a\x00b</title>" + b"\x00" * 200_000, HTML)
    assert info.title == "ab"


def test_attribute_of_500_kb_does_not_hide_the_title():
    info, _ = _timed(b'<title>t</title><a href="' + b"a" * 500_000 + b'">link</a>', HTML)
    assert info.title == "t"
    assert info.text_sample == "link"


# --- PDF -----------------------------------------------------------------------------------


def test_pdf_title_and_page_count():
    info = page_info(_pdf("  Annual \n Report   2023 ", pages=3), PDF)
    assert info == PageInfo(title="Annual Report 2023", page_count=3)


def test_pdf_without_a_title_still_counts_pages():
    assert page_info(_pdf(None, pages=2), PDF) == PageInfo(page_count=2)


def test_pdf_is_sniffed_by_its_magic_bytes():
    headers = {"content-type": "application/octet-stream"}
    assert page_info(_pdf("Sniffed", pages=1), headers) == PageInfo(title="Sniffed", page_count=1)


def test_truncated_pdf_gives_nothing_quietly(caplog):
    data = _pdf("Annual Report", pages=3)
    with caplog.at_level(logging.DEBUG):
        info = page_info(data[: len(data) // 2], PDF, truncated=True)
    assert info == PageInfo()
    assert not [record for record in caplog.records if record.name.startswith("pypdf")]
    assert logging.getLogger("pypdf").level == logging.NOTSET


def test_truncated_pdf_falls_back_to_its_xmp_title():
    body = (
        b"%PDF-1.7\n1 0 obj <</Type/Metadata>> stream\n<x:xmpmeta><rdf:RDF><rdf:Description>"
        b"<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Water &amp; Land</rdf:li></rdf:Alt>"
        b"</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    assert page_info(body, PDF, truncated=True) == PageInfo(title="Water & Land")


@pytest.mark.parametrize("body", [b"", b"%PDF-", b"%PDF-1.7\n" + b"\x00" * 1000, b"not a pdf"])
def test_broken_pdfs_give_nothing(body):
    assert page_info(body, PDF) == PageInfo()


# --- fingerprints ------------------------------------------------------------------------


def test_fingerprint_is_16_hex_digits_and_stable():
    fp = fingerprint(ARTICLE_WORDS)
    assert fp is not None
    assert len(fp) == 16
    int(fp, 16)
    assert fingerprint(ARTICLE_WORDS) == fp
    assert fingerprint(ARTICLE_WORDS.upper()) == fp  # case does not matter


def test_fingerprint_needs_enough_words():
    assert fingerprint("") is None
    assert fingerprint("page not found") is None
    assert fingerprint("one two three four five six seven eight") is not None


def test_similar_texts_have_similar_fingerprints_and_different_texts_do_not():
    # A long "not found" template that echoes the requested path: simhash needs a few
    # hundred words to be stable (on short pages the soft-404 rule compares titles).
    paragraph = " ".join(f"{word}{n}" for n in range(120) for word in ("sorry", "page", "menu"))
    a = fingerprint(f"{paragraph} the page news 2019 story one was not found {paragraph}")
    b = fingerprint(f"{paragraph} the page x7f3k2q9 was not found {paragraph}")
    c = fingerprint(ARTICLE_WORDS * 5)
    assert a is not None and b is not None and c is not None
    assert similarity(a, b) >= 0.9
    assert similarity(a, c) < 0.9


def test_similarity_bounds():
    assert similarity("0000000000000000", "0000000000000000") == 1.0
    assert similarity("0000000000000000", "ffffffffffffffff") == 0.0
    assert similarity("0000000000000000", "000000000000000f") == 1 - 4 / 64


# --- properties --------------------------------------------------------------------------

_HEADERS = st.sampled_from(
    [
        {},
        HTML,
        HTML_UTF8,
        PDF,
        {"content-type": "text/html; charset=shift_jis"},
        {"content-type": "text/html; charset=nonsense"},
        {"content-type": "application/octet-stream"},
    ]
)
_HTMLISH = st.lists(
    st.sampled_from(
        [b"<title>", b"</title>", b"<h1>", b"<p>", b"<nav>", b"&amp;", b"&#", b"<!--", b"<![",
         b"\x00", b"\xff", b"\xc3", b"%PDF-", b"<meta charset=utf-16>", b"word ", b"<", b">",
         b"<article>", b"</article>", b"<main>", b"<time>", b"<div class='ad'>", b"</div>",
         b"<p aria-hidden=true>", b"<div role=navigation>"]
    ),
    max_size=60,
).map(b"".join)  # fmt: skip


@settings(max_examples=200, deadline=2000)
@given(
    body=st.one_of(st.binary(max_size=2048), _HTMLISH), headers=_HEADERS, truncated=st.booleans()
)
def test_page_info_never_raises(body, headers, truncated):
    info = page_info(body, headers, truncated=truncated)
    assert isinstance(info, PageInfo)
    for title in (info.title, info.headline):
        assert title is None or (title == title.strip() and 0 < len(title) <= MAX_TITLE_CHARS)
    assert info.text_sample is None or len(info.text_sample) <= TEXT_SAMPLE_CHARS


@settings(max_examples=100, deadline=2000)
@given(a=st.text(max_size=400), b=st.text(max_size=400))
def test_similarity_is_symmetric_and_bounded(a, b):
    fp_a, fp_b = fingerprint(a), fingerprint(b)
    if fp_a is not None and fp_b is not None:
        assert similarity(fp_a, fp_b) == similarity(fp_b, fp_a)
        assert 0.0 <= similarity(fp_a, fp_b) <= 1.0
        assert similarity(fp_a, fp_a) == 1.0


def test_the_reused_parser_reads_each_page_afresh_in_every_thread() -> None:
    """One lxml parser per thread is reused (titles._parser): a page read after a
    broken one, or in another thread at the same time, is read as if alone."""
    import concurrent.futures

    headers = {"content-type": "text/html"}
    broken = b"<html><head><title>Broken</title><body><div><p>unclosed <b>tags" * 50
    pages = [
        (
            f"<html><head><title>Page {n}</title></head><body><h1>Head {n}</h1></body></html>"
        ).encode()
        for n in range(40)
    ]
    alone = [page_info(page, headers) for page in pages]

    def read_all(_: int) -> list:
        results = []
        for page in pages:
            page_info(broken, headers)
            results.append(page_info(page, headers))
        return results

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for results in pool.map(read_all, range(4)):
            assert results == alone
    assert alone[7].title == "Page 7" and alone[7].headline == "Head 7"
