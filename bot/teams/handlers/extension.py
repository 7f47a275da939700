""" "Send as email with Mailroom" on a Teams message's ⋯ menu: the message extension's one
action command (``composeExtensions`` in appPackage/manifest.json, ``context: ["message"]``,
``fetchTask: true``).

* ``composeExtension/fetchTask`` — Teams sends the message the user picked
  (``value.messagePayload``: its HTML body and its author). The answer is a dialog with the
  guided compose card, from the user's own mailbox, for the first template the user may send
  that has a ``message`` text variable: that variable holds the message's text, and the
  message's author (their address from Entra ID) is the suggested recipient.
* ``composeExtension/submitAction`` — a button of the dialog (``cards/dialog.py`` turns the
  card's ``Action.Execute`` into ``Action.Submit`` with the verb in its data). The verb is
  routed to the same handler as in chat, with the same payload parsing, so the dialog is the
  guided send, not a second one; the answer is the next card in the dialog. Once the request
  is queued (or waits for approval), the dialog closes with a message saying so (a
  ``task`` of type ``message``, one of the responses "Respond to the dialog submit action"
  lists). Submitting the same send again changes nothing: the flow sends a request at the
  version its card showed, once.

Nothing in the payload is trusted: the text and the author only prefill inputs, which the
flow validates like typed ones; the sender is always the user's own mailbox, decided again.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from bot.domain.send_request import SendState
from bot.domain.senders import Policy
from bot.errors import GraphError, NotFound
from bot.flow.facts import FactsService
from bot.flow.send_flow import Refused, SendFlow
from bot.i18n import _
from bot.rendering import TemplateCatalog
from bot.rendering.variables import VariableType
from bot.store import Store
from bot.teams.dispatch import Route
from bot.teams.invoke import ErrorResult, LoginResult, flat_data
from bot.teams.respond import respond
from bot.teams.steps import StepCards
from bot.teams.turn import Turn
from cards import verbs
from cards.dialog import TITLE, VERB_KEY, task_continue, task_message
from cards.verbs import Invalid, RequestAt

logger = logging.getLogger(__name__)

COMMAND_ID = "sendAsEmail"
BODY_VARIABLE = "message"
SUBJECT_VARIABLE = "topic"
PREFERRED_TEMPLATE = "message-from-teams"
# The guided send's steps after the compose card; anything else is not a dialog button.
DIALOG_VERBS = frozenset(
    {verbs.PICK_TEMPLATE, verbs.PREVIEW, verbs.EDIT, verbs.SEND, verbs.REQUEST_APPROVAL}
)
MAX_TEXT = 20_000
Body = dict[str, Any]


@dataclass(frozen=True)
class Deps:
    flow: SendFlow
    steps: StepCards
    facts: FactsService
    policy: Policy
    catalog: TemplateCatalog
    store: Store
    verbs: Mapping[str, Route[Any]]


@dataclass(frozen=True)
class SourceMessage:
    """What the extension takes from the Teams message: its text and its author's id."""

    text: str
    author_oid: str | None
    subject: str = ""


async def fetch_task(deps: Deps, turn: Turn, value: Mapping[str, Any]) -> Body | LoginResult:
    if value.get("commandId") != COMMAND_ID:
        return task_message(_("Mailroom has no such command."))
    source = source_message(value)
    template = await _template_for(deps, turn.user_oid)
    inputs = {f"var_{BODY_VARIABLE}": source.text} if source.text else {}
    if template is not None and SUBJECT_VARIABLE in deps.catalog.get(template).variable_names:
        inputs[f"var_{SUBJECT_VARIABLE}"] = source.subject or _first_line(source.text)
    recipient = await _address_of(deps, source.author_oid)
    if recipient:
        inputs["to"] = recipient
    started = await deps.flow.start(turn.user_oid, turn.tenant_id, "me", template, inputs)
    if isinstance(started, Refused):
        return task_continue(_(TITLE), deps.steps.refused(started))
    return task_continue(_(TITLE), deps.steps.compose(started))


