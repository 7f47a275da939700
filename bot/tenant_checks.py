"""``mailroom doctor``'s tenant checks: one check per entry of the requirements statement.

How each kind is checked against the tenant (nothing is sent, nothing changed):

==========================  ================================================================
graph_application           the Graph app token's ``roles`` claim, then a harmless call:
                            ``GET /users/{sender}`` or ``POST .../checkMemberGroups``
                            (TeamsAppInstallation: the claim only)
exchange_application        the Exchange app token's ``roles`` claim, then ``Get-Mailbox``
directory_role              ``Get-Mailbox``, ``Get-RecipientPermission``, ``Get-MailboxPermission``
exchange_role_assignment    ``Test-ServicePrincipalAuthorization -Resource`` for every
management_scope            application-mode sender: a row for the role, ``InScope`` True
sso_identifier_uri          a client-credentials token for ``api://botid-{app id}/.default``
oauth_connection, sso_scope the OAuth connection's token: for Mailroom, ``scp`` access_as_user
graph_delegated             that token exchanged on-behalf-of for Graph: the ``scp`` it grants
sso_preauthorized_client    a token that Teams client got silently for Mailroom
==========================  ================================================================

User tokens come from a ``UserTokenSource``; without one (``mailroom doctor`` run without
``--sso-token-file``) the checks that need them are reported as not checked, with how to
check them by hand.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain.senders import Mode
from bot.errors import ExchangeError, GraphError, IdentityError
from bot.graph import APP
from bot.identity.provider import EXCHANGE_RESOURCE, GRAPH_RESOURCE
from bot.services import Services
from bot.tenant_requirements import Requirement, of_kind

OIDC = frozenset({"openid", "profile", "offline_access"})
SSO_SCOPE = "access_as_user"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    skipped: bool = False  # could not be checked from here; ``fix`` says how by hand


Report = Callable[[Check], None]


class UserTokenSource(Protocol):
    """Tokens a signed-in user would give Mailroom. ``None``: none to be had here. Raises
    ``IdentityError`` when Entra (or the token service) refused one."""

    async def connection_token(self) -> str | None:
        """The token the Azure Bot's OAuth connection hands Mailroom for a user."""
        ...

    async def teams_token(self, teams_client_id: str) -> str | None:
        """The single sign-on token that Teams client got for Mailroom."""
        ...


class NoUserTokens:
    async def connection_token(self) -> str | None:
        return None

    async def teams_token(self, teams_client_id: str) -> str | None:
        return None


class FileUserTokens:
    """``--sso-token-file``: the token the OAuth connection's Test Connection shows."""

    def __init__(self, token: str) -> None:
        self._token = token.strip()

    async def connection_token(self) -> str | None:
        return self._token

    async def teams_token(self, teams_client_id: str) -> str | None:
        return None


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified: the doctor only reads what Entra granted."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _scopes(claims: dict[str, Any]) -> set[str]:
    return set(str(claims.get("scp") or "").split())


def _error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300]


