"""Fixtures for the rendering tests (helpers in ``helpers.py``)."""

from __future__ import annotations

import pytest

from bot.rendering import TemplateCatalog
from tests.support.templates import shipped_catalog


@pytest.fixture(scope="session")
def shipped() -> TemplateCatalog:
    """The five templates the project ships, loaded once."""
    return shipped_catalog()
