"""The HTML report in headless Chromium: it loads clean, works, and runs nothing hostile.

Each test renders the fixture report of a scheduled run (every status, a long
history, hostile titles, the last run's changes, drifted pages with hostile titles,
next check dates) to a file and opens it over file://, as a maintainer opening a
mail attachment. One test saves screenshots to test-artifacts/: report.png (that
fixture) and report-campaign.png (a realistic campaign, harmless); with
``CITECHECK_UPDATE_SCREENSHOT=1`` the campaign's becomes docs/report.png for the
README:

    CITECHECK_UPDATE_SCREENSHOT=1 python -m pytest tests/browser -k screenshot
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import (
    DRIFT_AFTER_TITLE,
    DRIFT_BEFORE_TITLE,
    HOSTILE_DOCUMENT,
    LONG_HISTORY,
    XSS_IMG,
    XSS_SCRIPT,
    campaign_report,
    fixture_links,
    fixture_report,
    scheduled_report,
)

from citecheck.report import Report
from citecheck.report.html import write_html

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOCS_SCREENSHOT = REPO / "docs" / "report.png"
PAGE_TITLE = "Citation link report, 2024-06-01 06:00 UTC"

MakeDriver = Callable[..., Any]


def _page_url(tmp_path: Path, report: Report, name: str = "report.html") -> str:
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        write_html(report, out)
    return path.as_uri()


@pytest.fixture
def report_url(tmp_path: Path) -> str:
    return _page_url(tmp_path, scheduled_report())


def _open(make_driver: MakeDriver, url: str, **options: Any) -> Any:
    driver = make_driver(**options)
    driver.get(url)
    return driver


def _visible_statuses(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#links tbody tr'))"
        ".filter(function (row) { return row.offsetParent !== null; })"
        ".map(function (row) { return row.getAttribute('data-status'); });"
    )


def _visible_urls(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#links tbody tr'))"
        ".filter(function (row) { return row.offsetParent !== null; })"
        ".map(function (row) { return row.querySelector('.url').textContent; });"
    )


def _choose(select: Any, value: str) -> None:
    """Select an option by value (Select.select_by_value cannot quote every value)."""
    matching = [o for o in select.options if o.get_attribute("value") == value]
    assert len(matching) == 1, value
    matching[0].click()


def _errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def test_loads_without_console_errors_and_runs_nothing_hostile(
    make_driver: MakeDriver, report_url: str
) -> None:
    driver = _open(make_driver, report_url)
    assert _errors(driver) == []
    assert driver.title == PAGE_TITLE
    assert driver.execute_script("return window.pwned") is None
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0
    body = driver.execute_script("return document.body.innerText")
    assert XSS_IMG in body and XSS_SCRIPT in body
    assert DRIFT_BEFORE_TITLE in body and DRIFT_AFTER_TITLE in body
    assert driver.execute_script("return document.querySelectorAll('svg').length") == 1
    # The script ran (it is allowed by its hash): the controls are shown and counted.
    assert driver.execute_script("return document.getElementById('controls').hidden") is False
    shown = driver.execute_script("return document.getElementById('shown').textContent")
    assert shown == f"Showing {len(fixture_links())} of {len(fixture_links())} links."


def test_csp_blocks_an_injected_script(make_driver: MakeDriver, report_url: str) -> None:
    """Defence in depth: even markup that escaped escaping could not run."""
    driver = _open(make_driver, report_url)
    driver.get_log("browser")
    driver.execute_script(
        "var s = document.createElement('script');"
        "s.textContent = 'window.pwned = 1';"
        "document.body.appendChild(s);"
        "var d = document.createElement('div');"
        "d.innerHTML = '<img src=x onerror=\"window.pwned=2\">';"
        "document.body.appendChild(d);"
    )
    assert driver.execute_script("return window.pwned") is None
    messages = " ".join(entry["message"] for entry in driver.get_log("browser"))
    assert "Content Security Policy" in messages


def test_status_filter_document_filter_and_search(make_driver: MakeDriver, report_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = _open(make_driver, report_url)
    all_statuses = [link.state.status.value for link in fixture_links()]
    assert _visible_statuses(driver) == all_statuses

    driver.find_element(By.CSS_SELECTOR, "input[name=status][value=ok]").click()
    assert "ok" not in _visible_statuses(driver)
    assert len(_visible_statuses(driver)) == len(all_statuses) - 2
    driver.find_element(By.CSS_SELECTOR, "input[name=status][value=ok]").click()
    assert _visible_statuses(driver) == all_statuses

    documents = Select(driver.find_element(By.ID, "doc"))
    options = [option.get_attribute("value") for option in documents.options]
    assert HOSTILE_DOCUMENT in options
    _choose(documents, HOSTILE_DOCUMENT)
    assert _visible_urls(driver) == ["https://example.org/gone", "https://old.example.com/page"]
    _choose(documents, "docs/faq.md")
    assert _visible_statuses(driver) == ["broken", "broken", "blocked", "ok"]
    _choose(documents, "")

    search = driver.find_element(By.ID, "search")
    search.send_keys("PAYWALL")
    assert _visible_urls(driver) == ["https://paywall.example.com/article"]
    search.clear()
    search.send_keys("rents rose")  # the claim a citation supports
    assert _visible_urls(driver) == ["https://old.example.com/page"]
    search.clear()
    search.send_keys("no such text anywhere")
    assert _visible_urls(driver) == []
    assert driver.find_element(By.ID, "shown").text == (f"Showing 0 of {len(all_statuses)} links.")
    assert _errors(driver) == []


def test_drift_filter_shows_only_drifted_links(make_driver: MakeDriver, report_url: str) -> None:
    from selenium.webdriver.common.by import By

    driver = _open(make_driver, report_url)
    toggle = driver.find_element(By.ID, "drift-only")
    assert toggle.is_displayed() and not toggle.is_selected()
    toggle.click()
    assert _visible_urls(driver) == ["https://old.example.com/page", "https://ok.example.com/"]
    assert driver.find_element(By.ID, "shown").text == (
        f"Showing 2 of {len(fixture_links())} links."
    )
    driver.find_element(By.CSS_SELECTOR, "input[name=status][value=ok]").click()
    assert _visible_urls(driver) == ["https://old.example.com/page"]
    driver.find_element(By.CSS_SELECTOR, "input[name=status][value=ok]").click()
    toggle.click()
    assert len(_visible_urls(driver)) == len(fixture_links())
    assert _errors(driver) == []


def test_drift_filter_is_not_offered_when_nothing_drifted(
    make_driver: MakeDriver, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver = _open(make_driver, _page_url(tmp_path, fixture_report()))
    assert not driver.find_element(By.ID, "drift-filter").is_displayed()
    assert driver.find_element(By.ID, "search").is_displayed()
    assert _errors(driver) == []


def test_sorting_reorders_rows(make_driver: MakeDriver, report_url: str) -> None:
    from selenium.webdriver.common.by import By

    driver = _open(make_driver, report_url)
    status_button = driver.find_element(By.CSS_SELECTOR, "th[data-col='0'] button")
    status_button.click()  # it starts ascending (broken first): now descending
    statuses = _visible_statuses(driver)
    assert statuses[0] == "unchecked" and statuses[-1] == "broken"
    status_button.click()
    assert _visible_statuses(driver) == [link.state.status.value for link in fixture_links()]

    driver.find_element(By.CSS_SELECTOR, "th[data-col='3'] button").click()
    urls = _visible_urls(driver)
    # Failing since, oldest first; links that are not failing go last.
    assert urls[:5] == [
        "https://example.org/gone",
        "https://example.net/path\\",
        'https://hostile.example.com/?q="><script>window.pwned=1</script>',
        "https://slow.example.com/",
        "https://paywall.example.com/article",
    ]
    header = driver.find_element(By.CSS_SELECTOR, "th[data-col='3']")
    assert header.get_attribute("aria-sort") == "ascending"
    assert (
        driver.find_element(By.CSS_SELECTOR, "th[data-col='0']").get_attribute("aria-sort") is None
    )
    assert _errors(driver) == []


def test_history_strip_shows_every_check(make_driver: MakeDriver, report_url: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver = _open(make_driver, report_url)
    first_row = driver.find_element(By.CSS_SELECTOR, "#links tbody tr")
    marks = first_row.find_elements(By.CSS_SELECTOR, ".h b")
    assert len(marks) == LONG_HISTORY
    assert all(mark.is_displayed() and mark.size["width"] >= 3 for mark in marks)
    last = marks[-1]
    assert last.get_attribute("textContent") == "2024-05-31 broken 404 not_found"
    assert last.size["width"] <= 5  # a bar: the label is shown on hover
    ActionChains(driver).move_to_element(last).perform()
    assert last.size["width"] > 50
    assert last.value_of_css_property("color") == "rgba(255, 255, 255, 1)"
    assert last.text == "2024-05-31 broken 404 not_found"
    colours = {
        driver.execute_script("return getComputedStyle(arguments[0]).backgroundColor", mark)
        for mark in (marks[0], marks[91], marks[-1])
    }
    assert len(colours) == 3


@pytest.mark.parametrize("width", [375, 768, 1024, 1280])
def test_no_horizontal_scroll_and_controls_visible(
    make_driver: MakeDriver, report_url: str, width: int
) -> None:
    """At phone width (375 px) and up, the page never scrolls sideways."""
    from selenium.webdriver.common.by import By

    driver = make_driver()
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 812, "deviceScaleFactor": 1, "mobile": width < 800},
    )
    driver.get(report_url)
    widths = driver.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth,"
        " document.body.scrollWidth];"
    )
    assert widths[0] == width
    assert max(widths[1:]) <= width
    for selector in ("#search", "#doc", "input[name=status][value=broken]", "th button"):
        element = driver.find_element(By.CSS_SELECTOR, selector)
        assert element.is_displayed()
        rect = driver.execute_script(
            "var r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", element
        )
        assert rect[0] >= 0 and rect[1] <= width, selector
    if width == 375:
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "report-phone.png"))
    assert _errors(driver) == []


def test_without_javascript_every_row_is_shown(make_driver: MakeDriver, report_url: str) -> None:
    from selenium.webdriver.common.by import By

    driver = _open(make_driver, report_url, javascript=False)
    rows = driver.find_elements(By.CSS_SELECTOR, "#links tbody tr")
    assert len(rows) == len(fixture_links())
    assert all(row.is_displayed() for row in rows)
    assert not driver.find_element(By.ID, "controls").is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, "noscript p").is_displayed()
    assert driver.find_element(By.ID, "chart").is_displayed()
    assert driver.title == PAGE_TITLE
    for section in ("h-changes", "h-drifted"):
        assert driver.find_element(By.ID, section).is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, "#links .drift-mark").is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, "#links .next").text == "next check 2024-06-08"


def test_screenshot(make_driver: MakeDriver, report_url: str, tmp_path: Path) -> None:
    """The hostile fixture for reviewers; the campaign, never the hostile one, for docs."""
    ARTIFACTS.mkdir(exist_ok=True)
    campaign_url = _page_url(tmp_path, campaign_report(), "campaign.html")
    for url, name in ((report_url, "report.png"), (campaign_url, "report-campaign.png")):
        driver = _open(make_driver, url, width=1280, height=1400)
        assert _errors(driver) == []
        target = ARTIFACTS / name
        assert driver.save_screenshot(str(target))
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("CITECHECK_UPDATE_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(ARTIFACTS / "report-campaign.png", DOCS_SCREENSHOT)
