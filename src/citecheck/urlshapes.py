"""What a URL's shape says about the page it names: a site's front page, a deep
link, a sign-in page that points back to the cited one; and whether two URLs are
on the same site. Read by the rules of classify.py, sites.py and moves.py; plain
functions of strings, no network and no page.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, unquote, urlsplit

from .markers import url_parts
from .urls import hostname

#: Paths of a site's front page (or of a language's front page: /en/, /pt-br/).
_FRONT_PAGE_PATH = re.compile(
    r"/(?:(?:index|default|home)\.(?:html?|php|aspx?|jsp))?"
    r"|/[a-z]{2}(?:[-_][a-z]{2,4})?/?(?:index\.(?:html?|php))?",
    re.IGNORECASE,
)
#: Query parameters that do not make a front page anything else.
_FRONT_PAGE_PARAMS = frozenset({"lang", "language", "hl", "locale", "ref", "source", "from"})
_SIGN_IN_SEGMENTS = frozenset(
    {
        "login", "log-in", "log_in", "signin", "sign-in", "sign_in", "logon", "wp-login.php",
        "login.php", "login.aspx", "login.jsp", "login.html", "auth", "authenticate",
        "authentication", "authorize", "oauth", "oauth2", "sso", "saml", "saml2", "cas",
    }
)  # fmt: skip
_RETURN_PARAMS = frozenset(
    {
        "next", "return", "returnurl", "return_url", "returnto", "return_to", "redirect",
        "redirect_url", "redirect_uri", "redirect_to", "redirecturl", "continue", "goto",
        "destination", "service", "target",
    }
)  # fmt: skip
#: Second-level labels under which a country's registrable names sit (example.co.uk).
_GENERIC_SECOND_LEVELS = frozenset(
    {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gob", "nic", "mil"}
)


def is_deep_link(url: str) -> bool:
    path = url_parts(url).path
    return path not in ("", "/") and not is_front_page(url)


def is_front_page(url: str) -> bool:
    parts = url_parts(url)
    if not _FRONT_PAGE_PATH.fullmatch(parts.path or "/"):
        return False
    return all(
        key.lower() in _FRONT_PAGE_PARAMS or key.lower().startswith("utm_")
        for key, _ in parse_qsl(parts.query, keep_blank_values=True)
    )


@functools.lru_cache(maxsize=1024)  # asked of the same hosts by several rules
def registrable_domain(host: str) -> str:
    """An approximation of the registrable domain without the public-suffix list:
    the last two labels, or three under a country's generic second level."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SECOND_LEVELS:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


@functools.lru_cache(maxsize=1024)  # the rules of classify.py and sites.py ask it per URL
def host_of(url: str) -> str:
    """``urlsplit(url).hostname`` ("" when there is none): remembered, as the same
    URL's host is asked for by several rules of one judgement. Raises urlsplit's
    ValueError for a URL it cannot read."""
    host = hostname(url)
    if host is None:
        return urlsplit(url).hostname or ""  # raises urlsplit's ValueError
    return host


def same_site(url_a: str, url_b: str) -> bool:
    host_a = host_of(url_a)
    host_b = host_of(url_b)
    if host_a == host_b:
        return True
    if re.fullmatch(r"[\d.]+|.*:.*", host_a) or re.fullmatch(r"[\d.]+|.*:.*", host_b):
        return False  # IP addresses: only the same address is the same site
    return registrable_domain(host_a) == registrable_domain(host_b)


def is_sign_in(final_url: str, cited_url: str) -> bool:
    parts = urlsplit(final_url)
    segments = {segment.lower() for segment in parts.path.split("/") if segment}
    if segments & _SIGN_IN_SEGMENTS:
        return True
    return any(
        key.lower() in _RETURN_PARAMS and _points_back(value, cited_url)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    )


def _points_back(value: str, cited_url: str) -> bool:
    """True when a return-to parameter names the cited page (absolute or relative)."""
    target = urlsplit(unquote(value))  # parse_qsl decoded once; some sites encode twice
    if target.netloc and not same_site(target.geturl(), cited_url):
        return False
    cited_path = urlsplit(cited_url).path
    return bool(target.path) and target.path.rstrip("/") == cited_path.rstrip("/")
