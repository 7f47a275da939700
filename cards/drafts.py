"""Unfinished drafts: the /drafts list (Resume, Discard) and the offer on /send's card."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from microsoft_teams.cards import ActionSet, AdaptiveCard, CardElement, Container

from bot.i18n import _, n_
from cards import verbs
from cards._parts import execute, finish, heading, hint, labelled, run, runs, text
from cards.blocks import one_line
from cards.views import DraftSummary

# Resume and Discard for each: three drafts are the six actions a card may have (Teams Store
# rule, docs/platform.md); the newest come first, the next ones once these are done.
MAX_LISTED = 3


def build_list(drafts: Sequence[DraftSummary]) -> dict[str, Any]:
    body: list[CardElement] = [heading(_("Your unfinished emails"))]
    if not drafts:
        body.append(text(_("Nothing unfinished. Type /send to start an email."), spacing="Small"))
    body += [row(draft, discard=True) for draft in drafts[:MAX_LISTED]]
    if len(drafts) > MAX_LISTED:
        more = len(drafts) - MAX_LISTED
        body.append(
            hint(
                n_(
                    "{count} older one waits: it is listed here as you resume or discard these.",
                    "{count} older ones wait: they are listed here as you resume or discard these.",
                    more,
                )
            )
        )
    if drafts:
        body.append(hint(_("Drafts are kept until you send, cancel or discard them.")))
    return finish(AdaptiveCard(body=body))


def row(draft: DraftSummary, *, discard: bool) -> Container:
    """One draft with Resume (and Discard in the list)."""
    data = verbs.DraftRef(draft.draft_id, draft.version).data()
    stage = _("previewed, not sent") if draft.previewed else _("not previewed yet")
    actions = [execute(_("Resume"), verbs.RESUME_DRAFT, data, style="positive")]
    if discard:
        actions.append(execute(_("Discard"), verbs.DISCARD_DRAFT, data))
    return Container(
        separator=True,
        spacing="Medium",
        items=[
            text(one_line(draft.template, 200), weight="Bolder"),
            runs([run(f"{stage} · {one_line(draft.when, 60)}", subtle=True)], spacing="None"),
            labelled(_("From"), one_line(draft.sender, 200), subtle=True, spacing="None"),
            labelled(_("To"), one_line(draft.recipients, 200), subtle=True, spacing="None"),
            ActionSet(actions=actions, spacing="Small"),
        ],
    )
