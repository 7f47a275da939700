"""``TokenProvider`` on msal: the only module of Mailroom that imports msal.

* One ``ConfidentialClientApplication`` for the authority ``{authority_host}/{tenant_id}``,
  created on first use (creating it fetches the OpenID metadata) and kept for the process;
  its in-memory cache holds the app-only tokens.
* A user's tokens live in that user's own ``SerializableTokenCache``, loaded from
  ``UserCaches`` (``bot.identity.token_cache``: the store, encrypted, shared by replicas)
  for each request with a short-lived application around it (the OpenID metadata comes
  from a shared ``http_cache``), and saved back when msal changed it. When Entra refuses to
  refresh, the user's entry is dropped.
* msal is synchronous: every call runs in a worker thread (``asyncio.to_thread``).
* msal's answers are dicts; an ``error`` dict becomes ``TokenAcquisitionError`` (or
  ``ConsentRequired``) right here, and so do msal's and httpx's exceptions.
* Concurrent requests for the same token wait for one another (single flight), so a burst of
  sends on a cold cache makes one token request, not twenty.
* Nothing secret is logged: not the client secret, not the user's assertion, not a token.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msal
from msal.exceptions import MsalError

from bot.errors import ConsentRequired, TokenAcquisitionError
from bot.identity.msal_http import MsalHttpClient
from bot.identity.provider import default_scope
from bot.identity.token_cache import MemoryCaches, UserCaches
from bot.metrics import Metrics
from bot.netclient import Timeouts

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Entra answers that mean "the user must sign in again or consent", not "the app is broken".
_CONSENT_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required"})
_OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


class MsalTokenProvider:
    """App-only and on-behalf-of tokens from Entra ID through msal."""

    def __init__(
        self,
        authority_host: str,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        ca_bundle: Path | None,
        *,
        timeouts: Timeouts | None = None,
        user_caches: UserCaches | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        host = authority_host.rstrip("/")
        if not host.startswith("https://"):
            raise ValueError("the authority host must be an https:// URL (msal requires it)")
        self._authority = f"{host}/{tenant_id}"
        self._client_id = client_id
        self._secret = client_secret
        self._timeouts = timeouts or Timeouts()
        self._metrics = metrics or Metrics()
        self._http = MsalHttpClient(ca_bundle, self._timeouts)
        self._app: msal.ConfidentialClientApplication | None = None
        self._app_lock = asyncio.Lock()
        self._flights: dict[tuple[str, ...], _CountedLock] = {}
        self._caches: UserCaches = user_caches if user_caches is not None else MemoryCaches()
        self._http_cache: dict[Any, Any] = {}  # msal's: OpenID metadata for every application

    def __repr__(self) -> str:
        return f"MsalTokenProvider(authority={self._authority!r}, client_id={self._client_id!r})"

    @property
    def authority(self) -> str:
        return self._authority

    async def app_token(self, resource: str) -> str:
        scopes = [default_scope(resource)]
        async with self._single_flight(("app", scopes[0])):
            app = await self._application()
            result = await self._in_thread(app.acquire_token_for_client, scopes)
        token = _token_or_raise(result, what=f"app token for {resource}")
        # msal answers from its cache when it can and says which (``token_source``).
        self._metrics.token("app", cached=result.get("token_source") == "cache")
        return token

    async def user_token(self, user_oid: str, sso_token: str | None, resource: str) -> str:
        if not user_oid:
            raise ValueError("user_oid is required")
        scope = default_scope(resource)
        async with self._single_flight(("user", user_oid, scope)):
            entry = _UserEntry.parse(await self._caches.load(user_oid))
            app = await self._in_thread(self._user_application, entry.cache)
            granted = entry.granted.get(scope)
            if granted is not None:
                cached = await self._in_thread(_silent_for_user, app, user_oid, granted)
                if cached is not None and "access_token" in cached:
                    token = _token_or_raise(cached, what=f"cached user token for {resource}")
                    await self._save(user_oid, entry)
                    self._metrics.token("user", cached=cached.get("token_source") == "cache")
                    return token
                if cached is not None:  # Entra refused the refresh: forget what no longer works
                    await self._caches.drop(user_oid)
                    entry = _UserEntry.parse(None)
                    app = await self._in_thread(self._user_application, entry.cache)
                    if sso_token is None:
                        raise _error_from(cached, what=f"refreshed user token for {resource}")
            if sso_token is None:
                raise ConsentRequired(
                    "interaction_required",
                    "no cached token for this user and no SSO token to exchange",
                )
            result = await self._in_thread(app.acquire_token_on_behalf_of, sso_token, [scope])
            token = _token_or_raise(result, what=f"on-behalf-of token for {resource}")
            _check_same_user(result, user_oid)
            # msal files a user's access token under the scopes Entra *granted* (``Mail.Send
            # User.Read ...``), not under the ``/.default`` asked for, so a silent lookup must
            # name the granted scopes to hit its cache.
            entry.granted[scope] = _granted_scopes(result, scope)
            entry.changed = True
            await self._save(user_oid, entry)
        self._metrics.token("user", cached=False)
        return token

    async def forget_user(self, user_oid: str) -> None:
        """Drop every token of the user (sign-out)."""
        await self._caches.drop(user_oid)

    async def _save(self, user_oid: str, entry: _UserEntry) -> None:
        if entry.changed or entry.cache.has_state_changed:
            await self._caches.save(user_oid, entry.serialise())

    def close(self) -> None:
        """Release msal's connection pool (the cache goes with the object)."""
        self._http.close()

    # --- internals ---------------------------------------------------------------------

    async def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is not None:
            return self._app
        async with self._app_lock:
            if self._app is None:
                self._app = await self._in_thread(self._create_application)
            return self._app

    def _create_application(self) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            self._client_id,
            client_credential=self._secret,
            authority=self._authority,
            http_client=self._http,
            instance_discovery=False,
            http_cache=self._http_cache,
        )

    def _user_application(
        self, cache: msal.SerializableTokenCache
    ) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            self._client_id,
            client_credential=self._secret,
            authority=self._authority,
            http_client=self._http,
            instance_discovery=False,
            http_cache=self._http_cache,
            token_cache=cache,
        )

    async def _in_thread(self, func: Callable[..., T], *args: Any) -> T:
        """Run one msal call in a worker thread, bounded by the total timeout, translating
        msal's and the transport's exceptions at this one boundary."""
        try:
            async with asyncio.timeout(self._timeouts.total):
                return await asyncio.to_thread(func, *args)
        except TimeoutError as exc:
            raise TokenAcquisitionError(
                "timeout", f"Entra ID did not answer within {self._timeouts.total:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise TokenAcquisitionError(
                "authority_unreachable", f"{type(exc).__name__}: {exc}"
            ) from exc
        except MsalError as exc:  # 5xx from the token endpoint
            raise TokenAcquisitionError("service_error", str(exc)) from exc
        except (ValueError, RuntimeError) as exc:  # OpenID discovery failed or bad JSON
            raise TokenAcquisitionError("authority_error", str(exc)) from exc

    def _single_flight(self, key: tuple[str, ...]) -> _Flight:
        return _Flight(self._flights, key)


