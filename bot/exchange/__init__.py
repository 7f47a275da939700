"""Exchange Online admin API: who holds Send As, Full Access and Send on Behalf."""

from bot.exchange.client import (
    EXCHANGE_ONLINE,
    NO_ANSWER,
    OBJECT_NOT_FOUND,
    SYSTEM_MAILBOX,
    ExchangeAdminClient,
)

__all__ = [
    "EXCHANGE_ONLINE",
    "NO_ANSWER",
    "OBJECT_NOT_FOUND",
    "SYSTEM_MAILBOX",
    "ExchangeAdminClient",
]
