"""A worker in a process of its own, for the crash tests: ``python tests/outbox/worker_process.py
--worker-id W [--lease S] [--rate N]``, configured like the bot through the environment
(MAILROOM_DATABASE_URL, MAILROOM_GRAPH_URL, MAILROOM_AUTHORITY_HOST, MAILROOM_CA_BUNDLE,
MicrosoftAppId / MicrosoftAppPassword / MicrosoftAppTenantId). Every application-mode send is
allowed (the permission decision is not what these tests are about). Prints ``ready`` once
it runs; stops cleanly on SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from bot.domain.send_request import SendRequest
from bot.netclient import Timeouts
from bot.outbox import GuardResult, Worker, WorkerConfig
from bot.outbox.wiring import running, worker_graph
from bot.settings import Settings
from bot.store import open_store


class AllowAll:
    async def check(self, request: SendRequest) -> GuardResult:
        return GuardResult(True)


async def main(args: argparse.Namespace) -> int:
    settings = Settings.from_env(os.environ)
    send_timeouts = Timeouts(connect=1.0, read=args.lease * 0.5, total=args.lease * 0.6)
    config = WorkerConfig(
        worker_id=args.worker_id,
        lease_seconds=args.lease,
        poll_interval=0.05,
        send_timeouts=send_timeouts,
        default_per_minute=args.rate,
        max_slot_wait=1.0,
        retry_base_delay=0.1,
        retry_max_delay=1.0,
        default_retry_after=0.3,
        reconcile_delay=0.2,
        reconcile_retry_delay=0.5,
        shutdown_grace=2.0,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with open_store(settings.database_url) as store:
        await store.migrate()
        async with worker_graph(settings, send_timeouts) as graph:
            worker = Worker(store, graph, guard=AllowAll(), config=config)
            async with running(worker):
                print("ready", flush=True)
                await stop.wait()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=3000.0)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
