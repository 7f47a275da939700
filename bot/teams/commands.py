"""The commands Mailroom understands in chat: one catalogue for help, parsing and the
Teams manifest's command lists."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    title: str  # marked for the catalogue; shown through ``_`` (the manifest's are localised too)
    description: str


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "send", "/send", N_("Send an email"), N_("Pick a sender and a template, preview, send")
    ),
    CommandSpec(
        "senders", "/senders", N_("My senders"), N_("Who you may send as, and why not for others")
    ),
    CommandSpec(
        "templates",
        "/templates [name]",
        N_("Templates"),
        N_("The email templates; one by name shows its fields and a ready /send"),
    ),
    CommandSpec(
        "why", "/why <sender>", N_("Why (not)?"), N_("Why you may or may not send as a mailbox")
    ),
    CommandSpec(
        "status", "/status [reference]", N_("Status"), N_("Where a send request stands (MR-7F3K)")
    ),
    CommandSpec(
        "drafts", "/drafts", N_("Drafts"), N_("Your unfinished emails, to resume or discard")
    ),
    CommandSpec("history", "/history", N_("History"), N_("Your recent send requests")),
    CommandSpec(
        "approvals", "/approvals", N_("Approvals"), N_("Send requests waiting for your approval")
    ),
    CommandSpec(
        "cancel", "/cancel <reference>", N_("Cancel"), N_("Cancel a request that has not been sent")
    ),
    CommandSpec(
        "signout", "/signout", N_("Sign out"), N_("Mailroom forgets your sign-in (tokens)")
    ),
    CommandSpec("help", "/help", N_("Help"), N_("What Mailroom does and how to use it")),
)
