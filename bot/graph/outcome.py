"""What became of a write that sends or creates mail: ``Sent`` / ``Created``, ``NotSent``
or ``MaybeSent``.

* ``Sent`` — Graph answered 202: accepted (not yet delivered). ``Created`` — 201: the draft.
* ``NotSent`` — Graph certainly did not run it: no connection, the request was never fully
  written, a 4xx answer (429 included), a refused token. Safe to try again.
* ``MaybeSent`` — the request was written and then the answer was lost (read timeout,
  connection dropped) or was a 5xx (503 included). **Never resend blindly**: look the
  message up by its Mailroom id (``GraphClient.find_by_mailroom_id``) first.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import GraphError, GraphTransportError, IdentityError
from bot.graph.models import DraftRef


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
    retry_after: float | None = None
    """Seconds the service asked to wait (a 503's ``Retry-After``)."""


@dataclass(frozen=True)
class Created:
    draft: DraftRef
    request_id: str | None = None


@dataclass(frozen=True)
class Attached:
    """The file is on the draft (201 to the POST, or to an upload session's last PUT)."""

    attachment_id: str | None = None


SendOutcome = Sent | NotSent | MaybeSent
AttachOutcome = Attached | NotSent | MaybeSent
DraftOutcome = Created | NotSent | MaybeSent
