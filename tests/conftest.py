"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from servers import FakeWeb


@pytest.fixture
def fake_web() -> Iterator[FakeWeb]:
    """A fresh fake web on 127.0.0.1 (see tests/servers.py), stopped after the test."""
    with FakeWeb() as web:
        yield web
