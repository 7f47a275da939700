"""A card shown in a Teams dialog (a message extension's task module).

Dialogs built from an Adaptive Card send what the user did with ``Action.Submit``: Teams
posts ``composeExtension/submitAction`` with the card's inputs merged into the action's
data ("Respond to the dialog submit action", learn.microsoft.com/microsoftteams/platform/
messaging-extensions/how-to/action-commands/respond-to-task-module-submit). Microsoft does
not document ``Action.Execute`` inside a dialog, so the stricter reading is taken: every
``Action.Execute`` of one of Mailroom's cards becomes an ``Action.Submit`` that carries its
verb in its data under ``verb``, and the bot routes it to the same handler. ``refresh``
(Universal Actions only) is left out.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, _

VERB_KEY = "verb"
TITLE = N_("Send as email with Mailroom")  # the dialog's title and the command's, in the manifest
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def for_dialog(card: dict[str, Any]) -> dict[str, Any]:
    """``card`` with its buttons made dialog buttons; the original is not changed."""
    converted = _convert(card)
    assert isinstance(converted, dict)
    converted.pop("refresh", None)
    return converted


def task_continue(title: str, card: dict[str, Any]) -> dict[str, Any]:
    """The body of an invoke response that shows ``card`` in the dialog."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": title,
                "width": "large",
                "height": "large",
                "card": {"contentType": CARD_TYPE, "content": for_dialog(card)},
            },
        }
    }


def task_message(text: str) -> dict[str, Any]:
    """The body of an invoke response that closes the dialog with a short message."""
    return {"task": {"type": "message", "value": text}}


def answer(reply: dict[str, Any] | str | None) -> dict[str, Any]:
    """A handler's reply as the invoke response body: a dialog response as it is, a card of
    the guided send (an error card, say) shown in the dialog, and a sign-in request (its URL
    or None) as a ``composeExtension`` of type ``auth`` with an ``openUrl`` action ("Add
    authentication to your message extension", learn.microsoft.com/microsoftteams/platform/
    messaging-extensions/how-to/add-authentication); Teams sends the same invoke again once
    the user signed in."""
    if isinstance(reply, dict):
        if "task" in reply or "composeExtension" in reply:
            return reply
        return task_continue(_(TITLE), reply)
    if reply is None:
        return task_message(_("Sign in to Mailroom in its chat first (/send), then try again."))
    action = {"type": "openUrl", "value": reply, "title": _("Sign in to Mailroom")}
    return {"composeExtension": {"type": "auth", "suggestedActions": {"actions": [action]}}}


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "Action.Execute":
        data = dict(node.get("data") or {})
        data[VERB_KEY] = node.get("verb", "")
        button = {k: _convert(v) for k, v in node.items() if k not in ("verb", "data", "type")}
        return {"type": "Action.Submit", **button, "data": data}
    return {key: _convert(value) for key, value in node.items()}
