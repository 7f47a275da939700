"""The privacy prompt: many addresses outside the organisation in To/Cc show every
recipient everyone else's address. Above a threshold (``Settings.privacy_threshold``) the
preview warns and offers the two usual remedies, each a new preview of the same message:

* **Bcc** — the sender's own address in To, everyone else in Bcc: one message, nobody
  sees the others.
* **One each** — a personalised send: one message per recipient, each addressed to them
  alone (the bulk path, as if a CSV listed the recipients).

Both rewrite the compose fields the request was previewed from; nothing else changes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Literal

from bot.domain.send_request import Recipients
from bot.flow.recipients import MAX_BULK_ROWS, parse_addresses

Remedy = Literal["bcc", "one_each"]
BULK_FIELD = "bulk_csv"


def exposed(recipients: Recipients, is_internal: Callable[[str], bool]) -> tuple[str, ...]:
    """The external addresses every recipient sees: those in To and Cc (Bcc is hidden)."""
    return tuple(a for a in (*recipients.to, *recipients.cc) if not is_internal(a))


def needs_prompt(exposed_count: int, threshold: int, message_count: int) -> bool:
    """Warn for a single message showing more than ``threshold`` external addresses (a bulk
    send already writes to each recipient alone)."""
    return message_count == 1 and exposed_count > threshold


def can_send_one_each(recipients: Recipients) -> bool:
    return len(recipients.all()) <= MAX_BULK_ROWS


def rewritten(fields: Mapping[str, str], remedy: Remedy, sender: str) -> dict[str, str]:
    """``fields`` (the compose inputs) with the recipients rearranged by ``remedy``."""
    everyone = [*_addresses(fields, "to"), *_addresses(fields, "cc")]
    hidden = _addresses(fields, "bcc")
    out = dict(fields)
    if remedy == "bcc":
        out |= {"to": sender, "cc": "", "bcc": ", ".join(dict.fromkeys([*everyone, *hidden]))}
        return out
    sheet = io.StringIO()
    writer = csv.writer(sheet, lineterminator="\n")
    writer.writerow(["email"])
    for address in dict.fromkeys([*everyone, *hidden]):
        writer.writerow([address])
    out |= {"to": "", "cc": "", "bcc": "", BULK_FIELD: sheet.getvalue()}
    return out


def _addresses(fields: Mapping[str, str], name: str) -> list[str]:
    found, _ = parse_addresses(fields.get(name, ""), name)  # previewed: already valid
    return list(found)
