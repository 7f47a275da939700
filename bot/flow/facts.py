"""Gathering the facts a permission decision needs, with a short cache.

User facts come from Graph (the user, and membership of the groups the policy names);
rights from the Exchange admin API. Both are cached for the policy's TTL; a rights entry
is dropped when Graph later answers ``ErrorSendAsDenied`` / ``ErrorAccessDenied``. When
Exchange cannot be asked the rights are ``UNAVAILABLE``, which ``decide`` turns into a
denial in application mode (fail closed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.domain.permissions import Decision, RequestFacts, Rights, Source, UserFacts, decide
from bot.domain.senders import Policy, SenderConfig, SenderKind
from bot.errors import ExchangeError, GraphError, GraphTransportError, IdentityError
from bot.exchange.client import ExchangeAdminClient
from bot.graph.caller import APP
from bot.graph.client import GraphClient

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Cached(Generic[_T]):
    value: _T
    expires: float


class FactsService:
    def __init__(
        self,
        graph: GraphClient,
        exchange: ExchangeAdminClient | None,
        policy: Policy,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._graph = graph
        self._exchange = exchange
        self._policy = policy
        self._clock = clock
        self._ttl = float(policy.decision_cache_seconds)
        self._users: dict[str, _Cached[UserFacts]] = {}
        self._rights: dict[tuple[str, str], _Cached[Rights]] = {}

    @property
    def policy(self) -> Policy:
        return self._policy

    async def decide(
        self, user_oid: str, sender: SenderConfig, request: RequestFacts | None = None
    ) -> tuple[UserFacts, Decision]:
        user = await self.user(user_oid)
        rights = await self.rights(user, sender)
        decision = decide(user, sender, rights, self._policy, request)
        logger.debug(
            "decision %s", decision.outcome, extra={"user_oid": user_oid, "mailbox": sender.address}
        )
        return user, decision

    async def user(self, oid: str) -> UserFacts:
        cached = self._users.get(oid)
        now = self._clock()
        if cached is not None and cached.expires > now:
            return cached.value
        found = await self._graph.get_user(APP, oid)
        groups: frozenset[str] | None
        try:
            groups = await self._graph.check_member_groups(APP, oid, self._policy_groups())
        except (GraphError, GraphTransportError, IdentityError) as error:
            logger.warning("group membership unavailable: %s", type(error).__name__)
            groups = None
        facts = UserFacts(
            oid=found.id,
            upn=(found.user_principal_name or found.mail or oid).lower(),
            display_name=found.display_name or found.user_principal_name or oid,
            has_mailbox=bool(found.mail),
            groups=groups,
        )
        if groups is not None:  # don't pin a failure for the whole TTL
            self._users[oid] = _Cached(facts, now + self._ttl)
        return facts

    async def rights(self, user: UserFacts, sender: SenderConfig) -> Rights:
        if sender.kind in (SenderKind.SELF, SenderKind.NOREPLY):
            return Rights(source=Source.POLICY)
        if self._exchange is None:
            return Rights(source=Source.NOT_ASKED)
        key = (user.oid, sender.address)
        cached = self._rights.get(key)
        now = self._clock()
        if cached is not None and cached.expires > now:
            return cached.value
        try:
            rights = await self._ask_exchange(user, sender.address)
        except (ExchangeError, IdentityError) as error:
            logger.warning("exchange rights unavailable: %s", type(error).__name__)
            return Rights(source=Source.UNAVAILABLE, problem=_problem(error))
        self._rights[key] = _Cached(rights, now + self._ttl)
        return rights

    def forget(self, user_oid: str, mailbox: str) -> None:
        """Drop a cached decision input, e.g. after Graph said ErrorSendAsDenied."""
        self._rights.pop((user_oid, mailbox.lower()), None)

    async def _ask_exchange(self, user: UserFacts, mailbox: str) -> Rights:
        assert self._exchange is not None
        names = _identities(user)
        send_as = await self._exchange.send_as_trustees(mailbox)
        full_access = await self._exchange.full_access_trustees(mailbox)
        on_behalf = await self._exchange.send_on_behalf_trustees(mailbox)
        return Rights(
            send_as=bool(names & send_as),
            full_access=bool(names & full_access),
            send_on_behalf=bool(names & on_behalf),
            source=Source.EXCHANGE,
        )

    async def discoverable(self, user: UserFacts) -> frozenset[str]:
        """Mailboxes Exchange says the user may send as (for ``discover = true``)."""
        if self._exchange is None:
            return frozenset()
        try:
            return await self._exchange.mailboxes_user_can_send_as(user.upn)
        except (ExchangeError, IdentityError) as error:
            logger.warning("discovery unavailable: %s", type(error).__name__)
            return frozenset()

    def _policy_groups(self) -> list[str]:
        groups: list[str] = []
        for sender in self._policy.senders:
            groups += sender.allowed_groups
            if sender.approval.approvers_group:
                groups.append(sender.approval.approvers_group)
        return list(dict.fromkeys(groups))


def _identities(user: UserFacts) -> frozenset[str]:
    """The ways Exchange may name a trustee: UPN, object id, alias, display name."""
    return frozenset(
        n.lower() for n in (user.upn, user.oid, user.upn.split("@", 1)[0], user.display_name) if n
    )


def _problem(error: Exception) -> str:
    if isinstance(error, ExchangeError):
        return f"Exchange answered {error.status or 'nothing'} {error.code}".strip()
    return "Mailroom could not get a token for Exchange"
