"""Does this user hold a right Exchange lists? Matched by identity, groups expanded.

Exchange names trustees as it stores them (``bot/exchange/source.py``). A name that is one
of the user's identities — object id, UPN, primary SMTP address — is the user; any other
name is resolved through the rights source to a recipient: a user counts only when its
object id is the user's, a mail-enabled security group counts when Graph says the user is
a member, directly or through nested groups (``checkMemberGroups``). A display name or an
alias never matches on its own: two people can share them.

An explicit Deny wins, whether it names the user or a group the user is in. Resolved names
and group memberships are cached for the policy's TTL; ``fresh`` asks again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.domain.permissions import UserFacts
from bot.exchange.client import bounded
from bot.exchange.source import Recipient, RightsSource, Trustees
from bot.graph.caller import APP
from bot.graph.client import GraphClient

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
_UNRESOLVABLE = ("nt authority\\", "s-1-")  # well-known principals; SIDs of deleted ones


@dataclass(frozen=True)
class Holding:
    held: bool
    via_group: str | None = None  # display name of the group that gives the right


class TrusteeMatcher:
    def __init__(
        self, source: RightsSource, graph: GraphClient, *, ttl: float, clock: Clock = time.monotonic
    ) -> None:
        self._source = source
        self._graph = graph
        self._ttl = ttl
        self._clock = clock
        self._recipients: dict[str, tuple[Recipient | None, float]] = {}
        self._membership: dict[tuple[str, str], tuple[bool, float]] = {}

    async def holding(self, user: UserFacts, trustees: Trustees, *, fresh: bool) -> Holding:
        """Whether ``user`` holds the right ``trustees`` describe. Raises the source's or
        Graph's errors when a name or a membership cannot be looked up (fail closed)."""
        mine = user.identities
        if mine & trustees.denied:
            return Holding(False)
        direct = bool(mine & trustees.allowed)
        if direct and not trustees.denied:
            return Holding(True)
        found = await self._resolve((trustees.allowed | trustees.denied) - mine, fresh=fresh)
        allowed = [found[n] for n in trustees.allowed if found.get(n)]
        denied = [found[n] for n in trustees.denied if found.get(n)]
        me = user.oid.lower()
        groups = [r.object_id for r in (*allowed, *denied) if r and r.is_group and r.object_id]
        member = await self._member_of(user.oid, groups, fresh=fresh) if groups else set()

        def names_me(recipient: Recipient | None) -> bool:
            if recipient is None or recipient.object_id is None:
                return False
            return (
                recipient.object_id in member if recipient.is_group else (recipient.object_id == me)
            )

        if any(names_me(r) for r in denied):
            return Holding(False)
        if direct or any(names_me(r) and not r.is_group for r in allowed if r):
            return Holding(True)
        via = sorted((r.display_name for r in allowed if r and names_me(r)), key=str.lower)
        return Holding(True, via[0]) if via else Holding(False)

    async def _resolve(self, names: Iterable[str], *, fresh: bool) -> dict[str, Recipient | None]:
        now = self._clock()
        found: dict[str, Recipient | None] = {}
        wanted: list[str] = []
        for name in names:
            if name.startswith(_UNRESOLVABLE):
                found[name] = None
                continue
            cached = self._recipients.get(name)
            if cached is not None and cached[1] > now and not fresh:
                found[name] = cached[0]
            else:
                wanted.append(name)
        answers = await bounded(self._source.recipient(n) for n in wanted)
        for name, recipient in zip(wanted, answers, strict=True):
            found[name] = recipient
            self._recipients[name] = (recipient, now + self._ttl)
        return found

    async def _member_of(self, oid: str, groups: Iterable[str], *, fresh: bool) -> set[str]:
        now = self._clock()
        member: set[str] = set()
        unknown: list[str] = []
        for group in groups:
            cached = self._membership.get((oid, group))
            if cached is not None and cached[1] > now and not fresh:
                if cached[0]:
                    member.add(group)
            else:
                unknown.append(group)
        if unknown:
            answer = {g.lower() for g in await self._graph.check_member_groups(APP, oid, unknown)}
            for group in unknown:
                self._membership[(oid, group)] = (group in answer, now + self._ttl)
                if group in answer:
                    member.add(group)
        return member
