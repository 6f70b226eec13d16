"""The fixture of the Bot API emulator tests (tests/emulator/): an emulator, started and stopped
around each test that asks for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from botapi_emulator import BotAPIEmulator


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emulator:
        yield emulator
