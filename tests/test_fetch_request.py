"""fetch/request.py: the GET a fetch sends is the one httpx would build, whichever
way its URL was parsed."""

from __future__ import annotations

import string

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.errors import InvalidURLError
from citecheck.fetch import errors, framing
from citecheck.fetch import request as request_module
from citecheck.fetch.request import RequestMaker, request_url
from citecheck.urls import normalize_url


def _parse_both(url: str) -> tuple[object, object]:
    """(httpx's parse, request_url's), each a URL or the exception type raised."""
    outcomes = []
    for parse in (httpx.URL, request_url.__wrapped__):
        try:
            outcomes.append(parse(url))
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            outcomes.append(type(exc))
    return outcomes[0], outcomes[1]


def _assert_same(url: str) -> None:
    slow, fast = _parse_both(url)
    if isinstance(slow, type):
        assert fast is slow, url
        return
    assert isinstance(fast, httpx.URL), url
    assert fast._uri_reference == slow._uri_reference, url  # noqa: SLF001
    assert str(fast) == str(slow)
    assert (fast.raw_scheme, fast.raw_host, fast.port, fast.raw_path, fast.netloc) == (
        slow.raw_scheme,
        slow.raw_host,
        slow.port,
        slow.raw_path,
        slow.netloc,
    )


def test_this_httpx_takes_the_fast_parse() -> None:
    # If httpx changed how it keeps a URL, the fast parse is off (and this says so).
    assert request_module._fast_parse_works()  # noqa: SLF001


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/",
        "http://example.org",
        "https://example.org:443/a",
        "http://example.org:80/a",
        "http://example.org:0080/a",
        "https://example.org:80/a",
        "http://example.org:8080/a/b.html?q=1&r=2",
        "http://example.org/a?",
        "http://example.org/a?b?c",
        "http://example.org/%C3%A9t%C3%A9?x=%2f",
        "http://example.org/%zz",
        "http://example.org/100%",
        "http://example.org/a/./b",
        "http://example.org/a/../b",
        "http://example.org/a/..",
        "http://example.org/a/.hidden/..x/x..",
        "http://example.org/a#frag",
        "http://example.org/a b",
        "http://example.org/a\tb",
        'http://example.org/"quoted"',
        "http://example.org/<tag>",
        "http://example.org/a`b{c}",
        "http://example.org/?a`b{c}|d",
        "http://example.org/;a=b,c@d:e!$&'()*+[]\\^|~",
        "http://127.0.0.1/",
        "http://127.0.1.20:8080/page/p1",
        "http://999.0.0.1/",
        "http://01.2.3.4/",
        "http://1.2.3/",
        "http://[::1]:8080/",
        "http://user:pass@example.org/",
        "HTTP://Example.ORG/",
        "http://EXAMPLE.org/",
        "http://xn--ls8h.la/",
        "http://bücher.example/",
        "http://under_score.example/",
        "http://a..b/",
        "http://example.org:99999/",
        "http://example.org:/",
        "ftp://example.org/",
        "http:///path",
        "http://example.org/" + "a" * 70_000,
    ],
)
def test_the_fast_parse_gives_what_httpx_gives(url: str) -> None:
    _assert_same(url)


_URL_CHARACTERS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/?#[]%\\^|`{}\"<> "


@settings(max_examples=500, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https"]),
    host=st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True),
    port=st.one_of(st.none(), st.integers(min_value=0, max_value=70_000)),
    rest=st.text(alphabet=_URL_CHARACTERS, max_size=40),
)
def test_any_url_parses_as_httpx_parses_it(
    scheme: str, host: str, port: int | None, rest: str
) -> None:
    authority = host if port is None else f"{host}:{port}"
    url = f"{scheme}://{authority}/{rest}"
    _assert_same(url)
    try:
        normalised = normalize_url(url)
    except InvalidURLError:
        return
    _assert_same(normalised)


