"""What the rest of Mailroom needs from identity: a bearer token for a resource, either the
app's own (client credentials) or a user's (on-behalf-of their Teams SSO token)."""

from __future__ import annotations

from typing import Protocol

GRAPH_RESOURCE = "https://graph.microsoft.com"
EXCHANGE_RESOURCE = "https://outlook.office365.com"


def default_scope(resource: str) -> str:
    """``https://graph.microsoft.com`` → ``https://graph.microsoft.com/.default``."""
    if resource.endswith("/.default"):
        return resource
    return resource.rstrip("/") + "/.default"


class TokenProvider(Protocol):
    """Bearer tokens for Microsoft resources. Raises ``TokenAcquisitionError`` (or its
    subclass ``ConsentRequired``) when Entra ID refuses; never returns an empty token."""

    async def app_token(self, resource: str) -> str:
        """An app-only token for ``resource`` (e.g. ``GRAPH_RESOURCE``)."""
        ...

    async def user_token(self, user_oid: str, sso_token: str | None, resource: str) -> str:
        """A delegated token for the user with Entra object id ``user_oid``.

        A cached token of that user is reused; otherwise ``sso_token`` (the user's Teams SSO
        token) is exchanged on-behalf-of. Without a cached token and without ``sso_token``
        this raises ``ConsentRequired``. A token is never handed to another user.
        """
        ...

    async def forget_user(self, user_oid: str) -> None:
        """Drop every cached token of the user (sign-out)."""
        ...
