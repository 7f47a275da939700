"""The one exception tree of Mailroom.

Every error Mailroom raises on purpose is a ``MailroomError``. Errors carry data as
attributes (status, code, request id, retry-after), never only text, so callers branch
on types and attributes. Each foreign library's errors are translated at exactly one
boundary with ``raise ... from exc``.

::

    MailroomError
    ├── ConfigError                    bad setting / policy file (startup exits 2)
    ├── TemplateError
    │   ├── TemplateLoadError          a template file is broken (path, line)
    │   ├── TemplateRenderError        rendering failed or broke a rule (template)
    │   ├── ValuesInvalid              user-supplied values failed validation (errors)
    │   └── UnknownTemplate            no template by that name (name, available)
    ├── IdentityError
    │   ├── TokenAcquisitionError      Entra refused a token (error, codes, correlation_id)
    │   │   └── ConsentRequired        invalid_grant / interaction_required
    │   ├── SignInRequired             no token for the user yet: Teams must sign them in
    │   ├── ExchangeRefused            the token service refused the Teams SSO token (status, code)
    │   ├── SignInNotSetUp             the tenant's sign-in setup is wrong (code, requirements)
    │   ├── MagicCodeRefused           the sign-in code Teams passed on redeems nothing
    │   └── TokenServiceUnavailable    the Bot Framework token service failed (status)
    ├── GraphError                     Graph answered with its error envelope
    │   ├── Unauthorized               401 InvalidAuthenticationToken
    │   ├── AccessDenied               403 ErrorAccessDenied
    │   ├── SendAsDenied               403 ErrorSendAsDenied
    │   ├── InvalidRecipients          400 ErrorInvalidRecipients
    │   ├── MessageTooLarge            400 ErrorMessageSizeExceeded
    │   ├── QuotaExceeded              400 ErrorQuotaExceeded
    │   ├── MailboxNotFound            404 ErrorInvalidUser / ErrorNonExistentMailbox
    │   ├── MailboxNotEnabledForRest   MailboxNotEnabledForRESTAPI
    │   ├── Throttled                  429: Graph's request or concurrency limits (retry_after)
    │   └── ServiceUnavailable         503 / 504: busy, not throttling (retry_after)
    ├── GraphTransportError            no HTTP answer from Graph (sent: "not" | "maybe")
    ├── ExchangeError                  the Exchange admin API failed (status, code)
    ├── StoreError
    │   ├── StoreUnavailable           the database cannot be reached right now
    │   ├── NotFound                   no such row (entity, key)
    │   └── VersionConflict            compare-and-set lost (entity, key, expected)
    ├── IllegalTransition              no such state-machine edge (entity, key, current, requested)
    ├── PackageError                   the Teams app package failed validation (problems)
    └── DevStartupFailed               a `mailroom dev` process did not come up (process, reason)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class MailroomError(Exception):
    """Root of every error Mailroom raises on purpose."""


class ConfigError(MailroomError):
    """A setting or the policy file is missing or malformed; ``setting`` names it."""

    def __init__(self, setting: str, problem: str, *, line: int | None = None) -> None:
        self.setting = setting
        self.problem = problem
        self.line = line
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"{setting}{where}: {problem}")


# --- templates -------------------------------------------------------------------------


class TemplateError(MailroomError):
    """Base for template loading, validation and rendering problems."""


class TemplateLoadError(TemplateError):
    """A template or layout file cannot be loaded; ``path`` and ``line`` locate it."""

    def __init__(self, path: str, problem: str, *, line: int | None = None) -> None:
        self.path = path
        self.problem = problem
        self.line = line
        where = f":{line}" if line is not None else ""
        super().__init__(f"{path}{where}: {problem}")


class TemplateRenderError(TemplateError):
    """Rendering a template failed or its output broke a rule (size, footer, subject)."""

    def __init__(self, template: str, problem: str) -> None:
        self.template = template
        self.problem = problem
        super().__init__(f"template {template!r}: {problem}")


@dataclass(frozen=True)
class FieldError:
    """One bad user-supplied field: which, what is wrong, what would be accepted."""

    field: str
    problem: str
    accepted: str = ""


class ValuesInvalid(TemplateError):
    """User-supplied values failed validation; ``errors`` lists every bad field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.problem}" for e in self.errors))


