"""fetch/reasons.py: lower-layer failures of both kinds (the fetch layer's own,
errors.py, and httpx's of the same names) become the same Reason and sentence; and
client_refusal gives httpx's own verdict on a URL without importing httpx."""

from __future__ import annotations

import inspect
import ssl
import subprocess
import sys

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.errors import InvalidURLError
from citecheck.fetch import errors
from citecheck.fetch.reasons import MAX_URL_LENGTH, client_refusal, reason_for
from citecheck.fetch.transport import to_httpx
from citecheck.models import Reason
from citecheck.urls import normalize_url

_OURS = [
    kind
    for _, kind in inspect.getmembers(errors, inspect.isclass)
    if issubclass(kind, errors.FetchError)
    and kind.__module__ == errors.__name__
    and kind is not errors.FetchError  # the root, never raised (httpx has none such)
]


def _httpx_verdict(url: str) -> tuple[Reason, str] | None:
    """What client_refusal answered when it asked httpx itself (before issue 11)."""
    if len(url) > MAX_URL_LENGTH:
        return Reason.INVALID_URL, f"the URL is {len(url):,} characters long, too long to request"
    try:
        httpx.URL(url).host  # noqa: B018 - decoding the host is the check
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return Reason.UNSUPPORTED_HOST, f"the host name is refused by IDNA 2008 ({exc})"
    return None


def _assert_same_verdict(url: str) -> None:
    assert client_refusal(url) == _httpx_verdict(url), url
    try:
        normalised = normalize_url(url)
    except InvalidURLError:
        return
    assert client_refusal(normalised) == _httpx_verdict(normalised), normalised


@pytest.mark.parametrize(
    "host",
    [
        "example.org",
        "xn--ls8h.la",  # 💩.la: IDNA 2003 takes it, IDNA 2008 does not
        "www.xn--ls8h.la",  # httpx only decodes a host that starts with xn--
        "xn--caf-dma.example",
        "xn--zz.example",
        "xn--.example",
        "xn--bcher-kva.de",
        "xn--fiqs8s.icom.museum",
        "💩.la",
        "☃.net",
        "bücher.de",
        "ß.de",
        "ﬁ.example",
        "under_score.example",
        "_dmarc.example.org",
        "a" * 63 + ".example",
        "a" * 64 + ".example",
        "xn--" + "a" * 70,
        ".".join(["a" * 63] * 5),
        "127.0.0.1",
        "999.0.0.1",
        "1.2.3",
        "0x7f.1",
        "[::1]",
        "[fe80::1%25eth0]",
        "[::ffff:192.168.0.1]",
        "[not:an:address]",
        "[::1",
        "EXAMPLE.ORG",
        "exa mple.org",
        "example.org.",
        "",
    ],
)
def test_client_refusal_is_httpx_verdict(host: str) -> None:
    for scheme in ("http", "https"):
        for rest in ("/", "/a?b=c", ":8080/x", ":99999/"):
            _assert_same_verdict(f"{scheme}://{host}{rest}")


def test_a_url_over_64_kib_is_refused_as_httpx_refuses_it() -> None:
    for length in (MAX_URL_LENGTH - 1, MAX_URL_LENGTH, MAX_URL_LENGTH + 1, 200_000):
        url = "http://example.org/" + "a" * (length - len("http://example.org/"))
        assert len(url) == length
        _assert_same_verdict(url)
    assert client_refusal("http://example.org/" + "a" * MAX_URL_LENGTH) is not None


_LABEL_CHARACTERS = "abcxyz0189-_.~" + "éßü☃💩中" + "\u200d\u0300"


@settings(max_examples=400, deadline=None)
@given(
    prefix=st.sampled_from(["", "xn--", "www.xn--", "XN--"]),
    labels=st.lists(st.text(alphabet=_LABEL_CHARACTERS, min_size=0, max_size=70), max_size=4),
    port=st.one_of(st.none(), st.integers(min_value=0, max_value=70_000)),
)
def test_any_host_gets_httpx_verdict(prefix: str, labels: list[str], port: int | None) -> None:
    host = prefix + ".".join(labels)
    authority = host if port is None else f"{host}:{port}"
    _assert_same_verdict(f"http://{authority}/page")


def test_a_usual_url_is_judged_without_httpx() -> None:
    """A normalised URL of the usual shape, an xn-- host included, is judged and its
    request target built without importing httpx (the idna package decides)."""
    code = (
        "import sys\n"
        "from citecheck.fetch.reasons import client_refusal\n"
        "from citecheck.fetch.request import RequestMaker\n"
        "maker = RequestMaker([], {})\n"
        "for url in ('http://example.org/a?b=1', 'https://xn--caf-dma.example:8443/',\n"
        "            'http://under_score.example/', 'http://127.0.0.1:8080/x'):\n"
        "    assert client_refusal(url) is None, url\n"
        "    maker.head(maker.target(url), {})\n"
        "assert client_refusal('http://xn--ls8h.la/') is not None\n"
        "print(*[name for name in ('httpx', 'ssl.SSLContext') if name in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == []


@pytest.mark.parametrize("kind", _OURS, ids=lambda kind: kind.__name__)
def test_every_error_has_httpx_twin_of_its_name(kind: type[errors.FetchError]) -> None:
    exc = kind("it failed", Reason.DNS_ERROR) if kind is errors.PolicyConnectError else kind("x")
    mapped = to_httpx(exc)
    nearest = "ConnectError" if kind is errors.PolicyConnectError else kind.__name__
    assert type(mapped) is getattr(httpx, nearest)
    assert str(mapped) == str(exc)
    assert mapped.__cause__ is exc


@pytest.mark.parametrize("kind", _OURS, ids=lambda kind: kind.__name__)
def test_both_kinds_give_the_same_reason(kind: type[errors.FetchError]) -> None:
    for message in ("", "Server disconnected without sending a response.", "boom"):
        if kind is errors.PolicyConnectError:
            exc: errors.FetchError = kind(message, Reason.PRIVATE_ADDRESS)
        else:
            exc = kind(message)
        assert reason_for(to_httpx(exc)) == reason_for(exc)
        # httpx's exception of the same name, raised by a mock transport, likewise
        if kind is not errors.PolicyConnectError:
            twin = getattr(httpx, kind.__name__)(message)
            assert reason_for(twin) == reason_for(exc), kind


def test_a_tls_failure_down_the_chain_is_a_tls_error() -> None:
    try:
        try:
            raise ssl.SSLCertVerificationError(1, "certificate verify failed")
        except ssl.SSLError as exc:
            raise errors.ConnectError(str(exc)) from exc
    except errors.ConnectError as exc:
        assert reason_for(exc)[0] is Reason.TLS_ERROR
        assert reason_for(to_httpx(exc))[0] is Reason.TLS_ERROR


def test_the_lower_layer_errors_include_httpx_once_loaded() -> None:
    caught = errors.lower_layer_errors()
    assert errors.TransportError in caught and errors.InvalidURL in caught
    assert httpx.TransportError in caught and httpx.InvalidURL in caught
