"""Exchange after Graph's 202, as Microsoft describes it ("Send mail by using the Microsoft
Graph API", learn.microsoft.com/graph/outlook-things-to-know-about-send-mail):

1. the message is a draft in the sender mailbox's Drafts folder when Graph answers 202 (for
   ``sendMail`` Exchange creates it there; ``/messages/{id}/send`` submits an existing one);
2. "after all of this succeeds", transport takes it and the store moves it from Drafts to Sent
   Items — or deletes it (``saveToSentItems: false``). The Sent Items copy is a separate item
   with a new id (Microsoft's docs team, microsoft-graph-docs issue 6250). The delay is not
   documented: ``TransportSettings.move_delay`` (default 2 s);
3. Exchange's recipient rate limit (``emulator/recipient_quota.py``): a message past it is
   not delivered, the mailbox is blocked for 24 hours and an NDR (554 5.2.0
   SubmissionQuotaExceeded) lands in the sender's Inbox — after Graph's 202;
4. delivery to the recipients, at most ``messages_per_minute`` per mailbox per rolling minute;
   the excess is carried over to the following minutes (``Throttle.delivery_slot``).

A draft that was accepted is *submitted* until transport takes it. A second send of it is
refused with 404 ``ErrorItemNotFound`` — Graph does not document what it answers (docs issue
921 asks and is open); the emulator takes the stricter reading, the answer Graph gives for a
missing item or a missing right, which tells the client nothing about whether it went out.
A draft deleted before transport takes it is not sent.

Every accepted message is in ``state.transport.record``: when it was accepted, taken and
delivered, and how long the message rate held it back (``GET /_emulator/transport``).
"""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime
from typing import Any

from emulator.envelopes import new_message_id
from emulator.graph import exchange_rules as rules
from emulator.recipient_quota import non_delivery_report, recipient_count
from emulator.seed import Account
from emulator.state import EmulatorState

Json = dict[str, Any]


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def is_submitted(state: EmulatorState, mailbox: Account, item_id: str) -> bool:
    return (mailbox.id, item_id) in state.transport.submitted


def submit(
    state: EmulatorState,
    mailbox: Account,
    item: Json,
    identity: rules.Identity,
    *,
    save_to_sent_items: bool,
) -> None:
    """Graph answered 202 for ``item`` (a draft in ``mailbox``'s Drafts): hand it to
    transport, now or after the move delay."""
    key = (mailbox.id, item["id"])
    transport = state.transport
    transport.submitted.add(key)
    transport.pending += 1
    entry: Json = {
        "mailbox": mailbox.upn,
        "item_id": item["id"],
        "subject": item.get("subject"),
        "internetMessageHeaders": copy.deepcopy(item.get("internetMessageHeaders") or []),
        "accepted_at": _stamp(),
        "taken_at": None,
        "delivered_at": None,
        "delayed_seconds": 0.0,
        "outcome": "pending",
    }
    transport.record.append(entry)
    delay = transport.settings.move_delay
    if delay <= 0:
        _take(state, mailbox, item["id"], identity, save_to_sent_items, entry)
        return
    loop = asyncio.get_running_loop()
    timer = loop.call_later(
        delay, _take, state, mailbox, item["id"], identity, save_to_sent_items, entry
    )
    _keep(state, loop, timer)


def _take(  # noqa: PLR0917 - a timer callback gets its arguments positionally
    state: EmulatorState,
    mailbox: Account,
    item_id: str,
    identity: rules.Identity,
    save_to_sent_items: bool,
    entry: Json,
) -> None:
    transport = state.transport
    transport.submitted.discard((mailbox.id, item_id))
    entry["taken_at"] = _stamp()
    found = state.mail.find(mailbox.id, item_id)
    if found is None:  # deleted before transport took it
        entry["outcome"] = "dropped: the draft was deleted before transport took it"
        transport.pending -= 1
        return
    folder, draft = found
    limit = state.limits.recipients_per_day
    if not transport.quota.submit(mailbox.id, recipient_count(draft), limit):
        report = non_delivery_report(draft, mailbox.mail or mailbox.upn, state.tenant.domain)
        state.mail.put(mailbox.id, "inbox", report)
        entry["outcome"] = "refused: 554 5.2.0 SubmissionQuotaExceeded"
        transport.pending -= 1
        return
    state.mail.remove(mailbox.id, folder, item_id)
    sent = rules.stamped(state.tenant, draft, identity)
    sent["id"] = new_message_id()
    if save_to_sent_items:
        state.mail.put(mailbox.id, "sentitems", {**sent, "parentFolderId": "sentitems"})
    entry["sent_item_id"] = sent["id"] if save_to_sent_items else None
    now = state.throttle.now()
    at = state.throttle.delivery_slot(mailbox.id, now)
    if at <= now:
        _deliver(state, sent, entry, 0.0)
        return
    loop = asyncio.get_running_loop()
    _keep(state, loop, loop.call_later(at - now, _deliver, state, sent, entry, at - now))


def _keep(
    state: EmulatorState, loop: asyncio.AbstractEventLoop, timer: asyncio.TimerHandle
) -> None:
    """Remember a timer (``reset`` cancels them), forgetting those that already fired."""
    now = loop.time()
    state.transport.timers = {t for t in state.transport.timers if t.when() > now}
    state.transport.timers.add(timer)


def _deliver(state: EmulatorState, sent: Json, entry: Json, delayed: float) -> None:
    rules.deliver_to_recipients(state, sent)
    entry["delivered_at"] = _stamp()
    entry["delayed_seconds"] = round(delayed, 3)
    entry["outcome"] = "delivered"
    state.transport.pending -= 1
