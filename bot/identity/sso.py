"""Where the user's token *for Mailroom* (the OAuth connection's token, an on-behalf-of
assertion) comes from, for delegated sends. docs/decisions/0006-delegated-token-model.md.

* ``BotServiceSso``: the Bot Framework token service (``bot.identity.token_service``). The
  Universal Actions flow: Teams re-sends an action with ``authentication.token`` (SSO) —
  exchanged with the token service, ``ExchangeRefused`` when it says no (the card answers 412
  so Teams falls back to sign-in); or with ``state`` (the sign-in page's magic code) —
  redeemed, ``MagicCodeRefused`` when it redeems nothing; otherwise the token the service still
  holds for the user, or None: the user must sign in.
* ``EmulatorSso``: the local tenant emulator mints the token Teams would have handed over.
  Built only by ``mailroom dev`` against an emulator on loopback; ``mailroom serve`` has no
  setting that can turn it on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from bot.errors import ConfigError, MagicCodeRefused
from bot.identity.sign_in_setup import not_set_up
from bot.identity.token_service import TokenServiceClient


@dataclass(frozen=True)
class SignInAttempt:
    """What a card action says about the user's sign-in. Never printed: it holds tokens."""

    user_oid: str
    user_id: str  # the Teams user id (from.id): the token service's key
    channel_id: str
    conversation: dict[str, object]
    sso_token: str | None = None  # authentication.token
    magic_code: str | None = None  # state

    def __repr__(self) -> str:
        return f"SignInAttempt(user_oid={self.user_oid!r})"


class SsoSource(Protocol):
    async def connection_token(self, attempt: SignInAttempt) -> str | None:
        """The user's token for Mailroom, or None when they must sign in first."""
        ...

    async def sign_in_link(self, attempt: SignInAttempt) -> str | None:
        """The link of the login request's sign-in button (the fallback to SSO)."""
        ...

    async def sign_out(self, attempt: SignInAttempt) -> None:
        """Forget the user's token wherever this source keeps one."""
        ...


class BotServiceSso:
    def __init__(self, client: TokenServiceClient | None, exchange_uri: str) -> None:
        self._client = client
        self._exchange_uri = exchange_uri  # api://botid-{app id}

    async def connection_token(self, attempt: SignInAttempt) -> str | None:
        client = self._client
        if client is None:
            return None
        if attempt.sso_token is not None:
            return await client.exchange(
                attempt.user_id, attempt.channel_id, attempt.sso_token, self._exchange_uri
            )
        if attempt.magic_code is not None:
            token = await client.get_token(attempt.user_id, attempt.channel_id, attempt.magic_code)
            if token is None:
                raise MagicCodeRefused
            return token
        return await client.get_token(attempt.user_id, attempt.channel_id)

    async def sign_in_link(self, attempt: SignInAttempt) -> str | None:
        if self._client is None:
            return None
        return (await self._client.sign_in_resource(attempt.conversation)).sign_in_link

    async def sign_out(self, attempt: SignInAttempt) -> None:
        if self._client is not None:
            await self._client.sign_out(attempt.user_id, attempt.channel_id)


class EmulatorSso:
    def __init__(self, http: httpx.AsyncClient, emulator_url: str) -> None:
        host = urlsplit(emulator_url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError(
                "MAILROOM_AUTHORITY_HOST",
                "the development token source works only with an emulator on loopback",
            )
        self._http = http
        self._url = emulator_url.rstrip("/") + "/_emulator/tokens/user"

    async def connection_token(self, attempt: SignInAttempt) -> str | None:
        response = await self._http.post(self._url, json={"user": attempt.user_oid}, timeout=10)
        if response.status_code != 200:
            # The stand-in refuses as Entra would; a setup error is said, not signed in to.
            body = response.json() if response.status_code == 400 else {}
            codes = body.get("error_codes") if isinstance(body, dict) else None
            setup = not_set_up([c for c in codes or () if isinstance(c, int)])
            if setup is not None:
                raise setup
            return None
        token = response.json().get("token")
        return token if isinstance(token, str) else None

    async def sign_in_link(self, attempt: SignInAttempt) -> str | None:
        return None

    async def sign_out(self, attempt: SignInAttempt) -> None:
        """The development source keeps nothing."""
