"""``mailroom dev``: Mailroom on its embedded default: emulator, bot, Agents Playground."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dev",
        help="run Mailroom locally against a demo tenant, with a Teams-like UI",
        description=(
            "Start the local Microsoft 365 tenant emulator (demo seed), the bot on 127.0.0.1 "
            "pointed at it, and - when Node.js 20+ is present - the Microsoft 365 Agents "
            "Playground as one of the demo users. Ctrl-C stops all three. Files go to "
            "./.mailroom/ and ./.m365agentsplayground.yml. The Playground has no sign-in: "
            "development machines only."
        ),
    )
    parser.add_argument(
        "--as",
        dest="user",
        metavar="USER",
        help="the demo user you are: UPN or first name (default: the seed's first user)",
    )
    parser.add_argument(
        "--second",
        dest="second_user",
        metavar="USER",
        help="the demo user of the second Playground, on the next port, e.g. an approver "
        "(default: the seed's next user with a mailbox)",
    )
    parser.add_argument("--no-ui", action="store_true", help="do not start the Agents Playground")
    parser.add_argument(
        "--port", type=int, default=3978, help="bot port (default 3978; 0: any free port)"
    )
    parser.add_argument(
        "--playground-port",
        type=int,
        default=56150,
        help="Agents Playground port (default 56150, the second one's the next; 0: any free)",
    )
    parser.add_argument(
        "--emulator-port", type=int, default=0, help="emulator HTTPS port (default: any free)"
    )
    parser.add_argument("--seed", type=Path, help="tenant seed (default: the demo seed)")
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=60.0,
        help="seconds to wait for all three to answer (default 60)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.devmode.runner import DevOptions, run_dev  # noqa: PLC0415 - keep --help light
    from emulator.seed import DEMO_SEED  # noqa: PLC0415

    return run_dev(
        DevOptions(
            user=args.user,
            second_user=args.second_user,
            ui=not args.no_ui,
            bot_port=args.port,
            playground_port=args.playground_port,
            emulator_port=args.emulator_port,
            seed=args.seed or DEMO_SEED,
            startup_timeout=args.startup_timeout,
        )
    )
