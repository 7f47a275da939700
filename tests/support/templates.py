"""The shipped templates, compiled and checked once per test process.

Loading them (``TemplateCatalog.load``: compile every template, render its samples) takes a
good part of a second, and nothing changes them, so tests and the bots they start share one
catalog. A bot given another folder still loads that folder itself.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.domain.senders import Policy
from bot.policy.loader import load_policy
from bot.rendering import TemplateCatalog
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_TEMPLATES = ROOT / "templates"


@cache
def shipped_catalog() -> TemplateCatalog:
    return TemplateCatalog.load(SHIPPED_TEMPLATES)


def static_for(settings: Settings) -> tuple[Policy, TemplateCatalog]:
    """What ``bot.services.load_static`` gives for ``settings``, the shipped catalog shared.
    The policy is read every time: tests write their own."""
    templates = settings.templates_dir
    same = templates.resolve() == SHIPPED_TEMPLATES
    catalog = shipped_catalog() if same else TemplateCatalog.load(templates)
    return load_policy(settings.config_path), catalog
