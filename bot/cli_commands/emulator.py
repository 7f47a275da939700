"""``mailroom emulator``: run the local Microsoft 365 tenant (same as ``python -m emulator``)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "emulator",
        help="run the local Microsoft 365 tenant emulator (Entra ID, Graph, Exchange, connector)",
        add_help=False,
    )
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from emulator.__main__ import main  # noqa: PLC0415 - bot imports emulator only here

    result = main(args.rest)
    return int(result or 0)
