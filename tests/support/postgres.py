"""Where the PostgreSQL tests find their server, and what happens when there is none.

Locally a test that needs PostgreSQL skips when ``MAILROOM_TEST_POSTGRES_URL`` is unset. In CI
(``.ci/run`` sets ``MAILROOM_TEST_REQUIRE_POSTGRES=1``) it fails instead, so the PostgreSQL half
of the suite cannot drop out silently.
"""

from __future__ import annotations

import os

import pytest

POSTGRES_ENV = "MAILROOM_TEST_POSTGRES_URL"
REQUIRE_ENV = "MAILROOM_TEST_REQUIRE_POSTGRES"


def postgres_base_url() -> str:
    """The server's URL; skips (or, when required, fails) the test without one."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    message = f"{POSTGRES_ENV} is not set"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message}, and {REQUIRE_ENV}=1 says PostgreSQL is expected")
    pytest.skip(message)
