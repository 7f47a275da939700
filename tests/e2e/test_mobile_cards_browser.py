"""Cards at a phone's width in the Agents Playground's real web UI (headless Chromium): the
Teams Store rule "Bot responses on mobile must be responsive without any data truncation"
(docs/platform.md, "Teams Store rules"). A module of its own, so its ``mailroom dev`` is new
and the Playground's first visit gets the welcome card. Screenshots ``mobile-*.png`` go to
``build/e2e-screenshots/`` (CI keeps that folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.devrun import DevRun
from tests.e2e.test_guided_send_browser import walk
from tests.e2e.test_playground_browser import SCREENSHOTS, chromium, is_png

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(240)]

__all__ = ["chromium"]  # the fixture


MOBILE = {
    "welcome": ("mobile-welcome.png", "Welcome to Mailroom"),
    "help": ("mobile-help.png", "Mailroom forgets your sign-in"),
    "senders": ("mobile-senders.png", "Who do you want to send as?"),
    "compose": ("mobile-compose.png", "Ticket number"),
}


def test_cards_read_well_on_a_phone_width_without_scrolling_sideways(
    chromium: Path, mailroom_dev: DevRun
) -> None:
    """Teams Store rule: "Bot responses on mobile must be responsive without any data
    truncation" (docs/platform.md, "Teams Store rules"). The Playground in a 360 px wide
    window, as on a small phone, each card held to 328 px (the Playground's own layout does
    not shrink that far): each card's screenshot goes to build/e2e-screenshots/ and no card
    scrolls sideways or has an element reaching past its right edge."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {name: SCREENSHOTS / file for name, (file, _) in MOBILE.items()}
    for path in shots.values():
        path.unlink(missing_ok=True)
    steps: list[dict[str, Any]] = []
    for name, (_, text) in MOBILE.items():
        if name == "welcome":
            steps.append({"wait": text})
        elif name == "help":
            steps.append({"say": "help"})
        elif name == "senders":
            steps.append({"say": "/send"})
        elif name == "compose":
            steps.append({"say": "/send from:support template:ticket-reply"})
        steps += [{"shot": str(shots[name]), "in": text}, {"fits": name, "in": text}]
    summary = walk(mailroom_dev, chromium, steps, viewport="360x740")
    for name in MOBILE:
        fit = summary["fits"][name]
        assert fit["viewport"] == 360, fit
        assert fit["scrollWidth"] <= fit["clientWidth"], (name, fit)
        assert fit["wider"] == [], (name, fit)
        assert fit["cardWidth"] <= 360 - 32, (name, fit)
        assert is_png(shots[name]), name
