"""What ``mailroom serve`` does once its app has started."""

from __future__ import annotations

import gc

from aiohttp import web

from bot.cli_commands.serve import _keep_for_good


async def test_what_starting_made_is_set_aside_from_the_garbage_collector() -> None:
    kept = [[] for _ in range(10)]  # lists: objects the collector tracks
    app = web.Application()
    try:
        await _keep_for_good(app)
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
