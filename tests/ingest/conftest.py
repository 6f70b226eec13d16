"""Fixtures of the SafeFetcher tests (tests/ingest/test_fetch*.py): the loopback server of
tests/helpers/fetch.py, running in a thread, and a fetcher allowed to reach it.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from newsbot.ingest.fetch import SafeFetcher
from tests.helpers.fetch import LocalServer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield srv
    finally:
        srv.stop.set()
        srv.shutdown()
        srv.server_close()  # joins the handler threads
        thread.join()


@pytest.fixture
async def fetcher() -> AsyncIterator[SafeFetcher]:
    """A fetcher allowed to reach the loopback server."""
    async with SafeFetcher(allow_private=True, timeout=5) as safe:
        yield safe
