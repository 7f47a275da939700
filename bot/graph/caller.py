"""On whose token a Graph call is made."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AsApp:
    """The app itself (client credentials; application permissions)."""


@dataclass(frozen=True)
class AsUser:
    """A signed-in Teams user (on-behalf-of their SSO token; delegated permissions).

    ``mailbox`` is the user's own address when known; ``/me`` calls then share the per-mailbox
    limiter with ``/users/{address}`` calls. Without it they are limited under the object id.
    """

    oid: str
    sso_token: str | None = field(default=None, repr=False)
    mailbox: str | None = None

    @property
    def own_mailbox_key(self) -> str:
        return self.mailbox or self.oid


APP = AsApp()

Caller = AsApp | AsUser
