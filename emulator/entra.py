"""Entra ID (v2.0 endpoints): OpenID metadata, JWKS and the token endpoint.

Grants: ``client_credentials`` (scope ``<resource>/.default``), on-behalf-of
(``urn:ietf:params:oauth:grant-type:jwt-bearer`` + ``requested_token_use=on_behalf_of``, the
assertion being a user token this emulator issued for the calling app) and ``refresh_token``
(for refresh tokens issued with an on-behalf-of answer; refused with AADSTS50173 once the
user's sessions were revoked). Errors carry the AADSTS body.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from aiohttp import web

from emulator.appkeys import CTX, STATE
from emulator.envelopes import aad_error_body
from emulator.seed import AppRegistration
from emulator.state import EmulatorState
from emulator.tokens import (
    BOT_FRAMEWORK_RESOURCE,
    EXCHANGE_RESOURCE,
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
    TokenRejected,
)

OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
SIGN_IN_PERMISSION = "User.Read"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

_RESOURCE_ALIASES = {
    GRAPH_RESOURCE: GRAPH_RESOURCE,
    GRAPH_RESOURCE + "/": GRAPH_RESOURCE,
    GRAPH_APP_ID: GRAPH_RESOURCE,
    EXCHANGE_RESOURCE: EXCHANGE_RESOURCE,
    EXCHANGE_RESOURCE + "/": EXCHANGE_RESOURCE,
    "https://outlook.office.com": EXCHANGE_RESOURCE,
    BOT_FRAMEWORK_RESOURCE: BOT_FRAMEWORK_RESOURCE,
    BOT_FRAMEWORK_RESOURCE + "/": BOT_FRAMEWORK_RESOURCE,
}


class AadError(Exception):
    def __init__(
        self, status: int, error: str, code: int, description: str, suberror: str | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.code = code
        self.description = description
        self.suberror = suberror


def _state(request: web.Request) -> EmulatorState:
    return request.app[STATE]


def _check_tenant(state: EmulatorState, tenant: str) -> None:
    if tenant.lower() not in (state.tenant.id, state.tenant.domain):
        raise AadError(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
            "and are signing into the correct cloud.",
        )


def _aad_response(request: web.Request, exc: AadError) -> web.Response:
    correlation = request.headers.get("client-request-id") or str(uuid.uuid4())
    body = aad_error_body(
        exc.error,
        exc.code,
        exc.description,
        trace_id=request[CTX].request_id,
        correlation_id=correlation,
        suberror=exc.suberror,
    )
    return web.json_response(body, status=exc.status)


def openid_configuration(state: EmulatorState) -> dict[str, Any]:
    base = f"{state.base_url}/{state.tenant.id}"
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": state.tokens.issuer,  # Entra's name for the tenant, whatever host was asked
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{state.base_url}/oidc/userinfo",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "nbf",
            "name",
            "oid",
            "tid",
            "upn",
            "preferred_username",
            "roles",
            "scp",
        ],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "msgraph_host": "graph.microsoft.com",
    }


async def handle_openid_configuration(request: web.Request) -> web.Response:
    state = _state(request)
    try:
        _check_tenant(state, request.match_info["tenant"])
    except AadError as exc:
        return _aad_response(request, exc)
    return web.json_response(openid_configuration(state))


async def handle_keys(request: web.Request) -> web.Response:
    state = _state(request)
    try:
        _check_tenant(state, request.match_info["tenant"])
    except AadError as exc:
        return _aad_response(request, exc)
    return web.json_response(state.tokens.jwks())


async def handle_authorize(request: web.Request) -> web.Response:
    exc = AadError(
        400,
        "unsupported_response_type",
        70000,
        "The emulator has no interactive sign-in; use a Teams SSO token from "
        "/_emulator/tokens/user and the on-behalf-of grant.",
    )
    return _aad_response(request, exc)


def _resource_and_permission(scope: str) -> tuple[str, str]:
    """``https://graph.microsoft.com/Mail.Send`` → (graph, Mail.Send); bare names are Graph's."""
    if scope.startswith(("https://", "api://")) or (scope.count("-") == 4 and "/" in scope):
        head, _, perm = scope.rpartition("/")
        return head, perm
    return GRAPH_RESOURCE, scope