class UnknownTemplate(TemplateError):
    """No template is called ``name``; ``available`` lists the names there are."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        self.name = name
        self.available = tuple(available)
        listed = ", ".join(self.available) or "none"
        super().__init__(f"no template called {name!r} (available: {listed})")


# --- identity --------------------------------------------------------------------------


class IdentityError(MailroomError):
    """Base for token problems."""


class TokenAcquisitionError(IdentityError):
    """Entra ID refused to issue a token. Never carries the secret or the assertion."""

    def __init__(
        self,
        error: str,
        description: str = "",
        *,
        correlation_id: str | None = None,
        codes: tuple[int, ...] = (),
    ) -> None:
        self.error = error
        self.description = description
        self.correlation_id = correlation_id
        self.codes = codes  # AADSTS numbers (65001: consent was never granted)
        super().__init__(f"{error}: {description}" if description else error)


class ConsentRequired(TokenAcquisitionError):
    """The user must sign in again or consent (invalid_grant / interaction_required)."""

    @property
    def admin_consent_missing(self) -> bool:
        """AADSTS65001: nobody consented to Mailroom's permissions; signing in again won't do."""
        return 65001 in self.codes


class SignInRequired(IdentityError):
    """Mailroom has no token for the user: Teams is asked to sign them in."""


class ExchangeRefused(IdentityError):
    """The token service would not exchange the Teams SSO token; Teams falls back to sign-in."""

    def __init__(self, status: int, code: str, aadsts: int | None = None) -> None:
        self.status = status
        self.code = code
        self.aadsts = aadsts  # the AADSTS number the token service passed on, if any
        super().__init__(f"token exchange refused: {status} {code}")


class SignInNotSetUp(IdentityError):
    """Entra refused a user's sign-in because the tenant is set up wrong (AADSTS ``code``):
    ``requirements`` are the ids (bot/tenant-requirements.toml) an admin must fix. Signing
    in again cannot help."""

    def __init__(self, code: int, requirements: tuple[str, ...]) -> None:
        self.code = code
        self.requirements = requirements
        super().__init__(f"sign-in not set up: AADSTS{code} ({', '.join(requirements)})")


class MagicCodeRefused(IdentityError):
    """The sign-in code Teams sent back (the action's ``state``) redeemed no token."""


class TokenServiceUnavailable(IdentityError):
    """The Bot Framework token service did not answer, refused the bot, or answered 5xx."""

    def __init__(self, status: int | None, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"token service unavailable ({status or reason})")


# --- Microsoft Graph -------------------------------------------------------------------


class GraphError(MailroomError):
    """Graph answered with its error envelope. Branch on ``code``, never on ``message``.
    ``retry_after`` is the answer's ``Retry-After`` in seconds, when it had one."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str = "",
        *,
        request_id: str | None = None,
        client_request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.retry_after = retry_after
        super().__init__(f"{status} {code}: {message}")


class Unauthorized(GraphError):
    """401: the token was refused."""


class AccessDenied(GraphError):
    """403 ErrorAccessDenied: missing scope/role or outside the app's RBAC scope."""


class SendAsDenied(GraphError):
    """403 ErrorSendAsDenied: the user lacks Send As / Send on Behalf on ``from``."""


class InvalidRecipients(GraphError):
    """400 ErrorInvalidRecipients."""


class MessageTooLarge(GraphError):
    """400 ErrorMessageSizeExceeded."""


class QuotaExceeded(GraphError):
    """400 ErrorQuotaExceeded."""


class MailboxNotFound(GraphError):
    """404: the mailbox or user does not exist."""


class MailboxNotEnabledForRest(GraphError):
    """The mailbox is inactive, soft-deleted or on-premises."""


class Throttled(GraphError):
    """429: Graph's request-rate or concurrency limits refused the call before running it;
    wait ``retry_after`` seconds."""


class ServiceUnavailable(GraphError):
    """503/504: the service is busy or a gateway gave up. Not throttling: nothing says the
    call was not run, so a send answered this way may have gone out."""


class GraphTransportError(MailroomError):
    """No HTTP answer. ``sent`` is "not" (safe to retry) or "maybe" (reconcile first)."""

    def __init__(self, sent: str, reason: str) -> None:
        self.sent = sent
        self.reason = reason
        super().__init__(f"{reason} (sent: {sent})")


# --- Exchange admin API ----------------------------------------------------------------


class ExchangeError(MailroomError):
    """The Exchange admin API could not answer (status 0 = no HTTP answer)."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status} {code}: {message}")


# --- store -----------------------------------------------------------------------------


class StoreError(MailroomError):
    """Base for persistence problems."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or is locked right now; try again later."""


class NotFound(StoreError):
    """No row for ``entity`` with ``key``."""

    def __init__(self, entity: str, key: str) -> None:
        self.entity = entity
        self.key = key
        super().__init__(f"{entity} {key} not found")


class VersionConflict(StoreError):
    """A compare-and-set lost: the row is no longer at ``expected`` version."""

    def __init__(self, entity: str, key: str, expected: int) -> None:
        self.entity = entity
        self.key = key
        self.expected = expected
        super().__init__(f"{entity} {key} is no longer at version {expected}")


# --- state machines --------------------------------------------------------------------


class IllegalTransition(MailroomError):
    """A state machine has no edge ``current`` → ``requested`` (e.g. a sent request queued)."""

    def __init__(self, entity: str, key: str, current: str, requested: str) -> None:
        self.entity = entity
        self.key = key
        self.current = current
        self.requested = requested
        super().__init__(f"{entity} {key} cannot go from {current} to {requested}")


# --- packaging -------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageProblem:
    """One problem with the Teams app package: a JSON path and a readable message."""

    path: str
    message: str


class PackageError(MailroomError):
    """The Teams app package failed validation; ``problems`` lists every one."""

    def __init__(self, problems: Sequence[PackageProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in self.problems))


# --- development mode ------------------------------------------------------------------


class DevStartupFailed(MailroomError):
    """A process of ``mailroom dev`` (emulator, bot, Playground) did not come up; ``process``
    names it, ``reason`` says what was seen, ``log`` is the end of its output."""

    def __init__(self, process: str, reason: str, *, log: str = "") -> None:
        self.process = process
        self.reason = reason
        self.log = log
        super().__init__(f"{process}: {reason}")
