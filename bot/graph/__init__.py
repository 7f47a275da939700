"""Microsoft Graph: the mail and directory client, its message model and send outcomes."""

from bot.graph.caller import APP, AsApp, AsUser, Caller
from bot.graph.client import GRAPH_V1, GraphClient
from bot.graph.limiter import MailboxLimiter
from bot.graph.message import (
    MAILROOM_ID_HEADER,
    MAILROOM_ID_PROPERTY,
    MAILROOM_PROPERTY_SET,
    Attachment,
    EmailAddress,
    MailMessage,
)
from bot.graph.models import (
    BatchRequest,
    BatchResponse,
    DraftRef,
    FoundMessage,
    GraphUser,
    GroupRef,
)
from bot.graph.outcome import (
    Attached,
    AttachOutcome,
    Created,
    DraftOutcome,
    MaybeSent,
    NotSent,
    SendOutcome,
    Sent,
)

__all__ = [
    "APP",
    "GRAPH_V1",
    "MAILROOM_ID_HEADER",
    "MAILROOM_ID_PROPERTY",
    "MAILROOM_PROPERTY_SET",
    "AsApp",
    "AsUser",
    "AttachOutcome",
    "Attached",
    "Attachment",
    "BatchRequest",
    "BatchResponse",
    "Caller",
    "Created",
    "DraftOutcome",
    "DraftRef",
    "EmailAddress",
    "FoundMessage",
    "GraphClient",
    "GraphUser",
    "GroupRef",
    "MailMessage",
    "MailboxLimiter",
    "MaybeSent",
    "NotSent",
    "SendOutcome",
    "Sent",
]