def _canonical_resource(state: EmulatorState, raw: str) -> str:
    resource = _RESOURCE_ALIASES.get(raw.lower().rstrip("/")) or _RESOURCE_ALIASES.get(raw)
    if resource is not None:
        return resource
    for app in state.tenant.apps:
        # An app is a resource by its client id or an Application ID URI it set (Expose an API).
        if raw.lower() in (app.client_id, *(uri.lower() for uri in app.identifier_uris)):
            return app.client_id
    raise AadError(
        400,
        "invalid_resource",
        500011,
        f"The resource principal named {raw} was not found in the tenant named "
        f"{state.tenant.display_name}. This can happen if the application has not been "
        "installed by the administrator of the tenant or consented to by any user in the tenant.",
    )


def _authenticate_client(
    state: EmulatorState, request: web.Request, form: dict[str, str]
) -> AppRegistration:
    client_id = form.get("client_id", "")
    secret = form.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        basic_id, _, basic_secret = decoded.partition(":")
        client_id = client_id or basic_id
        secret = secret or basic_secret
    request[CTX].app_id = client_id
    app = state.tenant.app(client_id) if client_id else None
    if app is None:
        raise AadError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{state.tenant.display_name}'. This can happen if the application has not been "
            "installed by the administrator of the tenant or consented to by any user in the "
            "tenant.",
        )
    if form.get("client_assertion"):
        raise AadError(
            401,
            "invalid_client",
            700027,
            "Client assertion failed signature validation (the emulator accepts secrets only).",
        )
    if not secret:
        raise AadError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        )
    if secret != app.secret:
        raise AadError(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app "
            f"'{app.client_id}'.",
        )
    return app


def _client_credentials(state: EmulatorState, app: AppRegistration, scope: str) -> dict[str, Any]:
    scopes = scope.split()
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        raise AadError(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).",
        )
    resource = _canonical_resource(state, scopes[0].removesuffix("/.default"))
    token, life = state.tokens.app_token(app, resource)
    return {
        "token_type": "Bearer",
        "expires_in": life,
        "ext_expires_in": life,
        "access_token": token,
    }


def _consent_required(app: AppRegistration, missing: list[str]) -> AadError:
    return AadError(
        400,
        "invalid_grant",
        65001,
        f"The user or administrator has not consented to use the application with ID "
        f"'{app.client_id}' named '{app.display_name}'. Send an interactive "
        f"authorization request for this user and resource. Missing: {' '.join(missing)}.",
        suberror="consent_required",
    )


def _delegated_grant(
    state: EmulatorState, app: AppRegistration, scope: str
) -> tuple[str, list[str], set[str]]:
    """The resource, the granted permissions and the OIDC scopes asked for."""
    requested = scope.split()
    oidc = {s for s in requested if s in OIDC_SCOPES}
    resources: set[str] = set()
    permissions: list[str] = []
    for item in requested:
        if item in OIDC_SCOPES:
            continue
        head, perm = _resource_and_permission(item)
        resources.add(_canonical_resource(state, head))
        permissions.append(perm)
    if len(resources) > 1:
        raise AadError(
            400,
            "invalid_scope",
            28000,
            f"Provided value for the input parameter scope is not valid because it contains "
            f"more than one resource. Scope {scope} is not valid.",
        )
    resource = resources.pop() if resources else GRAPH_RESOURCE
    # openid, profile, offline_access are Graph delegated permissions too: msal asks for them
    # every time, and a tenant that has not consented them refuses the request.
    unconsented = sorted(s for s in oidc if s not in app.delegated_permissions)
    # A delegated Graph token is a sign-in to the app, which User.Read ("allows users to sign
    # in to the app", learn.microsoft.com/graph/permissions-reference#userread) grants; Teams
    # SSO's registration asks for it (bot-sso-register-aad). Not confirmed that Entra refuses a
    # `.default` exchange without it: the stricter reading (docs/platform.md).
    if resource == GRAPH_RESOURCE and SIGN_IN_PERMISSION not in app.delegated_permissions:
        unconsented.append(SIGN_IN_PERMISSION)
    if unconsented:
        raise _consent_required(app, unconsented)
    if not permissions or ".default" in permissions:
        granted = sorted(app.delegated_permissions - OIDC_SCOPES)  # sign-in scopes, no permission
    else:
        missing = [p for p in permissions if p not in app.delegated_permissions]
        if missing:
            raise _consent_required(app, missing)
        granted = sorted(set(permissions))
    return resource, granted, oidc


