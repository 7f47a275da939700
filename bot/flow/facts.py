"""Gathering the facts a permission decision needs, with a short cache.

User facts come from Graph (the user, and membership of the groups the policy names);
rights from the rights source (the Exchange admin API), matched to the user by identity
and through groups (``bot/flow/trustees.py``). Both are cached for the policy's TTL; a
rights entry is dropped when Graph later answers ``ErrorSendAsDenied`` /
``ErrorAccessDenied``. ``fresh=True`` reads nothing from the caches: every fact is asked
again (a request that waited for approval, the queue or a schedule is decided that way
before it goes). When the rights cannot be read they are ``UNAVAILABLE``, which ``decide``
turns into a denial in application mode (fail closed). A sender with ``rights =
"policy"`` asks no rights source.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.domain.approvals import approvers_group
from bot.domain.permissions import Decision, RequestFacts, Rights, Source, UserFacts, decide
from bot.domain.senders import Policy, RightsMode, SenderConfig, SenderKind
from bot.errors import ExchangeError, GraphError, GraphTransportError, IdentityError
from bot.exchange.source import Right, RightsSource
from bot.flow.trustees import Holding, TrusteeMatcher
from bot.graph.caller import APP
from bot.graph.client import GraphClient
from bot.i18n import _

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
_T = TypeVar("_T")
_RIGHTS = ((Right.SEND_AS, "send_as"), (Right.FULL_ACCESS, "full_access"),
           (Right.SEND_ON_BEHALF, "send_on_behalf"))  # fmt: skip


@dataclass(frozen=True)
class _Cached(Generic[_T]):
    value: _T
    expires: float


class FactsService:
    def __init__(
        self,
        graph: GraphClient,
        exchange: RightsSource | None,
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
        self._discovered: dict[str, _Cached[frozenset[str]]] = {}
        self._group_names: dict[str, _Cached[str]] = {}
        self._matcher = (
            TrusteeMatcher(exchange, graph, ttl=self._ttl, clock=clock) if exchange else None
        )

    @property
    def policy(self) -> Policy:
        return self._policy

    async def decide(
        self,
        user_oid: str,
        sender: SenderConfig,
        request: RequestFacts | None = None,
        *,
        fresh: bool = False,
    ) -> tuple[UserFacts, Decision]:
        user = await self.user(user_oid, fresh=fresh)
        return user, await self.decide_for(user, sender, request, fresh=fresh)

    async def decide_for(
        self,
        user: UserFacts,
        sender: SenderConfig,
        request: RequestFacts | None = None,
        *,
        fresh: bool = False,
    ) -> Decision:
        """``decide`` for user facts already read (``fresh``: the rights are read afresh)."""
        rights = await self.rights(user, sender, fresh=fresh)
        names: dict[str, str] = {}
        groups = sender.allowed_groups
        if groups and user.groups is not None and user.groups.isdisjoint(groups):
            names = await self.group_names(groups)  # the denial names them
        decision = decide(user, sender, rights, self._policy, request, group_names=names)
        logger.debug(
            "decision %s%s",
            decision.outcome,
            " (fresh)" if fresh else "",
            extra={"user_oid": user.oid, "mailbox": sender.address},
        )
        return decision

    async def user(self, oid: str, *, fresh: bool = False) -> UserFacts:
        cached = self._users.get(oid)
        now = self._clock()
        if not fresh and cached is not None and cached.expires > now:
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
            mail=found.mail.lower() if found.mail else None,
        )
        if groups is not None:  # don't pin a failure for the whole TTL
            self._users[oid] = _Cached(facts, now + self._ttl)
        return facts

    async def rights(self, user: UserFacts, sender: SenderConfig, *, fresh: bool = False) -> Rights:
        if sender.kind in (SenderKind.SELF, SenderKind.NOREPLY):
            return Rights(source=Source.POLICY)
        if sender.rights is RightsMode.POLICY:
            return Rights(source=Source.POLICY_RIGHTS)
        source, matcher = self._exchange, self._matcher
        if source is None or matcher is None:
            return Rights(source=Source.NOT_ASKED)
        key = (user.oid, sender.address)
        cached = self._rights.get(key)
        now = self._clock()
        if not fresh and cached is not None and cached.expires > now:
            return cached.value
        try:
            rights = await _ask(source, matcher, user, sender.address, fresh=fresh)
        except (ExchangeError, IdentityError, GraphError, GraphTransportError) as error:
            logger.warning("exchange rights unavailable: %s", type(error).__name__)
            refused = isinstance(error, ExchangeError) and error.status in (401, 403)
            return Rights(source=Source.UNAVAILABLE, problem=_problem(error), app_refused=refused)
        self._rights[key] = _Cached(rights, now + self._ttl)
        return rights

    async def group_names(self, group_ids: Iterable[str]) -> dict[str, str]:
        """Display names by (lower-case) group id, cached for the policy's TTL. A group Graph
        can't name right now is left out: explanations then show its id."""
        names: dict[str, str] = {}
        now = self._clock()
        for group_id in dict.fromkeys(g.lower() for g in group_ids):
            cached = self._group_names.get(group_id)
            if cached is not None and cached.expires > now:
                names[group_id] = cached.value
                continue
            try:
                found = await self._graph.get_group(APP, group_id)
            except (GraphError, GraphTransportError, IdentityError) as error:
                logger.warning("group name unavailable: %s", type(error).__name__)
                continue
            if found.display_name:
                names[group_id] = found.display_name
                self._group_names[group_id] = _Cached(found.display_name, now + self._ttl)
        return names

    def forget(self, user_oid: str, mailbox: str) -> None:
        """Drop a cached decision input, e.g. after Graph said ErrorSendAsDenied."""
        self._rights.pop((user_oid, mailbox.lower()), None)

    async def discoverable(self, user: UserFacts, *, fresh: bool = False) -> frozenset[str]:
        """Mailboxes Exchange says the user may send as (for ``discover = true``)."""
        if self._exchange is None:
            return frozenset()
        cached = self._discovered.get(user.oid)
        now = self._clock()
        if not fresh and cached is not None and cached.expires > now:
            return cached.value
        try:
            found = await self._exchange.mailboxes_user_can_send_as(user.upn)
        except (ExchangeError, IdentityError) as error:
            logger.warning("discovery unavailable: %s", type(error).__name__)
            return frozenset()
        self._discovered[user.oid] = _Cached(found, now + self._ttl)
        return found

    def _policy_groups(self) -> list[str]:
        groups: list[str] = []
        for sender in self._policy.senders:
            groups += sender.allowed_groups
            group = approvers_group(sender)
            if group:
                groups.append(group)
        return list(dict.fromkeys(groups))


async def _ask(
    source: RightsSource, matcher: TrusteeMatcher, user: UserFacts, mailbox: str, *, fresh: bool
) -> Rights:
    held: dict[str, Holding] = {}
    for right, name in _RIGHTS:
        held[name] = await matcher.holding(user, await source.trustees(mailbox, right), fresh=fresh)
    return Rights(
        send_as=held["send_as"].held,
        full_access=held["full_access"].held,
        send_on_behalf=held["send_on_behalf"].held,
        source=Source.EXCHANGE,
        via=tuple((n, h.via_group) for n, h in held.items() if h.held and h.via_group),
    )


def _problem(error: Exception) -> str:
    """Why the rights are unknown, for the explanation the user reads."""
    if isinstance(error, ExchangeError) and error.status:
        return _("Exchange answered {status} {code}", status=error.status, code=error.code).strip()
    if isinstance(error, ExchangeError):
        return _("Exchange answered nothing {code}", code=error.code).strip()
    if isinstance(error, (GraphError, GraphTransportError)):
        return _("Microsoft Graph could not tell which groups you are in")
    return _("Mailroom could not get a token for Exchange")
