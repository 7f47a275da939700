"""Many conversations at once against ``mailroom serve``: no errors, every message
answered, memory flat.

By default a short run (50 conversations for 5 s) so the suite stays fast; the full one
(200 conversations for 60 s) runs with ``MAILROOM_TEST_LOAD=full``. The bot's own log
lines join the session's secrets scan; none may carry a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.testing import RunningEmulator
from tests.reliability.figures import ReportPlugin
from tests.reliability.load import full_load, run_load
from tests.support.serve_process import ServeProcess

FULL = full_load()
CONVERSATIONS, SECONDS = (200, 60.0) if FULL else (50, 5.0)
# RSS may grow this much from the end of the run's first quarter to its end: by then
# caches (msal, decisions, SQLite's pages) and the allocator's arenas for this much
# concurrency have filled; a leak keeps growing with every activity.
GROWTH_LIMIT_MB = 25 if FULL else 20


@pytest.fixture
def serve(emulator: RunningEmulator, tmp_path: Path, report: ReportPlugin,
          request: pytest.FixtureRequest) -> Iterator[ServeProcess]:  # fmt: skip
    process = ServeProcess(emulator, tmp_path)
    try:
        yield process
    finally:
        process.stop()
        report.collector.add_external(request.node.nodeid, "mailroom serve", process.output())


@pytest.mark.timeout(300)
async def test_many_conversations_at_once_get_every_answer_with_flat_memory(
    emulator: RunningEmulator, serve: ServeProcess, report: ReportPlugin
) -> None:
    emulator.control.set_message_rate(100_000)
    await serve.ready()
    result = await run_load(serve, emulator, conversations=CONVERSATIONS, seconds=SECONDS)

    figures = result.figures()
    quarters = result.rss_quarters()
    growth_mb = (quarters[-1] - quarters[0]) / 1024 if quarters else 0.0
    report.figures.load = {"variant": "full" if FULL else "short", **figures,
                           "rss_growth_mb": round(growth_mb, 1)}  # fmt: skip
    tracebacks = [line for line in serve.output().splitlines() if "Traceback" in line]

    assert result.errors == [], result.errors[:10]
    assert result.replies_missing == 0
    assert result.messages > CONVERSATIONS  # every conversation got several turns
    assert tracebacks == []
    assert growth_mb < GROWTH_LIMIT_MB, figures
