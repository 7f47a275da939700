"""The baseline: a bare Microsoft 365 Agents SDK bot on the same stack as Mailroom.

``SSL_CERT_FILE=CA.pem python -m bench.echo_bot --port N [--host 127.0.0.1]``

An ``ActivityHandler`` that echoes a message's text and answers an ``adaptiveCard/action``
invoke with a tiny card, behind the SDK's aiohttp ``CloudAdapter`` and JWT check (anonymous
on loopback, like ``mailroom serve`` without app credentials). It replies through the SDK's
own client factory, as a bot built from the SDK's samples does (a new session per turn);
the emulator's certificate is trusted through ``SSL_CERT_FILE``, which OpenSSL reads when
aiohttp makes its default TLS context (at import: so it is set in the process's
environment). Nothing else: no store, no Graph, no logging per activity. ``GET /readyz``
answers 200 once the server listens.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
)
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator
from microsoft_agents.hosting.core import ActivityHandler, TurnContext
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration

from bot.teams.connector import MailroomConnections

ADAPTER = web.AppKey("adapter", CloudAdapter)
AGENT = web.AppKey("agent", ActivityHandler)

TINY_CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Done."}],
}


class EchoAgent(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        text = turn_context.activity.text or ""
        await turn_context.send_activity(Activity(type=ActivityTypes.message, text=f"echo: {text}"))

    async def on_adaptive_card_invoke(  # type: ignore[override]
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        return AdaptiveCardInvokeResponse(
            status_code=200, type="application/vnd.microsoft.card.adaptive", value=TINY_CARD
        )


async def _no_token(scope: str) -> str:
    raise RuntimeError("the echo bot is anonymous")


@jwt_authorization_decorator  # type: ignore[untyped-decorator]  # the SDK's is untyped
async def messages(request: web.Request) -> web.StreamResponse:
    response = await request.app[ADAPTER].process(request, request.app[AGENT])
    return response if response is not None else web.Response(status=202)


async def readyz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ready"})


def create_echo_app() -> web.Application:
    configuration = AgentAuthConfiguration(anonymous_allowed=True)
    # The connections only name a token source; anonymous turns never ask it.
    connections = MailroomConnections(configuration, _no_token)
    app = web.Application()
    app[ADAPTER] = CloudAdapter(connection_manager=connections)
    app[AGENT] = EchoAgent()
    with warnings.catch_warnings():  # the SDK reads this plain string key
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        app["agent_configuration"] = configuration
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/readyz", readyz)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.echo_bot", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    web.run_app(create_echo_app(), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
