"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx.mocks
from servers import FakeWeb

# citecheck's connections speak HTTP/1.1 themselves (fetch/http11.py): its per-origin
# pool takes and gives httpcore's request and response where httpcore's pool would,
# so respx's (default) httpcore mocker patches it like one.
respx.mocks.HTTPCoreMocker.add_targets("citecheck.fetch.http11.OriginPool")


@pytest.fixture
def fake_web() -> Iterator[FakeWeb]:
    """A fresh fake web on 127.0.0.1 (see tests/servers.py), stopped after the test."""
    with FakeWeb() as web:
        yield web
