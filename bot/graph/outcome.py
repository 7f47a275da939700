"""What became of a send: ``Sent``, ``NotSent`` or ``MaybeSent``.

* ``Sent`` — Graph answered 202: accepted (not yet delivered).
* ``NotSent`` — Graph certainly did not take it: no connection, the request was never fully
  written, a 4xx answer, a refused token, or retries ran out on 429/503. Safe to try again.
* ``MaybeSent`` — the request was written and then the answer was lost (read timeout,
  connection dropped) or was a 5xx other than 503. **Never resend blindly**: look for the
  message's Mailroom id in the mailbox first (``GraphClient.find_by_mailroom_id``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import GraphError, GraphTransportError, IdentityError


@dataclass(frozen=True)
class Sent:
    request_id: str | None
    client_request_id: str
    attempts: int


@dataclass(frozen=True)
class NotSent:
    error: GraphError | GraphTransportError | IdentityError
    attempts: int


@dataclass(frozen=True)
class MaybeSent:
    reason: str
    client_request_id: str
    attempts: int
    status: int | None = None
    """The HTTP status when an answer came (a 5xx); ``None`` when no answer came at all."""
    request_id: str | None = None


SendOutcome = Sent | NotSent | MaybeSent
