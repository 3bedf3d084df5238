"""Issue 9 end to end: what real sites do that HTTP does not say, through the real CLI.

The fake web answers on the real host names (tests/servers.py, REAL_WEB_HOSTS),
reached with --resolve; no request leaves 127.0.0.1.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest
from clirunner import CLI
from servers import REAL_WEB_HOSTS, FakeWeb

pytestmark = pytest.mark.e2e

CNN = "edition.cnn.com"
# (host, path) → (status, reason, a word the detail must contain: the rule)
CASES: dict[tuple[str, str], tuple[str, str | None, str]] = {
    ("www.youtube.com", "/watch?v=removed00001"): (
        "broken",
        "content_removed",
        "youtube-removed-by-uploader",
    ),
    ("www.youtube.com", "/watch?v=terminated01"): (
        "broken",
        "account_terminated",
        "youtube-terminated",
    ),
    ("www.youtube.com", "/watch?v=copyright01"): ("broken", "copyright_claim", "youtube-copyright"),
    ("www.youtube.com", "/watch?v=private0001"): ("blocked", "private_content", "youtube-private"),
    ("www.youtube.com", "/watch?v=members0001"): (
        "blocked",
        "content_restricted",
        "youtube-members-only",
    ),
    ("www.youtube.com", "/watch?v=agegate0001"): ("blocked", "age_restricted", "youtube-age"),
    ("www.youtube.com", "/watch?v=playable001"): ("ok", None, "youtube-playable"),
    ("www.youtube.com", "/live/livechat001"): ("ok", None, "youtube-playable"),
    ("www.youtube.com", "/shorts/removed00002"): ("broken", "content_removed", "youtube-removed"),
    ("www.youtube.com", "/embed/removed00003"): ("broken", "content_removed", "youtube-removed"),
    ("www.youtube.com", "/embed/noembed00001"): ("ok", None, "youtube-embedding-off"),
    ("youtu.be", "/removed00004"): ("broken", "content_removed", "youtube-removed"),
    ("www.youtube.com", "/watch?v=euplayable01"): ("ok", None, "youtube-playable"),
    ("www.youtube.com", "/watch?v=euremoved001"): ("broken", "content_removed", "youtube-removed"),
    ("www.youtube.com", "/watch?v=eustubborn01"): ("blocked", "consent_wall", "consent-wall"),
    ("vimeo.com", "/123456789"): ("blocked", "private_content", "vimeo-password"),
    ("vimeo.com", "/22439234"): ("ok", None, "200 OK"),
    ("www.tiktok.com", "/@campaign/video/7100000000000000001"): ("ok", None, "tiktok-playable"),
    ("www.tiktok.com", "/@campaign/video/7100000000000000002"): (
        "blocked",
        "private_content",
        "tiktok-private",
    ),
    ("www.tiktok.com", "/@campaign/video/7100000000000000003"): (
        "blocked",
        "content_restricted",
        "tiktok-unavailable",
    ),
    ("www.facebook.com", "/campaign/posts/1001"): (
        "blocked",
        "private_content",
        "facebook-unavailable",
    ),
    ("iborderctrl.no", "/"): ("broken", "parked_domain", "parking-ww"),
    ("lapsed-campaign.org", "/report"): ("broken", "parked_domain", "parking-script"),
    ("old-ngo.org", "/about"): ("broken", "parked_domain", "parking-sale-redirect"),
    ("moved-ngo.org", "/report"): ("broken", "parked_domain", "parking-phrase"),
    ("news.test", "/articles/domain-parking-scams"): ("ok", None, "200 OK"),
    ("news.test", "/articles/video-unavailable"): ("ok", None, "200 OK"),
    ("bikes.example", "/listing/cargo-bike"): ("ok", None, "200 OK"),
    (CNN, "/2021/05/04/tech/pimeyes-facial-recognition/index.html"): (
        "broken",
        "soft_404",
        "landing-shallower",
    ),
    (CNN, "/2020/02/26/tech/clearview-ai-hack/index.html"): (
        "broken",
        "soft_404",
        "landing-shared-target",
    ),
    (CNN, "/2021/06/01/tech/eu-ai-act-borders/index.html"): (
        "broken",
        "soft_404",
        "landing-shared-target",
    ),
    (CNN, "/2019/01/15/politics/border-funding-vote/index.html"): (
        "redirected",
        "permanent_redirect",
        "moved-same-url",
    ),
    (CNN, "/2020/03/03/world/eu-border-database/index.html"): (
        "redirected",
        "permanent_redirect",
        "moved-same-title",
    ),
    (CNN, "/2018/07/07/europe/old-story/index.html"): (
        "redirected",
        "redirect_unverified",
        "moved-unverified",
    ),
}
#: Titles the campaign cites some URLs with (sources.csv's title column).
CITED_TITLES = {
    "/2021/05/04/tech/pimeyes-facial-recognition/index.html": "PimEyes: a facial recognition "
    "site that anyone can use",
    "/2020/03/03/world/eu-border-database/index.html": "EU border database explained",
}


def _resolve_args() -> list[str]:
    return [arg for host in REAL_WEB_HOSTS for arg in ("--resolve", f"{host}:127.0.0.1")]


def _write_sources(path: Path, urls: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "title", "cited_in"])
        for line, url in enumerate(urls, start=1):
            title = next((t for p, t in CITED_TITLES.items() if url.endswith(p)), "")
            writer.writerow([url, title, f"campaign.md:{line}"])


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory):
    """One `check` over every case; the tests read its JSON report."""
    with FakeWeb() as web:
        cwd = tmp_path_factory.mktemp("real-web")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITECHECK_")}
        env["CITECHECK_PROBE_URLS"] = web.url("/ok")
        cli = CLI(cwd=cwd, web=web, env=env)
        urls = {web.url(path, host=host): expected for (host, path), expected in CASES.items()}
        _write_sources(cwd / "sources.csv", list(urls))
        result = cli("check", "--timeout", "5", *_resolve_args())
        yield cli, urls, result, cli.links()


def test_the_check_finishes_with_broken_links(checked) -> None:
    _, _, result, _ = checked
    assert result.returncode == 1, result.stderr


@pytest.mark.parametrize("case", list(CASES), ids=[f"{h}{p}" for h, p in CASES])
def test_every_real_web_behaviour(checked, case: tuple[str, str]) -> None:
    cli, _, _, links = checked
    status, reason, rule = CASES[case]
    link = links[cli.web.url(case[1], host=case[0])]
    assert (link["status"], link["reason"]) == (status, reason), link
    assert rule in link["detail"], link["detail"]


def test_interstitials_and_landing_pages_are_never_titled(checked) -> None:
    cli, _, _, links = checked
    wall = links[cli.web.url("/watch?v=eustubborn01", host="www.youtube.com")]
    assert wall["title"] is None
    assert "stayed after retrying" in wall["detail"]
    behind = links[cli.web.url("/watch?v=euplayable01", host="www.youtube.com")]
    assert behind["title"] == "Campaign video euplayable01 - YouTube"
    front = links[cli.web.url("/2020/02/26/tech/clearview-ai-hack/index.html", host=CNN)]
    assert front["title"] is None
    assert "redirected to a landing page" in front["detail"]


def test_consent_is_retried_once_with_the_cookie(checked) -> None:
    cli, _, _, _ = checked
    watch = [r for r in cli.web.requests if r.host == "www.youtube.com" and r.path == "/watch"]
    with_cookie = [r for r in watch if "SOCS=CAI" in r.headers.get("cookie", "")]
    assert len(with_cookie) == 3  # euplayable, euremoved, eustubborn: once each
    assert (
        cli.web.count("/m", host="consent.youtube.com") == 4
    )  # 3 first tries + the stubborn retry


def test_fix_redirects_follows_only_moves_of_the_same_content(tmp_path: Path) -> None:
    with FakeWeb() as web:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITECHECK_")}
        env["CITECHECK_PROBE_URLS"] = web.url("/ok")
        env["CITECHECK_WAYBACK_URL"] = "http://127.0.0.1:9"
        cli = CLI(cwd=tmp_path, web=web, env=env)
        front_a = web.url("/2021/05/04/tech/pimeyes-facial-recognition/index.html", host=CNN)
        front_b = web.url("/2020/02/26/tech/clearview-ai-hack/index.html", host=CNN)
        moved = web.url("/2019/01/15/politics/border-funding-vote/index.html", host=CNN)
        elsewhere = web.url("/2018/07/07/europe/old-story/index.html", host=CNN)
        doc = tmp_path / "campaign.md"
        original = (
            f"PimEyes lets anyone search faces ({front_a}).\n"
            f"Clearview was hacked: <{front_b}>.\n"
            f"The vote: [CNN]({moved}).\n"
            f"An old story: {elsewhere}\n"
        )
        doc.write_text(original)
        assert cli("extract", "campaign.md").returncode == 0
        checked = cli("check", "--timeout", "5", *_resolve_args())
        assert checked.returncode == 1, checked.stderr
        started = time.monotonic()
        fixed = cli("fix", "campaign.md", "--redirects", "--write")
        assert time.monotonic() - started < 60
        assert fixed.returncode == 0, fixed.stderr
        text = doc.read_text()
        assert front_a in text and front_b in text and elsewhere in text
        assert "/business/tech" not in text
        assert web.url("/politics/border-funding-vote", host=CNN) in text
        assert moved not in text
        summary = fixed.stdout + fixed.stderr
        assert "left for a human" in summary
        assert "broken (soft_404)" in summary
        assert "redirected (redirect_unverified): moved to" in summary
