"""When a user's delegated sign-in fails because the tenant is set up wrong, and what an admin
must do about it (docs/decisions/0015-sign-in-setup-errors.md).

Entra's AADSTS number says which step of the requirements statement
(bot/tenant-requirements.toml) is missing; signing in again cannot fix any of them, so the
user is told plainly instead of being asked to sign in once more:

* 500011 (the resource ``api://botid-{app id}`` does not exist): the Application ID URI.
  Mailroom asks Entra for its own app token for that URI before it sends a login request, so
  the answer comes before Teams shows a sign-in button that could only fail.
* 65005 (the scope does not exist on the resource): ``access_as_user`` is not exposed.
* 90014 / 70011 (no or invalid scopes) from the token service, 50013 (the assertion is not
  for Mailroom) from the on-behalf-of exchange: the OAuth connection's Scopes.
* 65001 on the on-behalf-of exchange is admin consent (the ``admin_consent_missing``
  explanation, which names the delegated permissions).

``LoginRequests`` remembers which requests a login request was sent for: a second click with
no sign-in in between means the sign-in failed where Mailroom cannot see it (an error page
in the sign-in window), and the user is told what to check rather than asked again.

Sources: learn.microsoft.com/entra/identity-platform/reference-error-codes;
learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow;
learn.microsoft.com/microsoftteams/platform/bots/how-to/authentication/bot-sso-register-aad.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import lru_cache

from bot.domain.explanations import Explanation, explain
from bot.errors import SignInNotSetUp, TokenAcquisitionError
from bot.i18n import _
from bot.tenant_requirements import UNFILLED, load_requirements

logger = logging.getLogger(__name__)

APP_ID_URI = "teams-sso-application-id-uri"
ACCESS_AS_USER = "teams-sso-access-as-user"
CONNECTION_SCOPE = "oauth-connection-scope"

SETUP_ERRORS: dict[int, tuple[str, ...]] = {
    500011: (APP_ID_URI,),
    65005: (ACCESS_AS_USER,),
    90014: (CONNECTION_SCOPE,),
    70011: (CONNECTION_SCOPE,),
    50013: (CONNECTION_SCOPE,),
}
"""AADSTS numbers that mean a step of the statement is missing, and which."""

ADMIN_CONSENT = 65001
DELEGATED = (
    "User.Read", "openid", "profile", "offline_access",
    "Mail.Send", "Mail.ReadWrite", "Mail.Send.Shared", "Mail.ReadWrite.Shared",
)  # fmt: skip

# What a sign-in that failed unseen (in the sign-in window) can be short of. A Teams client
# that is not pre-authorised is not among them: the sign-in button works there.
UNSEEN = (ACCESS_AS_USER, CONNECTION_SCOPE)


def not_set_up(codes: Sequence[int | None]) -> SignInNotSetUp | None:
    """The setup error among Entra's ``codes``, or None when signing in again may help."""
    for code in codes:
        if code is not None and code in SETUP_ERRORS:
            return SignInNotSetUp(code, SETUP_ERRORS[code])
    return None


def from_refusal(error: TokenAcquisitionError) -> SignInNotSetUp | None:
    """The setup error of Entra's refusal of a user's token; a missing admin consent
    (65001) is logged here and explained by the flow (``admin_consent_missing``)."""
    if ADMIN_CONSENT in error.codes:
        logger.warning(
            "delegated sign-in is not set up for Mailroom: Entra answered AADSTS65001 "
            "(consent_required) to the on-behalf-of exchange; an admin must add and grant "
            "admin consent for Mailroom's Microsoft Graph delegated permissions (%s) "
            "(`mailroom doctor` names the missing one)",
            ", ".join(DELEGATED),
        )
    return not_set_up(error.codes)


@lru_cache(maxsize=1)
def _statement() -> dict[str, tuple[str, str]]:
    """Each requirement's what and fix as the statement writes them, ``{app_id}`` unfilled:
    the catalogue's texts (bot/i18n/extract.py), translated for the card's reader."""
    return {r.id: (r.what, r.fix) for r in load_requirements(UNFILLED)}


def _listing(app_id: str, requirements: Sequence[str]) -> tuple[str, str]:
    """(what is missing, how to fix it): the statement's texts in the reader's language, one
    per line when several."""
    found = [
        (_lower_article(_(what, app_id=app_id)), _(fix, app_id=app_id))
        for what, fix in (_statement()[r] for r in requirements)
    ]
    if len(found) == 1:
        return found[0]
    whats = "; ".join(what for what, _fix in found)
    return whats, "\n".join(f"{n}. {fix}" for n, (_what, fix) in enumerate(found, 1))


# Inside the sentence ("Missing: the app registration's ..."), a leading article is lower case.
_ARTICLES = ("The ", "Die ", "Der ", "Das ")


def _lower_article(what: str) -> str:
    return what[0].lower() + what[1:] if what.startswith(_ARTICLES) else what


def explanation(error: SignInNotSetUp, app_id: str) -> Explanation:
    missing, fix = _listing(app_id, error.requirements)
    logger.warning(
        "delegated sign-in is not set up for Mailroom: Entra answered AADSTS%s; missing: %s "
        "(`mailroom doctor` checks it)",
        error.code,
        ", ".join(error.requirements),
    )
    return explain("sign_in_not_set_up", problem=f"AADSTS{error.code}", missing=missing, fix=fix)


def unfinished(app_id: str) -> Explanation:
    missing, fix = _listing(app_id, UNSEEN)
    logger.warning(
        "a user was asked to sign in twice for the same send and no sign-in arrived; if this "
        "repeats, check %s (`mailroom doctor`)",
        ", ".join(UNSEEN),
    )
    return explain("sign_in_did_not_finish", missing=missing, fix=fix)


class LoginRequests:
    """The (user, request) pairs a login request was answered for lately, in this process."""

    def __init__(self, within: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._within = within
        self._clock = clock
        self._asked: dict[tuple[str, str], float] = {}

    def asked_before(self, user: str, request: str) -> bool:
        """True when one was sent already (and forget it: the next click asks again);
        otherwise remember this one."""
        now = self._clock()
        self._asked = {k: t for k, t in self._asked.items() if now - t < self._within}
        if self._asked.pop((user, request), None) is not None:
            return True
        self._asked[(user, request)] = now
        return False

    def signed_in(self, user: str, request: str) -> None:
        self._asked.pop((user, request), None)
