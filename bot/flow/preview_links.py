"""Signed, expiring links to a request's full HTML preview (``GET /preview/{id}``) and to
a bulk request's per-recipient results (``GET /results/{id}.csv``).

The signature is an HMAC over the request id and the expiry; the link works for anyone
holding it until it expires, like an Outlook "view in browser" link, so it is short-lived.
It is only ever put on the cards of the request's requester and approvers; the page is
served with ``Referrer-Policy: no-referrer`` and ``no-store`` so it leaks nowhere else
(``bot/preview_page.py``, ``bot/results_page.py``). Each kind of link is signed for its
purpose: a preview link's signature opens no results file, and the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from enum import Enum
from urllib.parse import urlencode

DEFAULT_LIFETIME = 60 * 60  # one hour
PREVIEW = "preview"
RESULTS = "results"


class LinkCheck(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"  # not signed by this key: tampered with, or another deployment's


class PreviewLinks:
    def __init__(
        self,
        key: bytes,
        base_url: str,
        *,
        lifetime: int = DEFAULT_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._base = base_url.rstrip("/")
        self._lifetime = lifetime
        self._clock = clock

    def url(self, request_id: str) -> str:
        return f"{self._base}/preview/{request_id}?{self._query(request_id, PREVIEW)}"

    def results_url(self, request_id: str) -> str:
        return f"{self._base}/results/{request_id}.csv?{self._query(request_id, RESULTS)}"

    def check(
        self, request_id: str, expires: str, signature: str, purpose: str = PREVIEW
    ) -> LinkCheck:
        """The signature first (a tampered expiry is *invalid*, not expired), then the time."""
        if not expires.isdigit() or len(expires) > 12 or len(signature) != 64:
            return LinkCheck.INVALID
        expected = self._sign(request_id, int(expires), purpose)
        if not hmac.compare_digest(expected, signature):
            return LinkCheck.INVALID
        if int(expires) < self._clock():
            return LinkCheck.EXPIRED
        return LinkCheck.VALID

    def _query(self, request_id: str, purpose: str) -> str:
        expires = int(self._clock()) + self._lifetime
        return urlencode({"exp": expires, "sig": self._sign(request_id, expires, purpose)})

    def _sign(self, request_id: str, expires: int, purpose: str) -> str:
        # A preview link's message is the id and expiry alone (links already on cards stay good).
        prefix = "" if purpose == PREVIEW else f"{purpose}."
        message = f"{prefix}{request_id}.{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
