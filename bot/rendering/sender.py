"""Who a message is rendered for: the sender as the templates see it.

The policy layer builds a :class:`RenderSender` from its own sender configuration; rendering
needs only the address, the display name, the kind and, for no-reply mailboxes, the footer
wording. Templates see it as ``sender`` (``sender.display_name``, ``sender.address``,
``sender.kind``) and, for no-reply senders only, the footer as ``noreply_footer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

SenderKind = Literal["self", "send_as", "send_on_behalf", "shared", "noreply"]

#: Every sender kind, in the order ``mailroom templates check`` renders them.
SENDER_KINDS: tuple[SenderKind, ...] = get_args(SenderKind)

DEFAULT_NOREPLY_FOOTER = (
    "This message was sent from an unmonitored mailbox. Please do not reply to it."
)


@dataclass(frozen=True)
class NoReplyFooter:
    """The do-not-reply footer a ``noreply`` sender's messages must carry."""

    text: str
    help_contact: str | None = None

    @property
    def help_line(self) -> str | None:
        """The "For help, contact …" sentence, or None when no contact is configured."""
        if not self.help_contact:
            return None
        contact = self.help_contact.rstrip()
        end = "" if contact.endswith((".", "!", "?")) else "."
        return f"For help, contact {contact}{end}"


@dataclass(frozen=True)
class RenderSender:
    """The mailbox a message is sent from, as rendering needs it.

    ``footer_text`` and ``help_contact`` only matter for ``kind == "noreply"``; other kinds
    never get the do-not-reply footer, whatever these fields hold.
    """

    address: str
    display_name: str
    kind: SenderKind
    footer_text: str | None = None
    help_contact: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SENDER_KINDS:
            raise ValueError(f"sender kind must be one of {', '.join(SENDER_KINDS)}")

    @property
    def noreply_footer(self) -> NoReplyFooter | None:
        """The footer this sender's messages must carry, or None for kinds other than noreply."""
        if self.kind != "noreply":
            return None
        text = (self.footer_text or "").strip() or DEFAULT_NOREPLY_FOOTER
        help_contact = (self.help_contact or "").strip() or None
        return NoReplyFooter(text=text, help_contact=help_contact)
