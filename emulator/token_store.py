"""What the emulated Bot Framework token service remembers (emulator/token_service.py)."""

from __future__ import annotations

from dataclasses import dataclass

CONNECTION_NAME = "sso"  # the name docs/deploy.md step 6 gives the OAuth connection


@dataclass(frozen=True)
class StoredToken:
    token: str
    expires: int


@dataclass(frozen=True)
class PendingSignIn:
    user_id: str
    connection: str
    token: str
    expires: int  # of the code


class TokenServiceStore:
    """The users' tokens per (Teams user id, connection) and the pending magic codes."""

    def __init__(self) -> None:
        self.tokens: dict[tuple[str, str], StoredToken] = {}
        self.codes: dict[str, PendingSignIn] = {}
        self.connections = {CONNECTION_NAME}

    def clear(self) -> None:
        self.tokens.clear()
        self.codes.clear()
        self.connections = {CONNECTION_NAME}