class _Flight:
    """An ``async with`` lock per key that is forgotten once nobody holds or awaits it."""

    def __init__(self, locks: dict[tuple[str, ...], _CountedLock], key: tuple[str, ...]) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        entry = self._locks.get(self._key)
        if entry is None:
            entry = self._locks[self._key] = _CountedLock()
        entry.users += 1
        try:
            await entry.lock.acquire()
        except BaseException:
            self._leave(entry)
            raise

    async def __aexit__(self, *_exc: object) -> None:
        entry = self._locks[self._key]
        entry.lock.release()
        self._leave(entry)

    def _leave(self, entry: _CountedLock) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._locks[self._key]


class _CountedLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class _UserEntry:
    """One user's stored entry: msal's serialised cache and the scopes Entra granted per
    requested scope."""

    def __init__(self, cache: msal.SerializableTokenCache, granted: dict[str, list[str]]) -> None:
        self.cache = cache
        self.granted = granted
        self.changed = False

    @classmethod
    def parse(cls, stored: str | None) -> _UserEntry:
        cache = msal.SerializableTokenCache()
        granted: dict[str, list[str]] = {}
        if stored:
            try:
                data = json.loads(stored)
                cache.deserialize(data["msal"])
                granted = {str(k): [str(s) for s in v] for k, v in data["granted"].items()}
            except (ValueError, KeyError, TypeError, AttributeError):
                logger.warning("a stored token cache could not be read; starting afresh")
                cache = msal.SerializableTokenCache()
                granted = {}
        return cls(cache, granted)

    def serialise(self) -> str:
        return json.dumps({"msal": self.cache.serialize(), "granted": self.granted})


def _silent_for_user(
    app: msal.ConfidentialClientApplication, user_oid: str, scopes: list[str]
) -> dict[str, Any] | None:
    """The cached (or silently refreshed) token of exactly this user; msal's error when Entra
    refused the refresh; None when msal has nothing for the user."""
    for account in app.get_accounts():
        if account.get("local_account_id") == user_oid:
            result: dict[str, Any] | None = app.acquire_token_silent_with_error(
                scopes, account=account
            )
            return result
    return None


def _granted_scopes(result: Mapping[str, Any], requested: str) -> list[str]:
    granted = [s for s in str(result.get("scope") or "").split() if s.lower() not in _OIDC_SCOPES]
    return granted or [requested]


def _token_or_raise(result: Mapping[str, Any] | None, *, what: str) -> str:
    if result and isinstance(result.get("access_token"), str) and result["access_token"]:
        token: str = result["access_token"]
        logger.debug("%s from %s", what, result.get("token_source", "identity_provider"))
        return token
    raise _error_from(result or {}, what=what)


def _error_from(result: Mapping[str, Any], *, what: str) -> TokenAcquisitionError:
    error = str(result.get("error") or "no_token")
    description = str(result.get("error_description") or "")
    correlation_id = result.get("correlation_id")
    suberror = result.get("suberror")
    logger.warning(
        "Entra ID refused %s: %s (codes %s, correlation id %s)",
        what,
        error,
        result.get("error_codes"),
        correlation_id,
    )
    cls = (
        ConsentRequired
        if error in _CONSENT_ERRORS or suberror in _CONSENT_ERRORS
        else TokenAcquisitionError
    )
    codes = tuple(c for c in result.get("error_codes") or () if isinstance(c, int))
    return cls(error, description, correlation_id=correlation_id, codes=codes)


def _check_same_user(result: Mapping[str, Any], user_oid: str) -> None:
    """An on-behalf-of answer must be for the user we asked for: a Teams SSO token of user B
    presented under user A's id must not hand B's token to A. (msal files the token under B's
    account, where only B's requests find it.)"""
    claims = result.get("id_token_claims") or {}
    oid = claims.get("oid")
    if oid is not None and oid != user_oid:
        raise TokenAcquisitionError(
            "user_mismatch", "the SSO token belongs to a different user than the one asking"
        )
