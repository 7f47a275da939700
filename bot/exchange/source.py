"""The rights source: the one seam through which Mailroom learns who holds which right.

``RightsSource`` is what the permission facts (``bot/flow/facts.py``) ask; the Exchange
admin API client implements it (``bot/exchange/client.py``), tests inject fakes. A sender
configured with ``rights = "policy"`` asks no rights source at all: Mailroom's policy
groups decide (docs/policy.md).

Exchange names trustees as it stores them: a UPN for a user, a recipient ``Name`` for a
group (or for an older delegate), sometimes an object id. A source returns those names
untouched; matching them to a person is the caller's job, by identity only — object id,
UPN or primary SMTP address, never a display name — resolving the rest with ``recipient``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Right(StrEnum):
    SEND_AS = "Send As"
    FULL_ACCESS = "Full Access"
    SEND_ON_BEHALF = "Send on Behalf"


@dataclass(frozen=True)
class Trustees:
    """Who holds a right on a mailbox, as Exchange names them (lower-cased). A ``denied``
    entry (an explicit Deny) wins over any ``allowed`` one, however it is reached."""

    allowed: frozenset[str] = frozenset()
    denied: frozenset[str] = frozenset()

    @property
    def granted(self) -> frozenset[str]:
        return self.allowed - self.denied


@dataclass(frozen=True)
class Recipient:
    """A recipient Exchange resolved from a name: who it is, by identity."""

    name: str
    object_id: str | None  # ExternalDirectoryObjectId: the Entra object id
    primary_smtp: str | None
    display_name: str
    is_group: bool


class RightsSource(Protocol):
    async def trustees(self, mailbox: str, right: Right) -> Trustees:
        """Who holds ``right`` on ``mailbox``. Raises ``ExchangeError`` / ``IdentityError``
        when it cannot tell (the caller fails closed)."""
        ...

    async def recipient(self, name: str) -> Recipient | None:
        """The recipient a trustee name stands for; ``None`` when nobody answers to it
        (a deleted trustee, say). Ambiguity raises ``ExchangeError``."""
        ...

    async def mailboxes_user_can_send_as(self, user: str) -> frozenset[str]:
        """Primary SMTP addresses (lower-cased) of the mailboxes on which ``user`` holds
        Send As directly (for ``discover = true``)."""
        ...
