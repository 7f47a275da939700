"""The sender card: who this user may send as, grouped, and who not and why.

Few available senders get a button each; many get one searchable choice list (its input id
``sender`` reaches the bot exactly like a button's ``{"sender": address}``). Unavailable
senders are listed with their one-line reason, the first ones with a "Why?" button while the
card stays within six actions; /why explains any of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Container,
)

from bot.i18n import N_, _
from cards import drafts as drafts_card
from cards import verbs
from cards._parts import bullets, execute, finish, fit, heading, hint, labelled, section, text
from cards.blocks import one_line
from cards.views import DraftSummary, SenderKindName, SenderOption

# One group per kind of sender, named for what recipients see: Send As shows only the
# mailbox, Send on Behalf shows "you on behalf of …".
GROUPS: tuple[tuple[str, tuple[SenderKindName, ...]], ...] = (
    (N_("You"), ("self",)),
    (N_("Send as"), ("send_as",)),
    (N_("Send on behalf of"), ("send_on_behalf",)),
    (N_("Shared mailboxes"), ("shared",)),
    (N_("No-reply"), ("noreply",)),
)

MAX_ACTIONS = 6  # the Teams Store's limit per card (docs/platform.md, "Teams Store rules")
MAX_BUTTONS = 5  # more available senders than this: one searchable choice list instead

_NAME_CHARS = 80
_FROM_CHARS = 160
_REASON_CHARS = 200


@dataclass(frozen=True)
class _Limits:
    choices: int
    unavailable: int
    choice_chars: int


_LIMITS = (_Limits(60, 8, 140), _Limits(30, 5, 100), _Limits(15, 3, 80))


def build(options: Sequence[SenderOption], resume: DraftSummary | None = None) -> dict[str, Any]:
    """``resume``: the user's last unfinished draft, offered first."""
    return fit(*(partial(_build, options, limits, resume) for limits in _LIMITS))


def _build(
    options: Sequence[SenderOption], limits: _Limits, resume: DraftSummary | None
) -> dict[str, Any]:
    available = _grouped([o for o in options if o.available])
    unavailable = [o for o in _in_group_order(options) if not o.available]
    body: list[CardElement] = []
    if resume is not None:
        body += [
            heading(_("Pick up where you left off?")),
            drafts_card.row(resume, discard=False),
            hint(_("Or start a new email below. /drafts lists every unfinished one.")),
        ]
    body.append(heading(_("Who do you want to send as?")))
    if not options:
        body.append(
            text(
                _("No senders are set up for you. Ask your Mailroom administrator."),
                spacing="Small",
            )
        )
    elif not available:
        body.append(text(_("There is no sender you can use right now."), spacing="Small"))
    elif sum(len(group) for _, group in available) <= MAX_BUTTONS:
        for title, group in available:
            body.append(section(title))
            body += [_option(option) for option in group]
    else:
        body += _choice_list(available, limits)
    if unavailable:
        body.append(section(_("Not available to you")))
        why_buttons = max(0, MAX_ACTIONS - _buttons_in(body))
        listed = unavailable[: limits.unavailable]
        body += [_unavailable(o, why=i < why_buttons) for i, o in enumerate(listed)]
        if len(unavailable) > limits.unavailable:
            more = len(unavailable) - limits.unavailable
            body += bullets(
                [_("{more} more. Type /why followed by an address to ask.", more=more)], limit=1
            )
        elif len(listed) > why_buttons:
            body.append(hint(_("Type /why followed by an address for the full reason.")))
    return finish(AdaptiveCard(body=body))


def _buttons_in(body: list[CardElement]) -> int:
    """The actions already on the card (ActionSets anywhere in ``body``)."""
    count = 0
    pending: list[object] = list(body)
    while pending:
        element = pending.pop()
        if isinstance(element, ActionSet):
            count += len(element.actions or [])
        elif isinstance(element, Container):
            pending += element.items or []
    return count


def _grouped(options: Sequence[SenderOption]) -> list[tuple[str, list[SenderOption]]]:
    groups = [(_(title), [o for o in options if o.kind in kinds]) for title, kinds in GROUPS]
    return [(title, group) for title, group in groups if group]


def _in_group_order(options: Sequence[SenderOption]) -> list[SenderOption]:
    return [option for _, group in _grouped(options) for option in group]


def _option(option: SenderOption) -> Container:
    items: list[CardElement] = [
        text(one_line(option.display_name, _NAME_CHARS), weight="Bolder"),
        labelled(_("From"), one_line(option.from_line, _FROM_CHARS), subtle=True, spacing="None"),
    ]
    if option.reason:
        items.append(text(one_line(option.reason, _REASON_CHARS), subtle=True, spacing="None"))
    items.append(
        ActionSet(
            actions=[
                execute(_("Choose"), verbs.PICK_SENDER, verbs.SenderChoice(option.address).data())
            ],
            spacing="Small",
        )
    )
    return Container(items=items, spacing="Medium")


def _choice_list(
    available: list[tuple[str, list[SenderOption]]], limits: _Limits
) -> list[CardElement]:
    options = [(title, option) for title, group in available for option in group]
    shown = options[: limits.choices]
    choices = [
        Choice(title=_choice_title(title, option, limits.choice_chars), value=option.address)
        for title, option in shown
    ]
    elements: list[CardElement] = [
        ChoiceSetInput(
            id="sender",
            label=_("Sender"),
            style="filtered",
            choices=choices,
            is_required=True,
            error_message=_("Pick a sender."),
            placeholder=_("Type to search"),
        ),
    ]
    if len(options) > len(shown):
        elements.append(
            hint(
                _(
                    "Showing {shown} of {total}. For another one, type "
                    "/send from: followed by its address.",
                    shown=len(shown),
                    total=len(options),
                )
            )
        )
    elements.append(ActionSet(actions=[execute(_("Next"), verbs.PICK_SENDER, style="positive")]))
    return elements


def _choice_title(group: str, option: SenderOption, limit: int) -> str:
    name = one_line(option.display_name, _NAME_CHARS)
    return one_line(f"{group} · {name} — {option.from_line}", limit)


def _unavailable(option: SenderOption, *, why: bool) -> Container:
    items: list[CardElement] = [
        text(one_line(option.display_name, _NAME_CHARS), weight="Bolder"),
        labelled(_("From"), one_line(option.from_line, _FROM_CHARS), subtle=True, spacing="None"),
        text(
            one_line(
                option.reason or _("You don't have the rights to send as this sender."),
                _REASON_CHARS,
            ),
            color="Attention",
            spacing="None",
        ),
    ]
    if why:
        items.append(
            ActionSet(
                actions=[execute(_("Why?"), verbs.WHY, verbs.SenderChoice(option.address).data())],
                spacing="Small",
            )
        )
    return Container(items=items, spacing="Medium")
