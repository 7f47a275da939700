"""Universal Actions (``adaptiveCard/action``) in and out.

In: the invoke's ``value`` is untrusted; it is parsed into ``InvokeAction`` (verb plus a
flat dict of strings) or answered with a 400 error response. Out: a card, a message, or
an error, in the shape Teams wants (docs/platform.md, "Teams").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from microsoft_agents.activity import InvokeResponse

from bot.i18n import _, format_number

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
ERROR_TYPE = "application/vnd.microsoft.error"

MAX_VERB_LENGTH = 64
MAX_DATA_KEYS = 200
MAX_VALUE_LENGTH = 100_000


LOGIN_TYPE = "application/vnd.microsoft.activity.loginRequest"
PRECONDITION_TYPE = "application/vnd.microsoft.error.preconditionFailed"
INVALID_AUTH_CODE_TYPE = "application/vnd.microsoft.error.invalidAuthCode"
MAX_MAGIC_CODE_LENGTH = 100


@dataclass(frozen=True)
class InvokeAction:
    """A parsed ``Action.Execute``: the verb and the merged inputs + data, as strings, and
    what Teams adds when it re-sends the action after a login request: the SSO token
    (``authentication.token``) or the sign-in page's magic code (``state``)."""

    verb: str
    data: dict[str, str]
    sso_token: str | None = field(default=None, repr=False)
    magic_code: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CardResult:
    card: dict[str, Any]


@dataclass(frozen=True)
class MessageResult:
    text: str


@dataclass(frozen=True)
class LoginResult:
    """Ask Teams to sign the user in (SSO through ``tokenExchangeResource``, or the sign-in
    link as a fallback) and re-send the same action with the token."""

    connection_name: str
    resource_uri: str  # api://botid-{appId}
    sign_in_url: str | None = None


@dataclass(frozen=True)
class ErrorResult:
    status: int
    code: str
    message: str


InvokeResult = CardResult | MessageResult | LoginResult | ErrorResult


def parse_invoke_action(value: object) -> InvokeAction | InvokeResponse:
    """Parse an untrusted invoke value; on any problem, return the 400 response to send."""
    if not isinstance(value, dict):
        return error_response(400, "BadRequest", _("The action carried no value."))
    action = value.get("action")
    if not isinstance(action, dict):
        return error_response(400, "BadRequest", _("The action is missing."))
    if action.get("type") != "Action.Execute":
        return error_response(400, "NotSupported", _("Only Action.Execute is supported."))
    verb = action.get("verb")
    if not isinstance(verb, str) or not verb or len(verb) > MAX_VERB_LENGTH:
        return error_response(400, "BadRequest", _("The action has no valid verb."))
    data = flat_data(action.get("data", {}))
    if isinstance(data, InvokeResponse):
        return data
    return InvokeAction(
        verb=verb,
        data=data,
        sso_token=_sso_token(value.get("authentication")),
        magic_code=_magic_code(value.get("state")),
    )


def flat_data(raw: object) -> dict[str, str] | InvokeResponse:
    """An action's untrusted data (inputs merged in) as flat strings, or the 400 to send."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or len(raw) > MAX_DATA_KEYS:
        return error_response(400, "BadRequest", _("The action data is not an object."))
    data: dict[str, str] = {}
    for key, item in raw.items():
        if not isinstance(key, str):
            continue
        text = _as_text(item)
        if text is None:
            return error_response(
                400, "BadRequest", _("The field {key!r} is not valid.", key=key[:40])
            )
        if len(text) > MAX_VALUE_LENGTH:  # say so: "not valid" leaves a 10,000-address paste
            return error_response(  # a mystery
                400,
                "BadRequest",
                _(
                    "The field {key!r} is too long: at most {limit} characters.",
                    key=key[:40],
                    limit=format_number(MAX_VALUE_LENGTH),
                ),
            )
        data[key] = text
    return data


def _sso_token(authentication: object) -> str | None:
    if not isinstance(authentication, dict):
        return None
    token = authentication.get("token")
    return token if isinstance(token, str) and 0 < len(token) < 20_000 else None


def _magic_code(state: object) -> str | None:
    if isinstance(state, str) and 0 < len(state.strip()) <= MAX_MAGIC_CODE_LENGTH:
        return state.strip()
    return None


def _as_text(item: object) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int | float):
        return str(item)
    if item is None:
        return ""
    return None


def to_invoke_response(result: InvokeResult) -> InvokeResponse:
    if isinstance(result, CardResult):
        body: dict[str, Any] = {"statusCode": 200, "type": CARD_TYPE, "value": result.card}
        return InvokeResponse(status=200, body=body)
    if isinstance(result, MessageResult):
        return InvokeResponse(
            status=200, body={"statusCode": 200, "type": MESSAGE_TYPE, "value": result.text}
        )
    if isinstance(result, LoginResult):
        return _login_response(result)
    if result.status == 401:  # the magic code redeemed nothing: Teams may ask again
        body = {"statusCode": 401, "type": INVALID_AUTH_CODE_TYPE}  # as documented: no value
        return InvokeResponse(status=200, body=body)
    if result.status == 412:
        body = {"statusCode": 412, "type": PRECONDITION_TYPE,
                "value": {"code": "412", "message": result.message}}  # fmt: skip
        return InvokeResponse(status=200, body=body)
    return error_response(result.status, result.code, result.message)


def _login_response(result: LoginResult) -> InvokeResponse:
    button: dict[str, Any] = {"type": "signin", "title": _("Sign in"), "text": _("Sign in")}
    if result.sign_in_url:
        button["value"] = result.sign_in_url
    value = {
        "text": _("Sign in to let Mailroom send as you"),
        "connectionName": result.connection_name,
        "tokenExchangeResource": {"id": str(uuid.uuid4()), "uri": result.resource_uri},
        "buttons": [button],
    }
    return InvokeResponse(status=200, body={"statusCode": 401, "type": LOGIN_TYPE, "value": value})


def error_response(status: int, code: str, message: str) -> InvokeResponse:
    """Teams reads errors from the body; the HTTP status stays 200 so it never looks
    like a bot crash."""
    return InvokeResponse(
        status=200,
        body={
            "statusCode": status,
            "type": ERROR_TYPE,
            "value": {"code": code, "message": message},
        },
    )
