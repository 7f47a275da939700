"""Pytest fixtures for the local tenant (enable with ``pytest_plugins = ["emulator.pytest_plugin"]``
in the root conftest).

* ``emulator_server`` (session): the demo seed served on a free loopback port from a thread,
  with its state (CA, keys) in a temporary folder;
* ``emulator`` (function): the same server after ``control.reset()`` — empty mailboxes, log,
  faults, latency and throttle counters, default limits — with transport's Drafts → Sent Items
  move at once (``move_delay`` 0) so that a test can look at Sent Items and Inboxes as soon
  as Graph answered. Tests of what happens in that window set a delay themselves
  (``control.set_move_delay``); the emulator's own default is a few seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.seed import DEMO_SEED
from emulator.testing import RunningEmulator, start_emulator_thread


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    running = start_emulator_thread(
        seed=DEMO_SEED, state_dir=tmp_path_factory.mktemp("emulator-state")
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def emulator(emulator_server: RunningEmulator) -> RunningEmulator:
    emulator_server.control.reset()
    emulator_server.control.set_move_delay(0)
    return emulator_server
