"""Send windows in the outbox: outside its sender's window (``[senders.window]`` in
``mailroom.toml``) a bulk send's messages are not sent but handed back, due when the window
next opens — whether the send was queued outside it or is still running when it closes. A
single message is never held (a person is waiting for it), nor is a message that may
already have gone out (it is reconciled first, window or not)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.schedule import SendWindow
from bot.domain.send_request import SendRequest
from bot.outbox.senders import SenderLookup


def window_of(lookup: SenderLookup, mailbox: str) -> SendWindow | None:
    config = lookup(mailbox)
    return config.window if config is not None else None


def held_until(request: SendRequest, window: SendWindow | None, now: datetime) -> datetime | None:
    """When ``request``'s next message may go, if its sender's window holds it now."""
    if window is None or not request.is_bulk or request.is_final or window.is_open(now):
        return None
    return window.next_open(now)