def test_a_request_is_the_one_httpx_builds() -> None:
    client = httpx.AsyncClient(headers={"User-Agent": "citecheck-test", "Accept": "text/html"})
    maker = RequestMaker(client.headers.raw, client.timeout.as_dict())
    for url, extra in (
        ("http://example.org/a", {}),
        ("http://example.org/b", {}),
        ("https://example.org:8443/a?q=1", {"If-None-Match": '"abc"'}),
        ("http://other.example/", {"If-Modified-Since": "Tue, 01 Dec 2026 00:00:00 GMT"}),
    ):
        headers = client.headers.copy()
        headers.update(extra)
        expected = httpx.Request(
            "GET", url, headers=headers, extensions={"timeout": client.timeout.as_dict()}
        )
        made = maker.make(url, extra)
        assert made.method == expected.method
        assert made.url == expected.url
        assert made.headers.raw == expected.headers.raw
        assert made.content == expected.content == b""
        assert made.extensions == expected.extensions
    # A request's headers are its own: changing them changes no later request.
    first = maker.make("http://example.org/a", {})
    first.headers["X-Changed"] = "1"
    assert "x-changed" not in maker.make("http://example.org/b", {}).headers


def test_the_fields_are_those_of_the_fetchers_httpx_client() -> None:
    for agent in ("citecheck/1.0 (+https://example.org/bot)", "Mozilla/5.0"):
        headers = request_module.client_headers(agent)
        client = httpx.AsyncClient(headers=headers)
        assert request_module.request_fields(headers) == client.headers.raw


def test_a_url_httpx_refuses_is_an_invalid_url() -> None:
    maker = RequestMaker([], {})
    with pytest.raises(errors.InvalidURL):
        maker.make("http://999.0.0.1/", {})


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/",
        "https://www.example.org:8443/a/b.html?q=1&r=%C3%A9",
        "http://127.0.1.20:8080/page/p1",
        "http://example.org/;a=b,c@d:e!$&'()*+[]\\^|~?x`{y}",
    ],
)
def test_a_normalised_url_takes_the_fast_parse(url: str) -> None:
    # The comparisons above are not vacuous: these never reach httpx's parse.
    assert request_module._fast_parse(url) is not None  # noqa: SLF001
    _assert_same(url)


def _head_or_error(build: object) -> object:
    try:
        return build()  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - the type and message are what is compared
        return (type(exc), str(exc))


_CLIENT = httpx.AsyncClient(headers={"User-Agent": "citecheck-test"})
_MAKER = RequestMaker(_CLIENT.headers.raw, _CLIENT.timeout.as_dict())
_EXTRA_HEADERS = st.dictionaries(
    st.sampled_from(["If-None-Match", "If-Modified-Since", "X-Bad\nName"]),
    st.text(alphabet=string.printable + "é\x00", max_size=20),
    max_size=2,
)


@settings(max_examples=300, deadline=None)
@given(
    host=st.sampled_from(["example.org", "127.0.0.1", "[::1]", "xn--caf-dma.example"]),
    port=st.one_of(st.none(), st.sampled_from([80, 443, 8080])),
    rest=st.text(alphabet=_URL_CHARACTERS, max_size=30),
    extra=_EXTRA_HEADERS,
)
def test_a_head_is_the_one_made_of_httpx_request(
    host: str, port: int | None, rest: str, extra: dict[str, str]
) -> None:
    """The head a fetch sends without httpx's request has the bytes the transport
    makes of that request (framing.request_head), and is refused for the same
    reasons, with the same error."""
    maker = _MAKER
    for scheme in ("http", "https"):
        url = f"{scheme}://{host}{'' if port is None else f':{port}'}/{rest}"

        def lean(url: str = url) -> tuple[bytes, object]:
            target = maker.target(url)
            return maker.head(target, extra), target.origin

        def through_httpx(url: str = url) -> tuple[bytes, object]:
            request = maker.make(url, extra)
            parsed = request.url
            origin = (
                parsed.scheme,
                parsed.raw_host.decode(),
                parsed.port or {"http": 80}.get(parsed.scheme, 443),
            )
            return framing.request_head(request, 0), origin

        assert _head_or_error(lean) == _head_or_error(through_httpx), url
