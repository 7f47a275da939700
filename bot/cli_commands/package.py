"""``mailroom package``: build the Teams app package (manifest.json + two icons in a zip).

Values come from command-line flags, else from environment variables (see
``bot.packaging.OPTION_SOURCES`` and docs/deploy.md), else from ./.env. ``run`` is the one place
that reads ``os.environ``; everything below it receives a plain mapping. These values are not
``Settings``: ``Settings.from_env`` also insists on the client secret and tenant, which a
machine that only builds the package should not need to hold.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import TextIO

from bot.errors import ConfigError, PackageError
from bot.packaging import (
    OPTION_SOURCES,
    NodeSchemaValidator,
    PackageOptions,
    build_package,
    write_package,
)
from bot.settings import read_dotenv
from bot.teams.commands import COMMANDS

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_OUT = Path("build/mailroom-teams.zip")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "package",
        help="build the Teams app package (zip) and check it against Microsoft's schema",
        description=(
            "Fill appPackage/manifest.json, check it against Microsoft's Teams manifest schema "
            "(needs Node.js and `npm ci` in tools/node) and zip it with both icons. Each flag "
            "falls back to the environment variable in brackets, then to ./.env. The bot's app "
            "id is always MicrosoftAppId."
        ),
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"the zip to write (default {DEFAULT_OUT})"
    )
    for name, source in OPTION_SOURCES.items():
        if source.flag:
            env = f" [{source.env[0]}]" if source.env else ""
            parser.add_argument(source.flag, dest=name, help=f"{source.meaning}{env}")
    parser.add_argument(
        "--app-package",
        dest="app_package_dir",
        type=Path,
        default=REPOSITORY / "appPackage",
        help="the folder with manifest.json and the icons (default: the repository's appPackage/)",
    )
    parser.add_argument(
        "--node-tools",
        type=Path,
        default=REPOSITORY / "tools" / "node",
        help="the folder where `npm ci` installed @microsoft/app-manifest",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return package(args, os.environ, dotenv=Path(".env"))


def package(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    *,
    dotenv: Path | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Build and write the package; 0 on success, 1 with every problem listed."""
    try:
        env = merged_environment(environ, dotenv)
    except ConfigError as error:
        print(f"mailroom package: {error}", file=err)
        return 1
    options = resolve_options(args, env)
    try:
        built = build_package(
            options,
            app_package_dir=args.app_package_dir,
            validator=NodeSchemaValidator(args.node_tools),
        )
    except PackageError as error:
        count = len(error.problems)
        what = "this problem" if count == 1 else f"these {count} problems"
        print(
            f"mailroom package: the Teams app package was not built. Fix {what} and run it again:",
            file=err,
        )
        for problem in error.problems:
            print(f"  {problem.path}: {problem.message}", file=err)
        return 1
    path = write_package(built, args.out)
    print(
        f"mailroom package: wrote {path} (manifest {built.manifest.get('manifestVersion')}, "
        f"app version {built.manifest.get('version')}, bot {options.bot_app_id}, "
        f"{len(COMMANDS)} commands). Upload it in the Teams admin center: Teams apps → "
        "Manage apps → Upload new app.",
        file=out,
    )
    return 0


def merged_environment(environ: Mapping[str, str], dotenv: Path | None) -> dict[str, str]:
    """``dotenv``'s values overridden by ``environ`` (the same precedence as the bot's)."""
    merged: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        merged.update(read_dotenv(dotenv))
    merged.update(environ)
    return merged


def resolve_options(args: argparse.Namespace, env: Mapping[str, str]) -> PackageOptions:
    """Each option from its flag, else its first non-empty environment variable."""
    values: dict[str, str | None] = {}
    for name, source in OPTION_SOURCES.items():
        flag_value = getattr(args, name, None)
        chosen = flag_value.strip() if isinstance(flag_value, str) else None
        for variable in source.env:
            if chosen:
                break
            chosen = env.get(variable, "").strip() or None
        values[name] = chosen or None
    defaults = PackageOptions()
    return PackageOptions(
        bot_app_id=values["bot_app_id"],
        teams_app_id=values["teams_app_id"],
        version=values["version"] or version("mailroom-teams"),
        public_url=values["public_url"],
        developer_name=values["developer_name"],
        website_url=values["website_url"],
        privacy_url=values["privacy_url"],
        terms_url=values["terms_url"],
        accent_color=values["accent_color"] or defaults.accent_color,
    )
