"""``mailroom serve``: run the bot's HTTP server (production)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aiohttp import web

from bot.errors import ConfigError, TemplateLoadError
from bot.settings import Settings, is_loopback


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the bot server (POST /api/messages, GET /healthz, GET /readyz)",
        description="Run Mailroom's HTTP server. Settings come from the environment and ./.env.",
    )
    parser.add_argument("--host", help="address to bind (default MAILROOM_HOST or 0.0.0.0)")
    parser.add_argument("--port", type=int, help="port (default PORT or 3978)")
    parser.set_defaults(handler=run)


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment + ./.env, with --host/--port overriding."""
    env = dict(os.environ)
    if getattr(args, "host", None):
        env["MAILROOM_HOST"] = args.host
    if getattr(args, "port", None):
        env["PORT"] = str(args.port)
    return Settings.from_env(env, dotenv=Path(".env"))


def check_exposure(settings: Settings) -> None:
    """Anonymous mode (no app id) is for loopback only: anyone could post activities."""
    if not settings.has_credentials and not is_loopback(settings.host):
        raise ConfigError(
            "MicrosoftAppId",
            f"is not set, so the bot would accept unauthenticated activities on "
            f"{settings.host}. Set MicrosoftAppId, MicrosoftAppPassword and "
            f"MicrosoftAppTenantId, or bind to loopback with --host 127.0.0.1",
        )


def check_graph_credentials(settings: Settings) -> None:
    if settings.graph_credentials is None:
        raise ConfigError(
            "MicrosoftAppId",
            "is needed to send mail through Microsoft Graph; set MicrosoftAppId, "
            "MicrosoftAppPassword and MicrosoftAppTenantId (or the MAILROOM_GRAPH_* "
            "variables, see docs/configuration.md)",
        )


def run(args: argparse.Namespace) -> int:
    from bot.app import create_app  # noqa: PLC0415 - keep `mailroom --help` light
    from bot.logs import configure_logging  # noqa: PLC0415
    from bot.services import build_services, load_static  # noqa: PLC0415

    try:
        settings = load_settings(args)
        check_exposure(settings)
        check_graph_credentials(settings)
        static = load_static(settings)
    except (ConfigError, TemplateLoadError) as error:
        print(f"mailroom: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format, settings.log_level)
    web.run_app(
        create_app(settings, services=lambda: build_services(settings, static=static)),
        host=settings.host,
        port=settings.port,
        print=lambda line: print(line, file=sys.stderr),
    )
    return 0
