"""The bot process of ``mailroom dev``: ``mailroom serve`` plus the development token source.

``python -m bot.devmode.botserver --port N``. The Agents Playground has no Teams SSO, so
in development the user's token comes from the tenant emulator (``bot.identity.sso.
EmulatorSso``). That switch exists only here, never in ``mailroom serve``, and this entry
point refuses to start unless the bot and every Microsoft endpoint it is given are on
loopback: it can never point a development token source at a real tenant. It also serves
the development inbox (``bot/devmode/inbox.py``) under ``/_dev/inbox/`` and the Playgrounds'
shared Teams service URL (``bot/devmode/service_url.py``) under ``/_dev/connector/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot.cli_commands.serve import check_ready, load_settings
from bot.devmode import inbox, service_url
from bot.errors import ConfigError, TemplateLoadError
from bot.settings import Settings, is_loopback


def require_loopback(settings: Settings) -> None:
    if not is_loopback(settings.host):
        raise ConfigError("--host", f"mailroom dev binds to loopback only, got {settings.host}")
    urls = {
        "MAILROOM_GRAPH_URL": settings.graph_url,
        "MAILROOM_AUTHORITY_HOST": settings.authority_host,
        "MAILROOM_EXCHANGE_ADMIN_URL": settings.exchange_admin_url,
    }
    for name, url in urls.items():
        if url is not None and not is_loopback(urlsplit(url).hostname or ""):
            raise ConfigError(name, f"must point at the local emulator in development, got {url}")


def main(argv: Sequence[str] | None = None) -> int:
    from bot.app import create_app  # noqa: PLC0415 - heavy imports after argument parsing
    from bot.logs import configure_logging  # noqa: PLC0415
    from bot.metrics import Metrics  # noqa: PLC0415
    from bot.services import build_services, load_static  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m bot.devmode.botserver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3978)
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args)
        check_ready(settings)
        require_loopback(settings)
        static = load_static(settings)
    except (ConfigError, TemplateLoadError) as error:
        print(f"mailroom dev: bot configuration error: {error}", file=sys.stderr)
        return 2
    settings = dataclasses.replace(settings, dev_token_source=True)
    configure_logging(settings.log_format, settings.log_level)
    metrics = Metrics()
    app = create_app(
        settings,
        services=lambda: build_services(settings, static=static, metrics=metrics),
        metrics=metrics,
    )
    if settings.ca_bundle is not None:  # always, when started by mailroom dev
        reader = inbox.EmulatorReader.connect(settings.authority_host, settings.ca_bundle)
        app.add_subapp(inbox.PREFIX.rstrip("/"), inbox.create(reader))
    # mailroom dev starts the bot in its working directory, as it does for dev.db.
    clients = Path.cwd() / ".mailroom" / service_url.CLIENTS_FILE
    app.add_subapp(service_url.PREFIX, service_url.create(clients))
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=lambda line: print(line, file=sys.stderr),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
