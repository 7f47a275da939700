"""Helpers for the emulator's conformance tests: raw token requests and message bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from emulator.testing import RunningEmulator

GRAPH = "https://graph.microsoft.com"
EXCHANGE = "https://outlook.office365.com"
BOTFRAMEWORK = "https://api.botframework.com"
REPORTING_APP = "9b799f5e-3895-4108-9ea0-0ef517425fa7"
REPORTING_SECRET = "reporting-secret-not-for-production"


@dataclass
class Tokens:
    """Gets tokens straight from the emulator's token endpoint (no msal), cached per session."""

    emu: RunningEmulator
    http: httpx.Client
    _cache: dict[tuple[str, ...], str] = field(default_factory=dict)

    @property
    def token_url(self) -> str:
        return f"/{self.emu.tenant_id}/oauth2/v2.0/token"

    def request(self, **form: str) -> httpx.Response:
        return self.http.post(self.token_url, data=form)

    def app(
        self,
        resource: str = GRAPH,
        client_id: str | None = None,
        secret: str | None = None,
    ) -> str:
        client_id = client_id or self.emu.bot_app.client_id
        secret = secret or self.emu.bot_app.secret
        key = ("app", resource, client_id)
        if key not in self._cache:
            answer = self.request(
                grant_type="client_credentials",
                client_id=client_id,
                client_secret=secret,
                scope=f"{resource}/.default",
            )
            assert answer.status_code == 200, answer.text
            self._cache[key] = answer.json()["access_token"]
        return self._cache[key]

    def user(self, upn: str, scope: str = f"{GRAPH}/.default") -> str:
        """A delegated Graph token for the user, through the on-behalf-of grant."""
        key = ("user", upn, scope)
        if key not in self._cache:
            answer = self.obo(self.emu.control.mint_user_token(upn), scope)
            assert answer.status_code == 200, answer.text
            self._cache[key] = answer.json()["access_token"]
        return self._cache[key]

    def obo(self, assertion: str, scope: str = f"{GRAPH}/.default") -> httpx.Response:
        return self.request(
            grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
            client_id=self.emu.bot_app.client_id,
            client_secret=self.emu.bot_app.secret,
            assertion=assertion,
            requested_token_use="on_behalf_of",
            scope=scope,
        )


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def to(*addresses: str) -> list[dict[str, Any]]:
    return [{"emailAddress": {"address": a}} for a in addresses]


def mail(subject: str = "Hello", *, sender: str | None = None, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "subject": subject,
        "body": {"contentType": "HTML", "content": "<p>Hi</p>"},
        "toRecipients": to("johanna.lorenz@contoso.com"),
        **extra,
    }
    if sender is not None:
        message["from"] = {"emailAddress": {"address": sender}}
    return {"message": message, "saveToSentItems": True}
