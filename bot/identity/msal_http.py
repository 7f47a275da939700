"""The HTTP client msal uses, on top of httpx so that msal trusts exactly what the rest of
Mailroom trusts (system CAs plus the configured bundle) and honours the same timeouts.

msal calls ``get``/``post`` with requests-style arguments and reads ``status_code``,
``text``, ``headers`` and ``raise_for_status()`` from the answer; ``httpx.Response`` has all
of them. Called only from msal's worker thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from bot.netclient import Timeouts, tls_context


class MsalHttpClient:
    """A synchronous, pooled, verifying client with msal's ``HttpClient`` shape."""

    def __init__(self, ca_bundle: Path | None, timeouts: Timeouts) -> None:
        self._client = httpx.Client(
            verify=tls_context(ca_bundle),
            timeout=httpx.Timeout(
                connect=timeouts.connect,
                read=timeouts.read,
                write=timeouts.read,
                pool=timeouts.connect,
            ),
            follow_redirects=False,
            trust_env=False,
        )

    def post(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | str | None = None,
        headers: Mapping[str, str] | None = None,
        **_ignored: Any,
    ) -> httpx.Response:
        if isinstance(data, str):
            return self._client.post(url, params=params, content=data, headers=headers)
        return self._client.post(url, params=params, data=data, headers=headers)

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        **_ignored: Any,
    ) -> httpx.Response:
        return self._client.get(url, params=params, headers=headers)

    def close(self) -> None:
        self._client.close()
