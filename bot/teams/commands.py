"""The commands Mailroom understands in chat: one catalogue for help, parsing and the
Teams manifest's command lists."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    title: str
    description: str


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("send", "/send", "Send an email", "Pick a sender and a template, preview, send"),
    CommandSpec("senders", "/senders", "My senders", "Who you may send as, and why not for others"),
    CommandSpec(
        "templates",
        "/templates [name]",
        "Templates",
        "The email templates; one by name shows its fields and a ready /send",
    ),
    CommandSpec("why", "/why <sender>", "Why (not)?", "Why you may or may not send as a mailbox"),
    CommandSpec("status", "/status [reference]", "Status", "Where a send request stands (MR-7F3K)"),
    CommandSpec("drafts", "/drafts", "Drafts", "Your unfinished emails, to resume or discard"),
    CommandSpec("history", "/history", "History", "Your recent send requests"),
    CommandSpec("approvals", "/approvals", "Approvals", "Send requests waiting for your approval"),
    CommandSpec(
        "cancel", "/cancel <reference>", "Cancel", "Cancel a request that has not been sent"
    ),
    CommandSpec("signout", "/signout", "Sign out", "Mailroom forgets your sign-in (tokens)"),
    CommandSpec("help", "/help", "Help", "What Mailroom does and how to use it"),
)
