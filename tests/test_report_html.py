"""The HTML report: self-contained, hostile data shown as text, every link and check."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup, Tag
from report_fixtures import (
    DRIFT_AFTER_TITLE,
    DRIFT_BEFORE_TITLE,
    FORMULA_TITLES,
    HOSTILE_CONTEXT,
    HOSTILE_DETAIL,
    HOSTILE_DOCUMENT,
    HOSTILE_HTTP_URL,
    HOSTILE_PAGE,
    JAVASCRIPT_URL,
    LONG_HISTORY,
    MD_BREAKER,
    NOW,
    SCHEDULED_CHANGES,
    XSS_IMG,
    XSS_SCRIPT,
    drift,
    fixture_links,
    fixture_report,
    scheduled_links,
    scheduled_report,
)

from citecheck.models import CHANGE_KINDS, STATUS_ORDER, LinkState, Status
from citecheck.report import FORMATS, LinkReport, Report, write_report
from citecheck.report.html import write_html
from citecheck.report.html_rows import is_web_url


def _render(report: Report) -> str:
    out = io.StringIO()
    write_html(report, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def page() -> str:
    return _render(fixture_report())


@pytest.fixture(scope="module")
def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup(page, "html.parser")


@pytest.fixture(scope="module")
def scheduled_page() -> str:
    return _render(scheduled_report())


@pytest.fixture(scope="module")
def scheduled(scheduled_page: str) -> BeautifulSoup:
    return BeautifulSoup(scheduled_page, "html.parser")


def _rows(soup: BeautifulSoup) -> list[Tag]:
    return soup.select("#links tbody tr")


def _text(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


def _flat(tag: Tag) -> str:
    """The text as a reader sees it: inline elements joined without added spaces."""
    return " ".join(tag.get_text().split())


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_registered_as_a_format() -> None:
    assert "html" in FORMATS
    out = io.StringIO()
    write_report(fixture_report(), "html", out)
    assert out.getvalue().startswith("<!DOCTYPE html>")


def test_one_row_per_link_broken_first(soup: BeautifulSoup) -> None:
    links = fixture_links()
    rows = _rows(soup)
    assert [row["data-status"] for row in rows] == [link.state.status.value for link in links]
    ranks = [STATUS_ORDER.index(Status(row["data-status"])) for row in rows]
    assert ranks == sorted(ranks)
    assert rows[0]["data-status"] == "broken"


@pytest.mark.parametrize(
    "hostile", [XSS_IMG, XSS_SCRIPT, MD_BREAKER.replace("\n", " "), HOSTILE_CONTEXT]
)
def test_hostile_titles_and_contexts_are_text(page: str, soup: BeautifulSoup, hostile: str) -> None:
    assert hostile in _text(soup.body)
    assert hostile not in page  # only the escaped form is in the source


@pytest.mark.parametrize("hostile", [HOSTILE_DOCUMENT, HOSTILE_DETAIL, HOSTILE_PAGE])
def test_hostile_document_detail_and_page_are_text(soup: BeautifulSoup, hostile: str) -> None:
    assert hostile in _text(soup.body)


def test_no_markup_from_the_data_survives(soup: BeautifulSoup) -> None:
    assert soup.find("img") is None
    assert soup.select("#links b[onmouseover]") == []
    scripts = soup.find_all("script")
    assert len(scripts) == 1 and scripts[0].find_parent("body") is not None
    for tag in soup.find_all(True):
        assert not [name for name in tag.attrs if name.lower().startswith("on")], tag.name
    # The only <b> elements are history marks, the only <i> legend swatches.
    assert all(b.find_parent(class_="h") for b in soup("b"))
    assert all(i["class"][0] == "sw" for i in soup("i"))


def test_hostile_http_url_is_an_escaped_link(page: str, soup: BeautifulSoup) -> None:
    anchors = [a for a in soup.find_all("a") if a["href"] == HOSTILE_HTTP_URL]
    assert len(anchors) == 1 and anchors[0].get_text() == HOSTILE_HTTP_URL
    assert "q=&#34;&gt;&lt;script&gt;" in page


def test_hostile_document_name_in_data_attribute(soup: BeautifulSoup) -> None:
    docs = {li["data-doc"] for li in soup.select("[data-doc]")}
    assert HOSTILE_DOCUMENT in docs


def test_javascript_urls_are_shown_as_text_never_linked(soup: BeautifulSoup) -> None:
    assert not [a for a in soup.find_all(href=True) if "javascript" in a["href"].lower()]
    skipped = next(row for row in _rows(soup) if row["data-status"] == "skipped")
    assert JAVASCRIPT_URL in _text(skipped) and skipped.find("a") is None
    broken_with_bad_archive = _rows(soup)[2]
    assert JAVASCRIPT_URL in _text(broken_with_bad_archive)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/", True),
        ("HTTP://EXAMPLE.ORG/x?y=1", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("https://example.org/\tx", False),
        ("data:text/html,<script>1</script>", False),
        ("mailto:a@example.org", False),
        ("//example.org/", False),
        (None, False),
    ],
)
def test_is_web_url(url: str | None, expected: bool) -> None:
    assert is_web_url(url) is expected


def test_csp_forbids_remote_loads_and_hashes_the_inline_code(soup: BeautifulSoup) -> None:
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert meta is not None
    head_children = [t for t in soup.head.children if isinstance(t, Tag)]
    assert head_children.index(meta) < head_children.index(soup.find("style"))
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in meta["content"].split(";") if part.strip()
    )
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == [f"'{_hash(soup.find('script').string)}'"]
    assert directives["style-src"] == [f"'{_hash(soup.find('style').string)}'"]
    assert "unsafe-inline" not in meta["content"]


def test_nothing_is_loaded_only_cited_links_are_linked(soup: BeautifulSoup) -> None:
    allowed: set[str] = set()
    for link in fixture_links():
        allowed.update(u for u in (link.state.url, link.archive_url, link.state.final_url) if u)
    assert not soup.find_all(src=True)
    assert not soup.find_all(["link", "iframe", "object", "embed", "base", "img", "video"])
    hrefs = [tag["href"] for tag in soup.find_all(href=True)]
    assert hrefs and set(hrefs) <= allowed
    assert "url(" not in soup.find("style").string and "@import" not in soup.find("style").string
    for anchor in soup.find_all("a"):
        assert anchor["target"] == "_blank"
        assert anchor["rel"] == ["noopener", "noreferrer"]


def test_chart_has_one_bar_per_run_with_its_counts(soup: BeautifulSoup) -> None:
    report = fixture_report(runs=6)
    svg = soup.find("svg", id="chart")
    runs = svg.select("g.run")
    assert len(runs) == len(report.timeline) == 6
    for (when, counts), run in zip(report.timeline, runs, strict=True):
        label = run.title.get_text()
        assert label.startswith(when.strftime("%Y-%m-%d %H:%M UTC"))
        for status in ("ok", "redirected", "failing", "broken", "blocked"):
            assert f"{counts[status]} {status}" in label
        assert len(run.find_all("rect")) == sum(1 for v in counts.values() if v)
    data_rows = soup.select(".chart-data tbody tr")
    assert len(data_rows) == 6


def test_chart_bars_are_scaled_to_the_largest_run() -> None:
    soup = BeautifulSoup(_render(fixture_report(runs=3)), "html.parser")
    heights = [
        sum(float(rect["height"]) for rect in run.find_all("rect")) for run in soup.select("g.run")
    ]
    totals = [sum(counts.values()) for _when, counts in fixture_report(runs=3).timeline]
    assert max(heights) == pytest.approx(178, abs=0.1)
    for height, total in zip(heights, totals, strict=True):
        assert height == pytest.approx(178 * total / max(totals), abs=0.1)


def test_no_runs_yet_says_so_without_a_chart() -> None:
    soup = BeautifulSoup(_render(fixture_report(runs=0)), "html.parser")
    assert soup.find("svg") is None
    assert "No finished runs yet" in _text(soup.body)


def test_summary_counts_every_status(soup: BeautifulSoup) -> None:
    counts = {li["class"][1]: li.strong.get_text() for li in soup.select(".counts li")}
    assert counts == {
        "st-broken": "3",
        "st-failing": "1",
        "st-blocked": "1",
        "st-redirected": "1",
        "st-ok": "2",
        "st-skipped": "1",
        "st-unchecked": "1",
    }


def test_badges_carry_a_label_not_only_a_colour(soup: BeautifulSoup) -> None:
    labels = [_text(row.select_one(".badge")) for row in _rows(soup)]
    assert labels[:4] == ["✕ Broken", "✕ Broken", "✕ Broken", "! Failing"]
    assert labels[4:] == ["⊘ Blocked", "↪ Redirected", "✓ OK", "✓ OK", "– Skipped", "? Unchecked"]


def test_history_strip_has_one_labelled_mark_per_check(soup: BeautifulSoup) -> None:
    rows = _rows(soup)
    for link, row in zip(fixture_links(), rows, strict=True):
        marks = row.select(".h b")
        assert len(marks) == len(link.history)
        assert f"{len(link.history)} checks, oldest first" in _text(row.select_one(".h"))
    long_strip = rows[0].select(".h b")
    assert len(long_strip) == LONG_HISTORY
    assert [m["class"] for m in long_strip[:90]] == [["o"]] * 90
    assert long_strip[0].get_text() == "2024-02-22 ok 200"
    assert long_strip[90].get_text() == "2024-05-22 failing 503 server_error"
    assert long_strip[-1].get_text() == "2024-05-31 broken 404 not_found"
    assert long_strip[-1]["class"] == ["b"]


def test_history_marks_are_utc_days_with_escaped_labels() -> None:
    history = [
        ("2024-05-01T23:30:00-02:00", "failing", "timeout", None),  # 2 May in UTC
        ("2024-05-02T10:00:00", "ok", None, 200),  # no zone: taken as UTC
        ("2024-05-03T06:00:00.123456+00:00", "broken", "gone", 410),
        ("2024-05-03T06:00:00.123456+00:00", "broken", "gone", 410),  # cached
        ("<i>x</i>00+00:00", "ok", None, None),  # not a time: shown as text, escaped
    ]
    link = LinkReport(
        state=LinkState(url="https://example.org/", status=Status.BROKEN),
        citations=[],
        history=history,
    )
    soup = BeautifulSoup(_render(fixture_report([link])), "html.parser")
    marks = soup.select(".h b")
    assert [(mark["class"], mark.get_text()) for mark in marks] == [
        (["f"], "2024-05-02 failing timeout"),
        (["o"], "2024-05-02 ok 200"),
        (["b"], "2024-05-03 broken 410 gone"),
        (["b"], "2024-05-03 broken 410 gone"),
        (["o"], "<i>x</i>00 ok"),
    ]
    assert not soup.select(".h i")
    assert "5 checks, oldest first" in _text(soup.select_one(".h"))


@pytest.mark.parametrize(
    "entry",
    [
        ("2024-05-01T00:00:00+00:00", "haunted", None, 200),
        ("2024-05-01T00:00:00+00:00", "ok", "why", 200),
    ],
)
def test_unknown_statuses_and_reasons_in_a_history_are_refused(entry: tuple) -> None:
    link = LinkReport(
        state=LinkState(url="https://example.org/", status=Status.OK), citations=[], history=[entry]
    )
    with pytest.raises(ValueError):
        _render(fixture_report([link]))


def test_row_shows_titles_citations_dates_and_archive(soup: BeautifulSoup) -> None:
    row = _text(_rows(soup)[0])
    assert "docs/report.md:12" in row and f"{HOSTILE_DOCUMENT}:3" in row
    assert f"cited as “{XSS_SCRIPT}”" in row
    assert "2024-05-22 06:00 UTC (10 failed checks in a row)" in row
    assert "2024-05-21 06:00 UTC" in row
    assert "2024-01-01 00:00 UTC" in row  # the archive timestamp, readable
    assert "not_found · HTTP 404" in row


def test_never_and_none_for_missing_dates_and_archive(soup: BeautifulSoup) -> None:
    unchecked = _rows(soup)[-1]
    cells = {td["data-label"]: _text(td) for td in unchecked.find_all("td")}
    assert cells["Failing since"] == "—"
    assert cells["Last good check"] == "never"
    assert cells["Archived copy"] == "none"
    assert cells["History"] == "0 checks, oldest first:"


def test_action_to_take_for_each_status(soup: BeautifulSoup) -> None:
    actions = [_text(row.select_one(".action")) for row in _rows(soup)]
    archive = fixture_links()[0].archive_url
    assert actions[0] == f"Swap in the archived copy {archive}"
    assert actions[1] == "Find a replacement"
    assert actions[2] == f"Swap in the archived copy {JAVASCRIPT_URL}"
    assert _rows(soup)[2].select_one(".action a") is None
    assert actions[3] == "Wait: re-checked on later runs"
    assert actions[4] == "Look by hand: the site refuses automated checks"
    assert actions[5] == "Update to the redirect target https://new.example.com/page"
    assert _rows(soup)[5].select_one(".action a")["href"] == "https://new.example.com/page"
    assert actions[6:] == [
        "Nothing to do",
        "Nothing to do",
        "Nothing to do",
        "Wait for the next run",
    ]


def test_sort_keys_are_in_data_attributes(soup: BeautifulSoup) -> None:
    row = _rows(soup)[0]
    cells = {td["data-label"]: td for td in row.find_all("td")}
    assert cells["Status"]["data-v"] == "0"
    assert cells["Failing since"]["data-v"] == "2024-05-22T06:00:00+00:00"
    assert cells["Last good check"]["data-v"] == "2024-05-21T06:00:00+00:00"
    assert _rows(soup)[-1].find("td")["data-v"] == str(STATUS_ORDER.index(Status.UNCHECKED))


def test_controls_are_hidden_until_the_script_shows_them(soup: BeautifulSoup) -> None:
    assert soup.find("form", id="controls").has_attr("hidden")
    assert not soup.select("#links tr[hidden]")
    assert soup.find("noscript") is not None


def test_naive_datetimes_are_taken_as_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    report = Report(generated_at=naive, summary={}, links=lambda: iter(()))
    assert 'Generated <time datetime="2024-06-01T06:00:00+00:00">' in _render(report)


class _CountingStream:
    """A link stream that counts how often it is opened and how far it has been read."""

    def __init__(self, links: list[LinkReport]) -> None:
        self.links = links
        self.opened = 0
        self.yielded = 0

    def __call__(self) -> Iterator[LinkReport]:
        self.opened += 1
        for link in self.links:
            self.yielded += 1
            yield link


class _Recorder(io.StringIO):
    def __init__(self, stream: _CountingStream) -> None:
        super().__init__()
        self.stream = stream
        self.first_row_written_after: int | None = None

    def write(self, text: str) -> int:
        if self.first_row_written_after is None and "<tr data-status=" in text:
            self.first_row_written_after = self.stream.yielded
        return super().write(text)


def test_links_are_streamed_in_one_pass() -> None:
    links = fixture_links() * 30
    stream = _CountingStream(links)
    report = Report(generated_at=NOW, summary={"ok": len(links)}, links=stream)
    out = _Recorder(stream)
    write_html(report, out)
    assert stream.opened == 1
    assert stream.yielded == len(links)
    # The first row reached the output long before the last link was read.
    assert out.first_row_written_after is not None
    assert out.first_row_written_after < len(links) // 2
    assert len(re.findall(r"<tr data-status=", out.getvalue())) == len(links)


# -- what a scheduled run adds: changes, drift, next check --------------------------


def _row_of(soup: BeautifulSoup, url: str) -> Tag:
    return next(row for row in _rows(soup) if _text(row.select_one(".url")) == url)


def test_no_changes_drift_or_next_check_sections_without_them(soup: BeautifulSoup) -> None:
    assert soup.find(id="h-changes") is None
    assert soup.find(id="h-drifted") is None
    assert not soup.select("#links tr[data-drift], #links .drift-mark, #links .next")
    assert "next check" not in _text(soup.body)


def test_changes_of_the_last_run_come_first(scheduled: BeautifulSoup) -> None:
    sections = scheduled.main.find_all("section", recursive=False)
    assert sections[0]["aria-labelledby"] == "h-changes"
    heading = _flat(scheduled.find(id="h-changes"))
    assert heading == "Changes in the last run (2024-06-01 05:00 UTC)"
    kinds = [block["class"][1] for block in scheduled.select(".changes .change")]
    assert kinds == [f"ch-{kind}" for kind in CHANGE_KINDS]
    for kind in CHANGE_KINDS:
        block = scheduled.select_one(f".ch-{kind}")
        urls = SCHEDULED_CHANGES[kind]
        assert _text(block.h3).endswith(f"({len(urls)})")
        assert [_text(li) for li in block.select("li")] == urls
    assert _text(scheduled.select_one(".ch-newly_broken h3")) == "Newly broken (3)"


def test_changed_urls_are_escaped_and_only_web_urls_linked(
    scheduled_page: str, scheduled: BeautifulSoup
) -> None:
    block = scheduled.select_one(".ch-newly_broken")
    assert [a["href"] for a in block.find_all("a")] == SCHEDULED_CHANGES["newly_broken"][:2]
    assert JAVASCRIPT_URL in _text(block)
    assert HOSTILE_HTTP_URL not in scheduled_page


def test_a_kind_without_urls_is_left_out() -> None:
    report = fixture_report(changes={"newly_broken": [], "recovered": ["https://ok.example.org/"]})
    soup = BeautifulSoup(_render(report), "html.parser")
    assert [_text(h) for h in soup.select(".changes h3")] == ["Recovered (1)"]
    empty = fixture_report(changes={"newly_broken": [], "recovered": [], "newly_drifted": []})
    assert BeautifulSoup(_render(empty), "html.parser").find(id="h-changes") is None


def test_drifted_section_lists_each_drifted_page_with_the_action(
    scheduled: BeautifulSoup,
) -> None:
    section = scheduled.select_one("section.drifted")
    assert _text(section.h2) == "Drifted: the page changed since it was cited"
    assert _text(section.select_one(".todo")) == (
        "Check that the page still supports the claim; "
        "swap in the archived copy from before the change if not."
    )
    entries = section.select(".drifts li")
    assert [a["href"] for a in section.find_all("a")] == [
        "https://old.example.com/page",
        "https://ok.example.com/",
    ]
    text_only, both = (_flat(entry) for entry in entries)
    assert text_only.startswith(f"{FORMULA_TITLES['-']} https://old.example.com/page The text")
    assert "%" not in text_only + both  # fingerprint similarity is not a share of the text
    assert "The text changed since 2024-05-20." in text_only
    assert "Title:" not in text_only  # the title did not change
    assert "The title and text changed since 2024-05-20." in both
    assert both.endswith(f"Title: {DRIFT_BEFORE_TITLE} → {DRIFT_AFTER_TITLE}")
    assert _flat(entries[1].select_one("q.before")) == DRIFT_BEFORE_TITLE
    assert _flat(entries[1].select_one("q.after")) == DRIFT_AFTER_TITLE
    assert entries[1].select_one("time")["datetime"] == "2024-05-20T06:00:00+00:00"


@pytest.mark.parametrize("hostile", [DRIFT_BEFORE_TITLE, DRIFT_AFTER_TITLE])
def test_hostile_drift_titles_are_text(
    scheduled_page: str, scheduled: BeautifulSoup, hostile: str
) -> None:
    assert hostile in _text(scheduled.select_one("section.drifted"))
    assert hostile not in scheduled_page


def test_no_markup_from_drift_or_changes_survives(scheduled: BeautifulSoup) -> None:
    assert len(scheduled.find_all("svg")) == 1  # the chart
    assert len(scheduled.find_all("script")) == 1
    for tag in scheduled.find_all(True):
        assert not [name for name in tag.attrs if name.lower().startswith("on")], tag.name
    assert not scheduled.select("q span, q script, .drifts svg")


def test_drifted_section_reads_its_stream_once_and_skips_what_is_not_a_drift() -> None:
    opened = []
    states = [
        LinkState(url="https://a.example/", status=Status.OK, drift=drift("title", "A", "B")),
        LinkState(url="https://b.example/", status=Status.OK, drift=None),
        LinkState(url="javascript:alert(1)", status=Status.OK, drift=drift("text", "T", "T")),
    ]

    def drifted() -> Iterator[LinkState]:
        opened.append(1)
        return iter(states)

    report = Report(generated_at=NOW, summary={}, links=lambda: iter(()), drifted=drifted)
    soup = BeautifulSoup(_render(report), "html.parser")
    assert opened == [1]
    entries = soup.select(".drifts li")
    assert len(entries) == 2
    assert [a["href"] for a in soup.select(".drifts a")] == ["https://a.example/"]
    assert "javascript:alert(1)" in _text(entries[1])


def test_drifted_rows_carry_a_labelled_marker(scheduled: BeautifulSoup) -> None:
    drifted = scheduled.select("#links tbody tr[data-drift]")
    assert [_text(row.select_one(".url")) for row in drifted] == [
        "https://old.example.com/page",
        "https://ok.example.com/",
    ]
    assert [row["data-drift"] for row in drifted] == ["text", "title and text"]
    marks = [_text(row.select_one(".drift-mark")) for row in drifted]
    assert marks == [
        "≠ Drifted text changed since 2024-05-20",
        "≠ Drifted title and text changed since 2024-05-20",
    ]
    assert len(scheduled.select("#links .drift-mark")) == 2


def test_a_drifted_live_link_asks_for_a_check_of_the_claim(scheduled: BeautifulSoup) -> None:
    ok = _row_of(scheduled, "https://ok.example.com/")
    assert _text(ok.select_one(".action")) == (
        "Check that the page still supports the claim; "
        "swap in the archived copy from before the change if not"
    )
    moved = _row_of(scheduled, "https://old.example.com/page")
    assert _text(moved.select_one(".action")) == (
        "Check that the redirect target still supports the claim, then update to it "
        "https://new.example.com/page"
    )
    assert _text(_row_of(scheduled, "https://ok.example.org/").select_one(".action")) == (
        "Nothing to do"
    )


def test_each_row_says_when_it_is_checked_next(scheduled: BeautifulSoup) -> None:
    nexts = {
        _text(row.select_one(".url")): _text(row.select_one(".next")) for row in _rows(scheduled)
    }
    assert len(nexts) == len(scheduled_links())
    assert nexts["https://example.org/gone"] == "next check 2024-06-08"
    assert nexts[JAVASCRIPT_URL] == "next check at the next run"
    assert nexts["https://new.example.com/unchecked"] == "next check at the next run"
    time = _rows(scheduled)[0].select_one(".next time")
    assert time["datetime"] == "2024-06-08T06:00:00+00:00"


def test_next_check_and_drift_values_that_are_not_times_are_escaped_text() -> None:
    hostile = "<script>window.pwned=5</script>"
    link = LinkReport(
        state=LinkState(url="https://example.org/", status=Status.OK),
        citations=[],
        history=[],
        extra={"next_due": hostile, "drift": drift("weird", None, hostile, "x", since=hostile)},
    )
    page = _render(fixture_report([link]))
    soup = BeautifulSoup(page, "html.parser")
    row = _rows(soup)[0]
    assert _text(row.select_one(".next")) == f"next check {hostile}"
    assert row.select_one(".next time") is None
    assert _text(row.select_one(".drift-mark")) == f"≠ Drifted page changed since {hostile}"
    entry = _flat(soup.select_one(".drifts li"))
    assert (
        entry == f"https://example.org/ The page changed since {hostile}. Title: none → {hostile}"
    )
    assert hostile not in page and len(soup.find_all("script")) == 1


def test_an_archived_copy_taken_after_the_drift_is_flagged() -> None:
    def link(timestamp: str) -> LinkReport:
        url = f"https://example.org/{timestamp}"
        return LinkReport(
            state=LinkState(url=url, status=Status.OK),
            citations=[],
            history=[],
            archive_url=f"https://web.archive.org/web/{timestamp}/{url}",
            archive_timestamp=timestamp,
            extra={"drift": drift("title", "Before", "After")},
        )

    soup = BeautifulSoup(
        _render(fixture_report([link("20240519235959"), link("20240520000000")])), "html.parser"
    )
    before, after = (row.find("td", attrs={"data-label": "Archived copy"}) for row in _rows(soup))
    assert _text(before) == "2024-05-19 23:59 UTC"
    assert _text(after) == (
        "2024-05-20 00:00 UTC taken after the page changed: look for an older copy"
    )


def test_drift_filter_is_in_the_controls(scheduled: BeautifulSoup) -> None:
    toggle = scheduled.select_one("#controls #drift-filter input#drift-only")
    assert toggle is not None and not toggle.has_attr("checked")


def test_scheduled_page_links_only_cited_urls(scheduled: BeautifulSoup) -> None:
    allowed: set[str] = set()
    for link in scheduled_links():
        allowed.update(u for u in (link.state.url, link.archive_url, link.state.final_url) if u)
    hrefs = {tag["href"] for tag in scheduled.find_all(href=True)}
    assert hrefs <= allowed
    assert not scheduled.find_all(src=True)


def test_csp_hashes_match_the_scheduled_page(scheduled: BeautifulSoup) -> None:
    meta = scheduled.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert f"script-src '{_hash(scheduled.find('script').string)}'" in meta["content"]
    assert f"style-src '{_hash(scheduled.find('style').string)}'" in meta["content"]
