"""Cards shown in a message extension's dialog: every Action.Execute, wherever it sits,
becomes an Action.Submit carrying its verb; the card it came from is left as it was."""

from __future__ import annotations

import copy

from cards.dialog import TITLE, answer, for_dialog, task_continue

CARD = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "refresh": {"action": {"type": "Action.Execute", "verb": "request.refresh"}},
    "body": [
        {"type": "ActionSet", "actions": [
            {"type": "Action.Execute", "title": "Preview", "verb": "compose.preview",
             "data": {"draft": "d1", "version": 2}, "style": "positive"},
        ]},
    ],
    "actions": [
        {"type": "Action.Execute", "title": "Cancel", "verb": "compose.cancel"},
        {"type": "Action.OpenUrl", "title": "Open", "url": "https://contoso.com"},
    ],
}  # fmt: skip


def test_execute_buttons_become_submit_buttons_with_their_verb() -> None:
    before = copy.deepcopy(CARD)
    dialog = for_dialog(CARD)
    assert before == CARD
    assert "refresh" not in dialog
    assert dialog["body"][0]["actions"][0] == {
        "type": "Action.Submit",
        "title": "Preview",
        "style": "positive",
        "data": {"draft": "d1", "version": 2, "verb": "compose.preview"},
    }
    cancel, link = dialog["actions"]
    assert cancel == {
        "type": "Action.Submit",
        "title": "Cancel",
        "data": {"verb": "compose.cancel"},
    }
    assert link == CARD["actions"][1]


def test_a_card_reply_is_shown_in_the_dialog_and_a_sign_in_asks_with_a_link() -> None:
    shown = answer(CARD)
    assert shown == task_continue(TITLE, CARD)
    assert (
        shown["task"]["value"]["card"]["contentType"] == "application/vnd.microsoft.card.adaptive"
    )
    sign_in = answer("https://token.botframework.com/sign-in?x=1")
    assert sign_in["composeExtension"]["type"] == "auth"
    [action] = sign_in["composeExtension"]["suggestedActions"]["actions"]
    assert action == {"type": "openUrl", "value": "https://token.botframework.com/sign-in?x=1",
                      "title": "Sign in to Mailroom"}  # fmt: skip
    assert answer(None)["task"]["type"] == "message"
