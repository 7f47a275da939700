"""Exchange Online's recipient rate limit: 10,000 recipients per mailbox per rolling 24 hours
("Exchange Online limits", Sending limits: learn.microsoft.com/office365/servicedescriptions/
exchange-online-service-description/exchange-online-limits#sending-limits). Every recipient
of every message counts (To, Cc and Bcc; the same address twice counts twice), internal and
external alike.

A message that would pass the limit is still accepted by Graph (202): transport refuses it
at submission, the mailbox is blocked from sending for 24 hours, and the sender's Inbox gets
a non-delivery report ``554 5.2.0 STOREDRV.Submission.Exception:
SubmissionQuotaExceededException``. Every message submitted while blocked gets the same. The
refused message is not delivered and not moved to Sent Items (where it ends up is not
documented; the emulator leaves it in Drafts, which is what a client that checks Sent Items
must be ready for). Microsoft describes the unblock as 24 hours after the limit was hit; the
emulator blocks for a full 24 hours from the refused message (the stricter reading).
``Limits.recipients_per_day`` sets the limit (control API ``PUT /_emulator/limits``).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from emulator.envelopes import new_message_id

Json = dict[str, Any]

WINDOW = 24 * 3600.0
BLOCK = 24 * 3600.0
NDR_STATUS = "554 5.2.0"
NDR_TEXT = (
    "Remote Server returned '554 5.2.0 STOREDRV.Submission.Exception:"
    "SubmissionQuotaExceededException; Failed to process message due to a permanent "
    "exception with message Cannot submit message.'"
)
RECIPIENT_FIELDS = ("toRecipients", "ccRecipients", "bccRecipients")


class RecipientQuota:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counted: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self._blocked_until: dict[str, float] = {}

    def clear(self) -> None:
        self._counted.clear()
        self._blocked_until.clear()

    def submit(self, mailbox_id: str, recipients: int, limit: int) -> bool:
        """Count a message of ``recipients`` recipients; False: refused (and the mailbox
        blocked) because the mailbox is blocked or the message would pass ``limit``."""
        now = self._clock()
        if self._blocked_until.get(mailbox_id, 0.0) > now:
            return False
        counted = self._counted[mailbox_id]
        while counted and counted[0][0] <= now - WINDOW:
            counted.popleft()
        if sum(n for _at, n in counted) + recipients > limit:
            self._blocked_until[mailbox_id] = now + BLOCK
            return False
        counted.append((now, recipients))
        return True

    def blocked(self, mailbox_id: str) -> bool:
        return self._blocked_until.get(mailbox_id, 0.0) > self._clock()


def recipient_count(message: Json) -> int:
    return sum(len(message.get(name) or []) for name in RECIPIENT_FIELDS)


def non_delivery_report(message: Json, mailbox_address: str, domain: str) -> Json:
    """The NDR Exchange puts in the sender's Inbox for a message refused at submission."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    postmaster = {
        "emailAddress": {
            "name": "Microsoft Outlook",
            "address": f"MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@{domain}",
        }
    }
    return {
        "id": new_message_id(),
        "subject": f"Undeliverable: {message.get('subject') or ''}",
        "from": postmaster,
        "sender": postmaster,
        "toRecipients": [{"emailAddress": {"address": mailbox_address}}],
        "ccRecipients": [],
        "bccRecipients": [],
        "body": {
            "contentType": "text",
            "content": "Your message couldn't be delivered because you have sent to more "
            f"recipients than your daily limit allows.\n\n{NDR_TEXT}",
        },
        "receivedDateTime": now,
        "sentDateTime": now,
        "isRead": False,
        "isDraft": False,
        "parentFolderId": "inbox",
    }
