"""Every card a German user meets, built in German: none of the English catalogue's sentences
is left on it. The sample views are the card tests' own (user data in them is not translated:
the check is for the card's words, which all come from the catalogue)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.domain.explanations import CATALOGUE, explain
from bot.errors import SignInNotSetUp
from bot.i18n import use_language
from bot.i18n.catalog import po_path
from bot.identity import sign_in_setup
from bot.teams.handlers.help import help_card_json, likely_card_json
from bot.teams.views import explanation_of
from cards import (
    approval,
    compose,
    drafts,
    explanation,
    notice,
    preview,
    progress,
    requests,
    result,
    senders,
    sending,
    template_guide,
    welcome,
)
from tests.cards import test_approval, test_compose, test_preview, test_result, test_sending
from tests.cards.test_requests import ROW
from tests.cards.test_senders import EVERYONE
from tests.cards.test_store_rules import draft
from tests.cards.test_template_guide import VIEW as GUIDE

# The approval card's reasons and the preview's From line come from the bot (in German
# there), not from the card.
APPROVAL = replace(test_approval.VIEW, reasons=("mehr als 100 Empfänger",))
PREVIEW = replace(
    test_preview.VIEW, from_line="Alex Wilber im Auftrag von Megan Bowen <megan@contoso.com>"
)

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _english_fragments() -> list[str]:
    """The English catalogue's own words: each text's pieces between placeholders, where
    long enough to be a phrase (short words like "To" also occur inside German text), and
    only where German says something else."""
    with po_path("de").open("rb") as source:
        german = read_po(source)
    fragments: set[str] = set()
    for message in german:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        strings = (message.string,) if isinstance(message.string, str) else message.string
        for english in ids:
            for part in _PLACEHOLDER.split(english):
                piece = part.strip(" .,:;()“”")
                if len(piece) >= 12 and " " in piece and all(piece not in s for s in strings):
                    fragments.add(piece)
    return sorted(fragments)


FRAGMENTS = _english_fragments()


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in ("verb", "type", "id", "data", "url", "$schema", "style"):
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def _progress(phase: progress.Phase, **fields: Any) -> dict[str, Any]:
    view = progress.ProgressView("r-1", "Support <support@contoso.com>", "Betreff", 40, 12,
                                 phase=phase, **fields)  # fmt: skip
    return progress.build(view)


def _explanation(key: str) -> dict[str, Any]:
    text = explain(key, mailbox="hr@contoso.com", user="adele@contoso.com", count=30, max=20)
    return explanation.build(explanation_of(text))


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "welcome": lambda: welcome.build("Adele Vance", "2 Anfragen"),
    "help": lambda: help_card_json("Das habe ich nicht verstanden."),
    "likely": lambda: likely_card_json("?", ("send", "why", "status")),
    "senders": lambda: senders.build(EVERYONE, draft(1)),
    "senders, many": lambda: senders.build(
        [replace(EVERYONE[0], address=f"s{i}@contoso.com") for i in range(9)] + list(EVERYONE)
    ),
    "compose, picking": lambda: compose.build(test_compose.PICKING),
    "compose, filling": lambda: compose.build(test_compose.FILLING),
    "compose, maximal": lambda: compose.build(test_compose.maximal_view(csv_chars=40_000)),
    "preview": lambda: preview.build(PREVIEW),
    "preview, approval": lambda: preview.build(
        replace(PREVIEW, needs_approval=True, approvers="HR (2)", approval_reasons=())
    ),
    "preview, bulk": lambda: preview.build(
        replace(PREVIEW, message_count=12, row=3, exposed=("x@fabrikam.com",) * 9)
    ),
    "sending": lambda: sending.build(test_sending.SINGLE),
    "sending, bulk": lambda: sending.build(test_sending.BULK),
    "result": lambda: result.build(test_result.VIEW),
    "result, many": lambda: result.build(replace(test_result.VIEW, message_count=3)),
    "progress, running": lambda: _progress("running", failed=2, eta_seconds=600, unknown=1),
    "progress, done": lambda: _progress("done", failed=2, unknown=1, recipients_per_day=100),
    "progress, expired": lambda: _progress("expired"),
    "approval, approver": lambda: approval.build(APPROVAL),
    "approval, requester": lambda: approval.build(
        replace(APPROVAL, viewer_role="requester", unreachable_approvers=("M <m@x>",))
    ),
    "approval, rejected": lambda: approval.build(
        replace(APPROVAL, viewer_role="requester", state="rejected")
    ),
    "drafts": lambda: drafts.build_list([draft(i) for i in range(12)]),
    "requests": lambda: requests.build_list("Verlauf", [ROW] * 30, "Leer."),
    "template guide": lambda: template_guide.build(GUIDE),
    "notice": lambda: notice.build("Titel", "Text", retry_verb="send.start"),
    **{f"explanation {key}": (lambda key=key: _explanation(key)) for key in sorted(CATALOGUE)},
    # These two name the tenant requirements' own steps (bot/tenant-requirements.toml).
    **{
        f"sign-in not set up, AADSTS{code}": (
            lambda code=code, needs=needs: explanation.build(
                explanation_of(sign_in_setup.explanation(SignInNotSetUp(code, needs), "app-1"))
            )
        )
        for code, needs in sign_in_setup.SETUP_ERRORS.items()
    },
    "sign-in did not finish": lambda: explanation.build(
        explanation_of(sign_in_setup.unfinished("app-1"))
    ),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_german_card_has_no_english_sentence_left(name: str) -> None:
    with use_language("de-DE"):
        card = BUILDERS[name]()
    shown = "\n".join(_texts(card))
    left = [fragment for fragment in FRAGMENTS if fragment in shown]
    assert left == []


def test_the_scan_finds_english_when_there_is_some() -> None:
    """The same cards in English do carry the catalogue's sentences: the scan can fail."""
    with use_language("en-GB"):
        shown = "\n".join(_texts(BUILDERS["welcome"]()))
    assert any(fragment in shown for fragment in FRAGMENTS)


TWINS: dict[str, Callable[[], dict[str, Any]]] = {
    "welcome": lambda: welcome.build("Adele"),
    "help": help_card_json,
    "likely": BUILDERS["likely"],
    # The reasons are the bot's (translated there); the card's own words are the test.
    "senders": lambda: senders.build([replace(o, reason=None) for o in EVERYONE], draft(1)),
    "drafts": BUILDERS["drafts"],
    "progress": BUILDERS["progress, running"],
}


@pytest.mark.parametrize("name", sorted(TWINS))
def test_a_german_card_shares_no_sentence_with_its_english_twin(name: str) -> None:
    """Catches a text nobody marked for the catalogue (the scan above only knows marked ones):
    the same card in both languages may share names, addresses and commands, not prose."""
    with use_language("en-GB"):
        english = set(_texts(TWINS[name]()))
    with use_language("de-DE"):
        german = set(_texts(TWINS[name]()))
    shared = {
        text
        for text in english & german
        if len(text.split()) >= 3 and not text.startswith("/") and "@" not in text
    }
    assert shared == set()
