"""Fixtures shared by the service-layer tests: hermetic settings on a real SQLite file in
tmp_path, a service over it, and the same service holding the sample article.

Bot tests build their own fixtures (see tests/helpers/bot.py); these stay small on purpose.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from newsbot.service import SAMPLE_DATA, Newsbot
from newsbot.settings import Settings

SEED = SAMPLE_DATA / "000_7eff7d7cd2e338f5.txt"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No NEWSBOT_* variable from the developer's shell or CI leaks into a test."""
    for key in list(os.environ):
        if key.upper().startswith("NEWSBOT_"):
            monkeypatch.delenv(key)
    return monkeypatch


@pytest.fixture
def settings(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/newsbot.db", _env_file=None)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Newsbot]:
    app = await Newsbot.open(settings)
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
async def seeded(service: Newsbot) -> Newsbot:
    """The service with the sample article (id 1, four passages) stored."""
    result = await service.ingestor.add_file(SEED)
    assert (result.status, result.article_id, result.passages) == ("added", 1, 4), result
    return service
