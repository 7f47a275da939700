"""The inbound activity handed to the Agents SDK as Mailroom already parsed and validated it.

The SDK's ``process_request`` reads the request body as JSON again and validates it as an
``Activity`` again. Mailroom has done both already (``bot.inbound_body`` and
``bot.app``, which refuse bad input with a 400 before the SDK sees it), so this request
adapter answers ``json()`` with the validated ``Activity``: pydantic returns a model
instance as it is, and the turn is spared a second parse and validation of the activity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import HttpResponse
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from bot.json_bytes import json_bytes


class ValidatedRequest:
    """The SDK's ``HttpRequestProtocol`` for a request whose activity and caller are known."""

    def __init__(self, request: web.Request, activity: Activity, caller: ClaimsIdentity) -> None:
        self._request = request
        self._activity = activity
        self._caller = caller

    @property
    def method(self) -> str:
        return self._request.method

    @property
    def headers(self) -> Mapping[str, str]:
        return self._request.headers

    async def json(self) -> Any:
        return self._activity

    def get_claims_identity(self) -> ClaimsIdentity:
        return self._caller

    def get_path_param(self, name: str) -> str:
        return self._request.match_info[name]


def web_response(response: HttpResponse) -> web.Response:
    """The SDK's framework-free response as aiohttp's (as its aiohttp adapter converts it,
    but for the JSON encoder: ``json_bytes``)."""
    if response.body is not None:
        return web.Response(
            body=json_bytes(response.body),
            status=response.status_code,
            headers=response.headers,
            content_type="application/json",
            charset="utf-8",
        )
    return web.Response(
        status=response.status_code,
        headers=response.headers,
        content_type=response.content_type,
    )
