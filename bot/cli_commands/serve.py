"""``mailroom serve``: run the bot's HTTP server (production)."""

from __future__ import annotations

import argparse
import gc
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


def check_ready(settings: Settings) -> None:
    """Everything a first ``serve`` needs that is missing, named in one ConfigError:

    * Graph credentials, always: the bot's app (``MicrosoftAppId``, ``MicrosoftAppPassword``,
      ``MicrosoftAppTenantId``) or a separate one (``MAILROOM_GRAPH_CLIENT_ID``, ``..._SECRET``,
      ``..._TENANT_ID``);
    * the bot's app id off loopback: without one, activities are accepted unauthenticated
      (anonymous mode), which only a loopback address makes safe;
    * the policy file and the templates folder.
    """
    needed: list[str] = []
    reasons: list[str] = []
    if settings.graph_credentials is None:
        own = settings.graph_client_id is not None or settings.graph_client_secret is not None
        names = _GRAPH_NAMES if own else _APP_NAMES
        held = (
            (settings.graph_client_id, settings.graph_client_secret, settings.graph_tenant_id)
            if own
            else (settings.app_id, settings.app_password, settings.app_tenant_id)
        )
        needed += [name for name, value in zip(names, held, strict=True) if not value]
        reasons.append(
            "Mailroom sends mail through Microsoft Graph with an Entra app's credentials: the "
            "bot's own (MicrosoftApp*) or a separate one (MAILROOM_GRAPH_CLIENT_ID, "
            "MAILROOM_GRAPH_CLIENT_SECRET, MAILROOM_GRAPH_TENANT_ID)"
        )
    if not settings.has_credentials and not is_loopback(settings.host):
        needed += [n for n in _APP_NAMES if n not in needed]
        reasons.append(
            f"without MicrosoftAppId the bot would accept unauthenticated activities on "
            f"{settings.host}: set the bot's app, or bind to loopback with --host 127.0.0.1"
        )
    if not settings.config_path.is_file():
        needed.append("MAILROOM_CONFIG")
        reasons.append(
            f"there is no policy file at {settings.config_path} (start from "
            "mailroom.example.toml, docs/policy.md)"
        )
    if not settings.templates_dir.is_dir():
        needed.append("MAILROOM_TEMPLATES_DIR")
        reasons.append(f"there is no templates folder at {settings.templates_dir}")
    if needed:
        raise ConfigError(", ".join(needed), "; ".join(reasons) + " (docs/configuration.md)")


_APP_NAMES = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppTenantId")
_GRAPH_NAMES = (
    "MAILROOM_GRAPH_CLIENT_ID",
    "MAILROOM_GRAPH_CLIENT_SECRET",
    "MAILROOM_GRAPH_TENANT_ID",
)


async def _keep_for_good(_app: web.Application) -> None:
    """What starting made (modules, card and activity models, compiled templates, services)
    lives as long as the process: set it aside from the garbage collector, whose full
    collections otherwise walk those hundred thousand objects every time, a pause of tens
    of milliseconds in whichever turn it lands (Python's ``gc.freeze``)."""
    gc.freeze()


def run(args: argparse.Namespace) -> int:
    from bot.app import create_app  # noqa: PLC0415 - keep `mailroom --help` light
    from bot.logs import AccessLog, configure_logging  # noqa: PLC0415
    from bot.metrics import Metrics  # noqa: PLC0415
    from bot.services import build_services, load_static  # noqa: PLC0415

    try:
        settings = load_settings(args)
        check_ready(settings)
        static = load_static(settings)
    except (ConfigError, TemplateLoadError) as error:
        print(f"mailroom: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format, settings.log_level)
    metrics = Metrics()
    app = create_app(
        settings,
        services=lambda: build_services(settings, static=static, metrics=metrics),
        metrics=metrics,
    )
    app.on_startup.append(_keep_for_good)  # after the app's own: its services are built
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log_class=AccessLog,
        print=lambda line: print(line, file=sys.stderr),
    )
    return 0
