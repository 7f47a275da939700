"""``mailroom bench``: run the benchmarks (``python -m bench``) from a source checkout.

The ``bench`` package is not part of the installed distribution; this command finds it
next to ``bot/`` and hands over to ``bench.cli`` with the same options.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType


def _bench_cli() -> ModuleType | None:
    try:
        return importlib.import_module("bench.cli")
    except ModuleNotFoundError as error:
        if error.name not in ("bench", "bench.cli"):
            raise
        return None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "bench",
        help="run the benchmarks and write docs/benchmarks.md (source checkout only)",
        description="Turn latency against a bare Agents SDK bot, bulk pacing, responsiveness, "
        "startup, memory and template rendering; see docs/benchmarks.md.",
    )
    cli = _bench_cli()
    if cli is not None:
        cli.add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    cli = _bench_cli()
    if cli is None:
        print(
            "mailroom: the benchmarks live in the source tree (bench/); run this from a "
            "checkout of the repository",
            file=sys.stderr,
        )
        return 2
    code: int = cli.run(args)
    return code
