"""Teams single sign-on as Entra and the Bot Framework token service hand it out.

* ``teams_token``: what a Teams client (desktop/mobile or web) gets silently for the bot — only
  when the bot's app registration has the Application ID URI ``api://botid-{app id}`` (the
  resource Teams asks for, from the app package), exposes ``access_as_user`` and pre-authorises
  that Teams client; otherwise Teams would have to show a consent prompt, which here is the
  AADSTS error Entra gives.
* ``connection_token``: what the Azure Bot's OAuth connection hands the bot after the token
  exchange: a token for the connection's scopes. ``api://botid-{id}/access_as_user`` gives a token
  for the bot itself (a valid on-behalf-of assertion); Graph scopes give a Graph token.

Sources: learn.microsoft.com/microsoftteams/platform/bots/how-to/authentication/
bot-sso-register-aad and bot-sso-code; learn.microsoft.com/entra/identity-platform/
v2-oauth2-on-behalf-of-flow.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.seed import Account, AppRegistration
from emulator.state import EmulatorState
from emulator.tokens import GRAPH_RESOURCE, TEAMS_DESKTOP_CLIENT_ID

SSO_SCOPE = "access_as_user"


@dataclass(frozen=True)
class SsoRefused(Exception):
    """Entra would not issue the token: an AADSTS error."""

    error: str
    code: int
    description: str
    suberror: str | None = None


def _resource_uri(app: AppRegistration) -> str:
    return f"api://botid-{app.client_id}"


def _check_exposed(app: AppRegistration) -> None:
    if _resource_uri(app) not in app.identifier_uris:
        raise SsoRefused(
            "invalid_resource",
            500011,
            f"The resource principal named {_resource_uri(app)} was not found in the tenant.",
        )
    if SSO_SCOPE not in app.exposed_scopes:
        raise SsoRefused(
            "invalid_scope",
            65005,
            f"The application '{app.display_name}' asked for scope '{SSO_SCOPE}' that doesn't "
            "exist on the resource.",
        )


def teams_token(state: EmulatorState, user: Account, client: str = TEAMS_DESKTOP_CLIENT_ID) -> str:
    app = state.tenant.bot_app
    _check_exposed(app)
    if client not in app.pre_authorized_clients:
        raise SsoRefused(
            "invalid_grant",
            65001,
            f"The user or administrator has not consented to use the application with ID "
            f"'{client}' for '{app.display_name}': the client is not pre-authorised.",
            suberror="consent_required",
        )
    return state.tokens.teams_sso_token(user, app.client_id, client)


def connection_token(state: EmulatorState, user: Account) -> str:
    app = state.tenant.bot_app
    scopes = app.oauth_connection_scopes
    if not scopes:
        raise SsoRefused("invalid_request", 90014, "The OAuth connection has no scopes.")
    own = [s.removeprefix(_resource_uri(app) + "/") for s in scopes if s.startswith("api://")]
    if own:
        _check_exposed(app)
        if own != [SSO_SCOPE] or len(own) != len(scopes):
            raise SsoRefused(
                "invalid_scope", 70011, f"The provided scopes {' '.join(scopes)} are not valid."
            )
        return state.tokens.delegated_token(user, app, app.client_id, [SSO_SCOPE])[0]
    missing = [s for s in scopes if s not in app.delegated_permissions]
    if missing:
        raise SsoRefused(
            "invalid_grant",
            65001,
            f"The user or administrator has not consented to {' '.join(missing)}.",
            suberror="consent_required",
        )
    return state.tokens.delegated_token(user, app, GRAPH_RESOURCE, scopes)[0]
