"""Exchange Online admin API: who holds Send As, Full Access and Send on Behalf."""

from bot.exchange.client import MAILBOX_ENDPOINT, OBJECT_NOT_FOUND, ExchangeAdminClient
from bot.exchange.source import Recipient, Right, RightsSource, Trustees
from bot.exchange.transport import EXCHANGE_ONLINE, NO_ANSWER, SYSTEM_MAILBOX

__all__ = [
    "EXCHANGE_ONLINE",
    "MAILBOX_ENDPOINT",
    "NO_ANSWER",
    "OBJECT_NOT_FOUND",
    "SYSTEM_MAILBOX",
    "ExchangeAdminClient",
    "Recipient",
    "Right",
    "RightsSource",
    "Trustees",
]
