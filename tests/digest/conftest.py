"""The fixture of the digest tests (tests/digest/): a service opened on `database_url`, which
the modules that set `BACKENDS = BOTH` run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from newsbot.service import Newsbot
from tests.helpers.digest import settings_for


@pytest.fixture
async def service(database_url: str) -> AsyncIterator[Newsbot]:
    async with await Newsbot.open(settings_for(database_url)) as newsbot:
        yield newsbot
