from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.support import Device, World

DeviceFactory = Callable[..., Awaitable[Device]]


@pytest.fixture
async def new_device(world: World, tmp_path: Path) -> AsyncIterator[DeviceFactory]:
    """Sign in a new device for a user: ``await new_device("eng1")``."""
    made: list[Device] = []

    async def factory(username: str, name: str = "tablet") -> Device:
        device = await Device.sign_in(world, username, tmp_path / f"{username}-{len(made)}.db", name)
        made.append(device)
        return device

    yield factory
    for device in made:
        await device.close()
