"""``python -m bench`` / ``mailroom bench``: run every benchmark, print the figures, write
``bench/results/<date>.json`` and (full runs) ``docs/benchmarks.md``."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.config import BenchConfig
    from bench.scale_run import ScaleConfig

# Kept light: `mailroom --help` imports this module; the benchmarks load on `run`.
ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "bench" / "results"
SCALE_NOT_RUN = (
    "Scale scenarios (ten mailboxes at once, two replicas on PostgreSQL) not run: add "
    "--scale, or run them alone with --scale-only (docs/benchmarks.md, Scale)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="a short run (about a minute)")
    parser.add_argument(
        "--conversations", help="comma-separated numbers of concurrent conversations (e.g. 1,5)"
    )
    parser.add_argument(
        "--turns", type=int, help="timed turns per conversation (with --conversations)"
    )
    parser.add_argument("--bulk-messages", type=int, help="messages in the bulk send")
    parser.add_argument("--rate", type=float, help="the emulator's message rate R per minute")
    parser.add_argument("--footprint-turns", type=int, help="turns before reading RSS")
    parser.add_argument(
        "--idle-seconds", type=float, help="length of the responsiveness baseline (seconds)"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile")
    parser.add_argument(
        "--scale",
        action="store_true",
        help="also run the scale scenarios (bench/scale_run.py; about 3 more minutes)",
    )
    parser.add_argument(
        "--scale-only", action="store_true", help="run only the scale scenarios (about 3 min)"
    )
    parser.add_argument(
        "--postgres-url",
        help="PostgreSQL server for the two-replica scenarios (default: "
        "MAILROOM_BENCH_POSTGRES_URL, else MAILROOM_TEST_POSTGRES_URL; none: not run)",
    )
    parser.add_argument(
        "--scale-messages", type=int, help="messages per mailbox and in the shared bulk send"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--docs", type=Path, help=f"write the Markdown here (full runs default to {DOCS})"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not write the Markdown")
    parser.add_argument("--keep", type=Path, help="keep logs and databases in this folder")
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="RESULTS_JSON",
        help="measure nothing: print and write the Markdown of an earlier run's JSON "
        "(after editing bench/method.md)",
    )


def config_from(args: argparse.Namespace) -> BenchConfig:
    from bench.config import FULL, QUICK, with_conversations  # noqa: PLC0415

    config = QUICK if args.quick else FULL
    if args.conversations:
        numbers = tuple(int(n) for n in args.conversations.split(","))
        config = with_conversations(config, numbers, args.turns or 10)
    bulk = config.bulk
    if args.bulk_messages:
        bulk = replace(bulk, messages=args.bulk_messages)
    if args.rate:
        bulk = replace(bulk, per_minute=args.rate)
    if args.idle_seconds:
        bulk = replace(bulk, idle_seconds=args.idle_seconds)
    footprint = config.footprint
    if args.footprint_turns:
        footprint = replace(footprint, turns=args.footprint_turns)
    return replace(config, bulk=bulk, footprint=footprint, profile=not args.no_profile)


def scale_config_from(args: argparse.Namespace) -> ScaleConfig:
    from bench.scale_run import FULL, QUICK  # noqa: PLC0415

    config = QUICK if args.quick else FULL
    if args.scale_messages:
        config = replace(
            config,
            mailboxes=replace(config.mailboxes, messages=args.scale_messages),
            replicas=replace(config.replicas, messages=args.scale_messages),
        )
    return config


def run_scale_only(args: argparse.Namespace, workdir: Path) -> int:
    from bench import scale_run  # noqa: PLC0415

    date = scale_run.now_iso()
    postgres = args.postgres_url or scale_run.postgres_from_env()
    scale = scale_run.run_scale(scale_config_from(args), workdir, postgres)
    section = scale_run.markdown(scale, date)
    print()
    print(section)
    print(f"results: {scale_run.write_json(scale, date, args.results_dir)}")
    docs = args.docs or (None if args.quick else DOCS)
    if docs is not None and not args.no_docs:
        scale_run.insert_section(docs, section)
        print(f"docs: {docs}")
    return 0


def run(args: argparse.Namespace) -> int:
    from bench.report import markdown, write_docs, write_json  # noqa: PLC0415
    from bench.runner import run_all  # noqa: PLC0415
    from bench.scale_run import existing_section, insert_section, postgres_from_env, run_scale  # noqa: PLC0415
    from bench.scale_run import markdown as scale_markdown  # noqa: PLC0415

    def write_all(results: dict[str, Any], docs: Path) -> None:
        """The docs of ``results``, with their scale section, else the one docs had."""
        kept = existing_section(docs)
        write_docs(results, docs)
        if "scale" in results:
            kept = scale_markdown(results["scale"], results["date"])
        if kept:
            insert_section(docs, kept)

    if args.report_only:
        results = json.loads(args.report_only.read_text(encoding="utf-8"))
        print(markdown(results))
        if "scale" in results:
            print(scale_markdown(results["scale"], results["date"]))
        docs = args.docs or DOCS
        if not args.no_docs:
            write_all(results, docs)
            print(f"docs: {docs}")
        return 0
    config = config_from(args)
    if args.keep:
        workdir = args.keep
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="mailroom-bench-"))
    try:
        if args.scale_only:
            return run_scale_only(args, workdir)
        results = run_all(config, workdir)
        if args.scale:
            postgres = args.postgres_url or postgres_from_env()
            results["scale"] = run_scale(scale_config_from(args), workdir / "scale", postgres)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(markdown(results))
    if "scale" in results:
        print(scale_markdown(results["scale"], results["date"]))
    if "scale" not in results:
        print(SCALE_NOT_RUN)
    json_path = write_json(results, args.results_dir)
    print(f"results: {json_path}")
    docs = args.docs or (None if config.quick else DOCS)
    if docs is not None and not args.no_docs:
        write_all(results, docs)
        print(f"docs: {docs}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Mailroom's benchmarks (docs/benchmarks.md)."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
