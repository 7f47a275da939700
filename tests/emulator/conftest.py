"""Fixtures for the emulator's conformance tests: an HTTPS client and a token helper."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from emu_helpers import Tokens

from emulator.testing import RunningEmulator


@pytest.fixture(scope="session")
def https(emulator_server: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emulator_server.base_url, verify=emulator_server.ssl_context(), timeout=10
    ) as client:
        yield client


@pytest.fixture(scope="session")
def tokens(emulator_server: RunningEmulator, https: httpx.Client) -> Tokens:
    return Tokens(emulator_server, https)
