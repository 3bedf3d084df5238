"""Headless Chromium for the browser tests, from Debian's chromium and chromium-driver.

Nothing downloads a browser or a driver: both paths are fixed. The tests skip only
when the browser is genuinely absent and ``CI`` is unset; on CI a missing browser
is a failure. Each test is bounded by an alarm, and the driver by its own timeouts.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Seconds one browser test may take, start-up of its browser included.
TEST_TIME_LIMIT_S = 90
#: Seconds the driver waits for a page load or a script.
DRIVER_TIMEOUT_S = 20

_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def _browser_available() -> bool:
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


@pytest.fixture(autouse=True)
def _time_limit() -> Iterator[None]:
    """Fail a browser test that runs longer than TEST_TIME_LIMIT_S."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"browser test exceeded {TEST_TIME_LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TEST_TIME_LIMIT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def make_driver() -> Iterator[Callable[..., object]]:
    """A factory of headless Chromium drivers, each with a fresh profile; all quit after."""
    if not _browser_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {CHROMIUM} or {CHROMEDRIVER} is missing")
        pytest.skip(f"{CHROMIUM} and {CHROMEDRIVER} are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []
    profiles = []

    def make(*, javascript: bool = True, width: int = 1280, height: int = 900) -> object:
        profile = tempfile.TemporaryDirectory(prefix="citecheck-chromium-")
        profiles.append(profile)
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in _FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile.name}")
        options.add_argument(f"--window-size={width},{height}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        if not javascript:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2}
            )
        driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
        drivers.append(driver)
        driver.set_page_load_timeout(DRIVER_TIMEOUT_S)
        driver.set_script_timeout(DRIVER_TIMEOUT_S)
        return driver

    try:
        yield make
    finally:
        for driver in drivers:
            driver.quit()
        for profile in profiles:
            profile.cleanup()
