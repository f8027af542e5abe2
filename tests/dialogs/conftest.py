"""The dialog's tests: the demo clinic loaded into the test's database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.dialogs.chat import load_demo


@pytest.fixture
async def demo(engine: AsyncEngine) -> AsyncEngine:
    """The test's database with the demo clinic (``slotbot/core/demo/clinic.yaml``)."""
    await load_demo(engine)
    return engine
