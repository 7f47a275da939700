"""What the mailbox says about a message whose last step may or may not have happened.

Pure: no I/O. The worker looks the Mailroom id up in the mailbox (one Graph search over every
folder: ``GraphClient.find_by_mailroom_id``) and this decides, from what it found and what
the outbox knows:

=====================================  =========================  ==========================
found                                  the outbox knows           so
=====================================  =========================  ==========================
a sent copy (``isDraft`` false)        anything                   ``Delivered``: it went out
its own draft, still a draft           a draft id                 ``SendDraft``: send that
                                                                  item (again); Exchange
                                                                  refuses an item it took
drafts, none recorded yet              no draft id (the create    ``AdoptDraft``: the oldest
                                       may have landed)           is the message's draft
nothing                                no draft id                ``CreateDraft``
none of its own draft                  a draft id, no send that   ``DraftGone``: deleted
                                       may have been taken        before it was sent
none of its own draft                  a send may have been       ``Undecided``: look again
                                       taken                      later; unknown at the bound
=====================================  =========================  ==========================

Drafts carrying the Mailroom id that are not the message's own (a create that landed after
a lookup had found nothing) are listed in ``strays``: they are never sent, and the worker
deletes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.graph import FoundMessage


@dataclass(frozen=True)
class Delivered:
    strays: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendDraft:
    draft_id: str
    strays: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdoptDraft:
    draft_id: str
    strays: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreateDraft:
    pass


@dataclass(frozen=True)
class DraftGone:
    strays: tuple[str, ...] = ()


@dataclass(frozen=True)
class Undecided:
    strays: tuple[str, ...] = ()


Resolution = Delivered | SendDraft | AdoptDraft | CreateDraft | DraftGone | Undecided


def resolve(
    found: Sequence[FoundMessage], *, draft_id: str | None, send_uncertain: bool
) -> Resolution:
    """The next step for a message, from the items carrying its Mailroom id."""
    drafts = sorted((m for m in found if m.is_draft), key=lambda m: (m.created or "", m.id))
    if any(not m.is_draft for m in found):
        return Delivered(tuple(m.id for m in drafts))
    if draft_id is None:
        if not drafts:
            return CreateDraft()
        return AdoptDraft(drafts[0].id, tuple(m.id for m in drafts[1:]))
    strays = tuple(m.id for m in drafts if m.id != draft_id)
    if len(strays) < len(drafts):
        return SendDraft(draft_id, strays)
    if send_uncertain:
        return Undecided(strays)
    return DraftGone(strays)
