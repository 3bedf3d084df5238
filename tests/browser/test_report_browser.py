"""The HTML report in headless Chromium: it loads clean, works, and runs nothing hostile.

Each test renders the fixture report (every status, a long history, hostile titles)
to a file and opens it over file://, as a maintainer opening a mail attachment.
One test saves a screenshot to test-artifacts/report.png; with
``CITECHECK_UPDATE_SCREENSHOT=1`` it also refreshes docs/report.png for the README.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import (
    HOSTILE_DOCUMENT,
    LONG_HISTORY,
    XSS_IMG,
    XSS_SCRIPT,
    fixture_links,
    fixture_report,
)

from citecheck.report.html import write_html

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOCS_SCREENSHOT = REPO / "docs" / "report.png"
PAGE_TITLE = "Citation link report, 2024-06-01 06:00 UTC"

MakeDriver = Callable[..., Any]


@pytest.fixture
def report_url(tmp_path: Path) -> str:
    path = tmp_path / "report.html"
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        write_html(fixture_report(), out)
    return path.as_uri()


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


def test_screenshot(make_driver: MakeDriver, report_url: str) -> None:
    driver = _open(make_driver, report_url, width=1280, height=1400)
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "report.png"
    assert driver.save_screenshot(str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("CITECHECK_UPDATE_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(target, DOCS_SCREENSHOT)
