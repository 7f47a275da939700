"""``python -m emulator --seed FILE --port N --state-dir DIR [--host H] [--allow-remote]``.

Prints the base URL and the CA path, and writes ``DIR/emulator.json`` with ``base_url``,
``ca_path``, ``tenant_id``, ``teams_app_id`` (Mailroom's id in its Teams app catalog) and
``pid`` so other processes can find it. Stops on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from emulator.seed import DEMO_SEED, SeedError
from emulator.server import EmulatorServer
from emulator.tls import LOOPBACK_NAMES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulator", description="Local Microsoft 365 tenant for Mailroom."
    )
    parser.add_argument("--seed", type=Path, default=DEMO_SEED, help="tenant seed (TOML)")
    parser.add_argument("--port", type=int, default=0, help="HTTPS port (0: any free port)")
    parser.add_argument(
        "--state-dir", type=Path, default=Path(".mailroom/emulator"), help="CA, keys, emulator.json"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (dangerous)"
    )
    return parser


async def serve(args: argparse.Namespace) -> int:
    server = await EmulatorServer.start(
        seed=args.seed, state_dir=args.state_dir, host=args.host, port=args.port
    )
    info = {
        "base_url": server.base_url,
        "ca_path": str(server.tls.ca_path.resolve()),
        "tenant_id": server.state.tenant.id,
        # Mailroom's id in the emulated organisation's Teams app catalog (what an admin reads
        # after publishing the app), for MAILROOM_TEAMS_APP_ID.
        "teams_app_id": server.state.teams_apps.catalog_id,
        "pid": os.getpid(),
    }
    info_path = args.state_dir / "emulator.json"
    # Written whole, then renamed into place: whoever waits for the file never reads half of it.
    partial = info_path.with_suffix(".json.part")
    partial.write_text(json.dumps(info, indent=2), encoding="utf-8")
    partial.replace(info_path)
    sys.stdout.write(f"emulator listening on {server.base_url}\nCA: {info['ca_path']}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
        info_path.unlink(missing_ok=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.host not in LOOPBACK_NAMES and not args.allow_remote:
        sys.stderr.write(
            f"refusing to listen on {args.host}: not a loopback address (use --allow-remote)\n"
        )
        return 2
    try:
        return asyncio.run(serve(args))
    except SeedError as exc:
        sys.stderr.write(f"bad seed: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"cannot start the emulator: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