async def submit_action(deps: Deps, turn: Turn, value: Mapping[str, Any]) -> Body | LoginResult:
    if value.get("commandId") != COMMAND_ID:
        return task_message(_("Mailroom has no such command."))
    data = flat_data(value.get("data"))
    if not isinstance(data, dict):
        return task_message(_("This dialog's data is not valid. Start again from the message."))
    verb = data.pop(VERB_KEY, "")
    if verb == verbs.COMPOSE_CANCEL:
        return task_message(_("Cancelled. Nothing was sent."))
    route = deps.verbs.get(verb) if verb in DIALOG_VERBS else None
    if route is None:
        logger.warning("dialog action refused: unknown verb")
        return task_message(_("Mailroom does not know this button. Start again from the message."))
    payload = route.payload.parse(data)
    if isinstance(payload, Invalid):
        logger.warning("dialog action %s refused: %s %s", verb, payload.field, payload.problem)
        return task_message(
            _(
                "This card's data is not valid ({field}). Start again from the message.",
                field=payload.field,
            )
        )
    reply = await respond(verb, lambda: route.handler(turn, payload))
    if isinstance(reply, LoginResult):
        return reply
    if isinstance(reply, ErrorResult):  # the chat's sign-in fallback has no place in a dialog
        logger.warning("dialog action %s: sign-in did not complete (%s)", verb, reply.code)
        return task_message(
            _(
                "Mailroom could not finish signing you in here. Open your chat with Mailroom and "
                "send it from there with /send."
            )
        )
    if isinstance(payload, RequestAt) and verb in (verbs.SEND, verbs.REQUEST_APPROVAL):
        done = await _queued(deps, turn, payload.request)
        if done is not None:
            return task_message(done)
    return task_continue(_(TITLE), reply)


def source_message(value: Mapping[str, Any]) -> SourceMessage:
    """The picked message's text (HTML made plain) and author; empty when Teams sent none."""
    payload = value.get("messagePayload")
    if not isinstance(payload, Mapping):
        return SourceMessage("", None)
    body = payload.get("body")
    text = ""
    if isinstance(body, Mapping) and isinstance(body.get("content"), str):
        content = str(body["content"])[:MAX_TEXT]
        text = content if body.get("contentType") == "text" else plain_text(content)
    subject = payload.get("subject")
    sender = payload.get("from")
    user = sender.get("user") if isinstance(sender, Mapping) else None
    oid = None
    if isinstance(user, Mapping) and user.get("userIdentityType") in (None, "aadUser"):
        candidate = user.get("id")
        oid = candidate if isinstance(candidate, str) and 0 < len(candidate) <= 64 else None
    title = subject.strip()[:200] if isinstance(subject, str) else ""
    return SourceMessage(text.strip(), oid, title)


def _first_line(text: str, limit: int = 80) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


class _Text(HTMLParser):
    """Teams message HTML → text: paragraphs and line breaks kept, every tag dropped."""

    _BREAKS = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in self._BREAKS and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(re.sub(r"\s+", " ", data))  # in HTML a line break is a space


def plain_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return html.unescape(text).strip()


async def _address_of(deps: Deps, oid: str | None) -> str | None:
    """The author's email address from Entra ID (the payload carries only an id)."""
    if oid is None:
        return None
    try:
        author = await deps.facts.user(oid)
    except (GraphError, NotFound) as error:
        logger.info("message author not looked up (%s)", type(error).__name__)
        return None
    return author.mail or author.upn or None


async def _template_for(deps: Deps, user_oid: str) -> str | None:
    """``message-from-teams`` if the user's own mailbox may send it, else the first template
    it may send with a ``message`` text variable; None leaves the choice to the card."""
    user = await deps.facts.user(user_oid)
    own = deps.policy.self_sender(user.upn, user.display_name)
    names = sorted(deps.catalog.names(), key=lambda name: name != PREFERRED_TEMPLATE)
    for name in names:
        if not own.allows_template(name):
            continue
        variables = {v.name: v.type for v in deps.catalog.get(name).variables}
        if variables.get(BODY_VARIABLE) is VariableType.TEXT:
            return name
    return None


async def _queued(deps: Deps, turn: Turn, request_id: str) -> str | None:
    """What to tell the user once the request left the draft state; None while it is a draft
    (the card says why it was not sent)."""
    try:
        request = await deps.store.get_request(request_id)
    except NotFound:
        return None
    if request.requester_oid != turn.user_oid or request.state is SendState.DRAFT:
        return None
    subject = request.subject if len(request.subject) <= 80 else request.subject[:77] + "..."
    if request.state is SendState.PENDING_APPROVAL:
        return f"“{subject}” is waiting for approval; Mailroom's chat tells you when it's decided."
    return (
        f"“{subject}” is on its way from {request.sender_address}. "
        "/status in Mailroom's chat shows how it went."
    )
