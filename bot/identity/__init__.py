"""Tokens from Entra ID: the ``TokenProvider`` protocol and its msal implementation."""

from bot.identity.msal_provider import MsalTokenProvider
from bot.identity.provider import EXCHANGE_RESOURCE, GRAPH_RESOURCE, TokenProvider, default_scope

__all__ = [
    "EXCHANGE_RESOURCE",
    "GRAPH_RESOURCE",
    "MsalTokenProvider",
    "TokenProvider",
    "default_scope",
]