def _user_answer(
    state: EmulatorState,
    request: web.Request,
    form: dict[str, str],
    app: AppRegistration,
    user_id: str,
) -> dict[str, Any]:
    user = state.tenant.account(user_id)
    if user is None:
        raise AadError(400, "invalid_grant", 50034, "The user account does not exist.")
    request[CTX].subject = user.upn
    resource, granted, oidc = _delegated_grant(state, app, form.get("scope", ""))
    token, life = state.tokens.delegated_token(user, app, resource, granted)
    # The granted permissions, resource-qualified as Entra's v2 docs show them; a ".default"
    # request is echoed as well so msal's cache matches the same request later.
    scope_names = [f"{resource}/{p}" for p in granted]
    if ".default" in form.get("scope", ""):
        scope_names.append(f"{resource}/.default")
    answer: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": " ".join(scope_names),
        "expires_in": life,
        "ext_expires_in": life,
        "access_token": token,
    }
    if "offline_access" in oidc:
        answer["refresh_token"] = state.tokens.refresh_token(user, app, form.get("scope", ""))
    if "openid" in oidc:
        answer["id_token"] = state.tokens.id_token(user, app)
    if form.get("client_info") == "1":
        answer["client_info"] = state.tokens.client_info(user)
    return answer


def _on_behalf_of(
    state: EmulatorState, request: web.Request, form: dict[str, str], app: AppRegistration
) -> dict[str, Any]:
    if form.get("requested_token_use") != "on_behalf_of":
        raise AadError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'requested_token_use'.",
        )
    assertion = form.get("assertion", "")
    audiences = [app.client_id, *app.identifier_uris]
    try:
        claims = state.tokens.decode(assertion, audiences)
    except TokenRejected as exc:
        expired = "expired" in exc.reason or "not yet valid" in exc.reason
        raise AadError(
            400,
            "invalid_grant",
            500133 if expired else 50013,
            "Assertion is not within its valid time range."
            if expired
            else f"Assertion failed signature validation. {exc.reason}",
        ) from exc
    if claims.get("idtyp") == "app" or "oid" not in claims or "scp" not in claims:
        raise AadError(
            400, "invalid_grant", 50013, "The assertion is not a user token (no scp/oid)."
        )
    return _user_answer(state, request, form, app, str(claims["oid"]))


def _refresh(
    state: EmulatorState, request: web.Request, form: dict[str, str], app: AppRegistration
) -> dict[str, Any]:
    try:
        claims = state.tokens.decode(form.get("refresh_token", ""), [state.tokens.issuer])
    except TokenRejected as exc:
        raise AadError(
            400, "invalid_grant", 700082, "The refresh token has expired or is invalid."
        ) from exc
    if claims.get("typ") != "refresh" or claims.get("appid") != app.client_id:
        raise AadError(
            400, "invalid_grant", 70000, "The refresh token was issued to a different client."
        )
    if claims.get("gen", 0) != state.tokens.session_generations.get(str(claims["oid"]), 0):
        raise AadError(  # learn.microsoft.com/entra/identity-platform/reference-error-codes
            400,
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is "
            "needed. The user might have changed or reset their password.",
            suberror="bad_token",
        )
    return _user_answer(state, request, form, app, str(claims["oid"]))


async def _token_answer(state: EmulatorState, request: web.Request) -> dict[str, Any]:
    _check_tenant(state, request.match_info["tenant"])
    posted = await request.post()
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    grant = form.get("grant_type", "")
    request[CTX].grant_type = grant
    app = _authenticate_client(state, request, form)
    if grant == "client_credentials":
        return _client_credentials(state, app, form.get("scope", ""))
    if grant == JWT_BEARER:
        return _on_behalf_of(state, request, form, app)
    if grant == "refresh_token":
        return _refresh(state, request, form, app)
    raise AadError(
        400,
        "unsupported_grant_type",
        70003,
        f"The app requested an unsupported grant type '{grant}'.",
    )


async def handle_token(request: web.Request) -> web.Response:
    try:
        answer = await _token_answer(_state(request), request)
    except AadError as exc:
        return _aad_response(request, exc)
    return web.json_response(answer, headers={"Cache-Control": "no-store, no-cache"})
