"""The Graph request pipeline shared by the HTTP edge and ``$batch``: routing, token checks,
Outlook throttling per app per mailbox, and the error envelope."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.envelopes import MSG_NOT_ENABLED_FOR_REST, GraphFailure, graph_error_body
from emulator.seed import Account
from emulator.state import EmulatorState
from emulator.tokens import GRAPH_APP_ID, GRAPH_RESOURCE, Principal, TokenRejected

GRAPH_AUDIENCES = (GRAPH_RESOURCE, GRAPH_RESOURCE + "/", GRAPH_APP_ID)


@dataclass(frozen=True)
class GraphCall:
    method: str
    path: str  # below /v1.0, without the query, e.g. "/users/x/sendMail"
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    principal: Principal
    request_id: str
    client_request_id: str | None

    def json(self) -> Any:
        if not self.body.strip():
            raise GraphFailure(400, "BadRequest", "Empty Payload. JSON content expected.")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GraphFailure(
                400,
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type header is set "
                "and payload is of valid JSON format.",
            ) from exc


@dataclass
class GraphReply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Params = dict[str, str]
Handler = Callable[["GraphService", GraphCall, Params], Awaitable[GraphReply]]


@dataclass(frozen=True)
class Route:
    method: str
    regex: re.Pattern[str]
    handler: Handler
    outlook: bool  # counts against Outlook's per-mailbox throttling


def _compile(pattern: str) -> re.Pattern[str]:
    escaped = re.escape(pattern).replace(r"\{", "{").replace(r"\}", "}")
    parts = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", escaped)
    return re.compile(f"^{parts}/?$", re.IGNORECASE)


def failure_reply(
    failure: GraphFailure, request_id: str, client_request_id: str | None
) -> GraphReply:
    headers: dict[str, str] = {}
    if failure.retry_after is not None:
        headers["Retry-After"] = f"{failure.retry_after:g}"
    return GraphReply(
        failure.status,
        graph_error_body(failure.code, failure.message, request_id, client_request_id),
        headers,
    )


class GraphService:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: Handler, *, outlook: bool = False) -> None:
        self._routes.append(Route(method.upper(), _compile(pattern), handler, outlook))

    # --- authentication -------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise GraphFailure(401, "InvalidAuthenticationToken", "Access token is empty.")
        token = authorization[7:].strip()
        try:
            return self.state.tokens.principal(token, GRAPH_AUDIENCES)
        except TokenRejected as exc:
            raise GraphFailure(
                401, "InvalidAuthenticationToken", f"Access token validation failure. {exc.reason}"
            ) from exc

    # --- routing --------------------------------------------------------------------
    def match(self, method: str, path: str) -> tuple[Route, Params]:
        if path == "/me" or path.lower().startswith("/me/"):
            path = "/users/me" + path[3:]
        allowed = False
        for route in self._routes:
            found = route.regex.match(path)
            if found is None:
                continue
            if route.method == method.upper():
                return route, dict(found.groupdict())
            allowed = True
        if allowed:
            raise GraphFailure(
                405,
                "Request_BadRequest",
                f"The HTTP method '{method}' is not allowed for this resource.",
            )
        segment = path.rstrip("/").rsplit("/", 1)[-1] or path
        raise GraphFailure(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    def mailbox_key(self, principal: Principal, user: str) -> str:
        if user.lower() == "me":
            return principal.user.id if principal.user is not None else "me"
        account = self.state.tenant.account(user)
        return account.id if account is not None else user.lower()

    async def dispatch(self, call: GraphCall, delay: float = 0.0) -> GraphReply:
        """Run one Graph request (already authenticated) through throttling and its handler."""
        try:
            route, params = self.match(call.method, call.path)
            mailbox: str | None = None
            if route.outlook:
                mailbox = self.mailbox_key(call.principal, params["user"])
                self.state.throttle.enter(call.principal.app_id, mailbox)
            try:
                if delay > 0:
                    await asyncio.sleep(delay)
                return await route.handler(self, call, params)
            finally:
                if mailbox is not None:
                    self.state.throttle.leave(call.principal.app_id, mailbox)
        except GraphFailure as failure:
            return failure_reply(failure, call.request_id, call.client_request_id)

    # --- helpers for handlers -------------------------------------------------------
    def target(self, call: GraphCall, user: str, *, mailbox: bool) -> Account:
        """The account a ``/users/{user}`` (or ``/me``) path names, with Graph's errors."""
        principal = call.principal
        if user.lower() == "me":
            if principal.user is None:
                raise GraphFailure(
                    400,
                    "BadRequest",
                    "/me request is only valid with delegated authentication flow.",
                )
            account: Account | None = principal.user
        else:
            account = self.state.tenant.account(user)
        if account is None:
            if mailbox:
                raise GraphFailure(
                    404, "ErrorInvalidUser", f"The requested user '{user}' is invalid."
                )
            raise GraphFailure(
                404,
                "Request_ResourceNotFound",
                f"Resource '{user}' does not exist or one of its queried reference-property "
                "objects are not present.",
            )
        if mailbox and not account.has_mailbox:
            raise GraphFailure(404, "MailboxNotEnabledForRESTAPI", MSG_NOT_ENABLED_FOR_REST)
        return account