class TenantChecks:
    def __init__(
        self,
        services: Services,
        requirements: Sequence[Requirement],
        app_id: str,
        users: UserTokenSource,
        record: Report,
    ) -> None:
        self._s = services
        self._reqs = requirements
        self._app_id = app_id
        self._users = users
        self._record = record
        senders = services.policy.senders
        self._probe = senders[0].address if senders else None
        self._app_senders = [s for s in senders if s.mode is Mode.APPLICATION]

    def _pass(self, r: Requirement, detail: str) -> None:
        self._record(Check(r.id, True, f"{r.what}: {detail}"))

    def _fail(self, r: Requirement, detail: str) -> None:
        self._record(Check(r.id, False, f"{r.what}: {detail}", r.fix))

    def _skip(self, r: Requirement, detail: str) -> None:
        self._record(Check(r.id, True, f"{r.what}: not checked ({detail})", r.fix, skipped=True))

    async def run(self) -> None:
        await self._application("graph_application", GRAPH_RESOURCE, self._graph_call)
        exchange_ok = await self._application(
            "exchange_application", EXCHANGE_RESOURCE, self._exchange_call
        )
        roles_ok = await self._directory_roles(exchange_ok)
        await self._rbac(roles_ok)
        await self._identifier_uri()
        await self._user_checks()

    # --- application permissions ----------------------------------------------------------

    async def _application(
        self, kind: str, resource: str, call: Callable[[Requirement], Awaitable[str]]
    ) -> bool:
        wanted = of_kind(self._reqs, kind)
        try:
            roles = set(claims_of(await self._s.tokens.app_token(resource)).get("roles") or [])
        except IdentityError as error:
            for r in wanted:
                self._fail(r, f"no app token for {resource}: {_error(error)}")
            return False
        all_ok = True
        for r in wanted:
            if not roles & {r.value, *r.accepts}:
                self._fail(r, "not in the app token's roles claim")
                all_ok = False
                continue
            try:
                detail = await call(r)
            except (GraphError, ExchangeError, IdentityError) as error:
                self._fail(r, f"granted, but the test call failed: {_error(error)}")
                all_ok = False
                continue
            self._pass(r, f"in the roles claim; {detail}")
        return all_ok

    async def _graph_call(self, r: Requirement) -> str:
        if self._probe is None:
            return "no sender to test it on"
        if r.value == "GroupMember.Read.All":
            await self._s.graph.check_member_groups(APP, self._probe, [])
            return f"checkMemberGroups for {self._probe} answered"
        if r.value.startswith("TeamsAppInstallation."):
            # Senders are mailboxes, not Teams users: nothing harmless to call on them.
            return "installing is tried when an approver without a chat is first reached"
        await self._s.graph.get_user(APP, self._probe)
        return f"GET /users/{self._probe} answered"

    async def _exchange_call(self, r: Requirement) -> str:
        exchange = self._s.exchange
        if exchange is None:
            return "the Exchange admin API is turned off here"
        if self._probe is None:
            return "no sender to test it on"
        try:
            await exchange.recipient_type(self._probe)
        except ExchangeError as error:
            if error.status == 401:
                # The token carries the permission (checked above): Exchange refuses an
                # app-only caller that holds no Exchange role with 401, which the role's own
                # check reports.
                return "the Exchange admin API took the token (the Exchange role is checked next)"
            if error.status == 403:
                raise
        return "the Exchange admin API let the app in"

    async def _directory_roles(self, exchange_ok: bool) -> bool:
        exchange = self._s.exchange
        all_ok = True
        for r in of_kind(self._reqs, "directory_role"):
            if exchange is None or self._probe is None or not exchange_ok:
                why = "needs the Exchange admin API and Exchange.ManageAsApp first"
                self._skip(r, why if self._probe else "no sender to test it on")
                all_ok = False
                continue
            box = self._probe
            try:
                await exchange.recipient_type(box)
                await exchange.send_as_trustees(box)
                await exchange.full_access_trustees(box)
            except ExchangeError as error:
                self._fail(r, f"reading {box}'s permissions failed: {_error(error)}")
                all_ok = False
                continue
            self._pass(r, f"Get-Mailbox, Get-RecipientPermission, Get-MailboxPermission on {box}")
        return all_ok

    # --- RBAC for Applications ------------------------------------------------------------

    async def _rbac(self, roles_ok: bool) -> None:
        wanted = of_kind(self._reqs, "exchange_role_assignment", "management_scope")
        exchange = self._s.exchange
        if not self._app_senders:
            for r in wanted:
                self._skip(r, "no sender uses application mode")
            return
        if exchange is None or not roles_ok:
            for r in wanted:
                self._skip(r, "needs the Exchange admin API and its role first")
            return
        rows_by_sender: dict[str, list[dict[str, Any]]] = {}
        for sender in self._app_senders:
            try:
                rows_by_sender[sender.address] = await exchange.invoke(
                    "Test-ServicePrincipalAuthorization",
                    {"Identity": self._app_id, "Resource": sender.address},
                )
            except ExchangeError as error:
                for r in wanted:
                    self._skip(r, f"Test-ServicePrincipalAuthorization failed: {_error(error)}")
                return
        for r in of_kind(wanted, "exchange_role_assignment"):
            self._role_assignment(r, rows_by_sender)
        for r in of_kind(wanted, "management_scope"):
            self._scope(r, rows_by_sender)

    def _role_assignment(self, r: Requirement, rows: dict[str, list[dict[str, Any]]]) -> None:
        missing = [
            box
            for box, found in rows.items()
            if not any(
                row.get("RoleName") == r.value and row.get("AllowedResourceScope") == r.scope
                for row in found
            )
        ]
        if missing:
            self._fail(r, f"no such assignment for {', '.join(missing)}")
        else:
            self._pass(r, f"assigned with scope {r.scope}")

    def _scope(self, r: Requirement, rows: dict[str, list[dict[str, Any]]]) -> None:
        outside = [
            box
            for box, found in rows.items()
            if not any(
                row.get("AllowedResourceScope") == r.value and _true(row.get("InScope"))
                for row in found
            )
        ]
        if outside:
            self._fail(r, f"outside the scope: {', '.join(outside)}")
        else:
            self._pass(r, f"holds {', '.join(rows)}")

    # --- Teams single sign-on and delegated permissions ------------------------------------

    async def _identifier_uri(self) -> None:
        for r in of_kind(self._reqs, "sso_identifier_uri"):
            try:
                await self._s.tokens.app_token(r.value)
            except IdentityError as error:
                self._fail(r, f"Entra knows no such resource: {_error(error)}")
                continue
            self._pass(r, "Entra issues tokens for it")

    async def _user_checks(self) -> None:
        await self._teams_clients()
        connection = of_kind(self._reqs, "oauth_connection", "sso_scope")
        delegated = of_kind(self._reqs, "graph_delegated")
        if not self._s.settings.oauth_connection and self._delegated_senders():
            for r in of_kind(connection, "oauth_connection"):
                self._fail(r, "MAILROOM_OAUTH_CONNECTION is not set")
        try:
            token = await self._users.connection_token()
        except IdentityError as error:
            for r in [*connection, *delegated]:
                self._fail(r, f"the OAuth connection gave no token: {_error(error)}")
            return
        if token is None:
            for r in [*connection, *delegated]:
                self._skip(r, "needs a user's token: mailroom doctor --sso-token-file FILE")
            return
        claims = claims_of(token)
        if not self._for_mailroom(claims) or SSO_SCOPE not in _scopes(claims):
            got = f"aud {claims.get('aud')!r}, scp {claims.get('scp')!r}"
            for r in connection:
                self._fail(r, f"the connection's token is not for Mailroom's {SSO_SCOPE} ({got})")
            for r in delegated:
                self._skip(r, "the connection's token cannot be exchanged on-behalf-of")
            return
        for r in connection:
            self._pass(r, f"the connection's token is for Mailroom with scp {SSO_SCOPE}")
        await self._delegated(token, claims, delegated)

    async def _delegated(
        self, token: str, claims: dict[str, Any], wanted: list[Requirement]
    ) -> None:
        try:
            graph = await self._s.tokens.user_token(str(claims.get("oid")), token, GRAPH_RESOURCE)
        except IdentityError as error:
            for r in wanted:
                self._fail(r, f"the on-behalf-of exchange was refused: {_error(error)}")
            return
        granted = _scopes(claims_of(graph))
        for r in wanted:
            if r.value in OIDC:
                self._pass(r, "the on-behalf-of exchange (which asks for it) succeeded")
            elif r.value in granted:
                self._pass(r, "in the delegated Graph token's scp")
            else:
                self._fail(r, "not in the delegated Graph token's scp")

    async def _teams_clients(self) -> None:
        for r in of_kind(self._reqs, "sso_preauthorized_client"):
            try:
                token = await self._users.teams_token(r.value)
            except IdentityError as error:
                self._fail(r, f"Entra gave this Teams client no token: {_error(error)}")
                continue
            if token is None:
                self._skip(r, "needs a token from that Teams client")
                continue
            claims = claims_of(token)
            if claims.get("azp") == r.value and SSO_SCOPE in _scopes(claims):
                self._pass(r, "the client got a token for Mailroom silently")
            else:
                self._fail(r, f"the token is not this client's ({claims.get('azp')!r})")

    def _for_mailroom(self, claims: dict[str, Any]) -> bool:
        return claims.get("aud") in (self._app_id, f"api://botid-{self._app_id}")

    def _delegated_senders(self) -> bool:
        policy = self._s.policy
        return policy.self_mode is Mode.DELEGATED or any(
            s.mode is Mode.DELEGATED for s in policy.senders
        )


def _true(value: object) -> bool:
    return value is True or str(value).lower() == "true"
