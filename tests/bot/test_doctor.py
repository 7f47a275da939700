"""``mailroom doctor`` checks every entry of the tenant requirements statement: all pass
against a tenant set up exactly as the statement says, and leaving out any one entry fails
that entry with its fix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.doctor import run_checks
from bot.settings import Secret
from bot.tenant_checks import Check
from emulator.requirements import load_statement
from emulator.testing import RunningEmulator, start_emulator_thread
from tests.bot.doctor_support import EmulatorUserTokens, seed_without
from tests.support.botapp import settings_for

STATEMENT = load_statement()


KEY = Secret(Fernet.generate_key().decode())


async def doctor(
    emulator: RunningEmulator, tmp_path: Path, keys: tuple[Secret, ...] = (KEY,)
) -> dict[str, Check]:
    settings = replace(
        settings_for(emulator, tmp_path), oauth_connection="sso", token_cache_keys=keys
    )
    found: dict[str, Check] = {}

    def report(check: Check) -> None:
        found[check.name] = check

    await run_checks(settings, report, EmulatorUserTokens(emulator.control))
    return found


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("doctor-emulator")


@pytest.fixture
def skipping(
    request: pytest.FixtureRequest, state_dir: Path, tmp_path: Path
) -> Iterator[RunningEmulator]:
    skipped: list[str] = request.param
    running = start_emulator_thread(seed=seed_without(tmp_path, skipped), state_dir=state_dir)
    try:
        yield running
    finally:
        running.stop()


async def test_every_requirement_passes_against_a_tenant_set_up_as_the_statement_says(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    checks = await doctor(emulator, tmp_path)

    for requirement in STATEMENT:
        check = checks[requirement.id]
        assert check.ok, check
        assert not check.skipped, check
    assert all(c.ok and not c.skipped for c in checks.values()), [
        c for c in checks.values() if not c.ok or c.skipped
    ]


@pytest.mark.parametrize(
    ("skipping", "missing"),
    [pytest.param([r.id], r.id, id=r.id) for r in STATEMENT],
    indirect=["skipping"],
)
async def test_leaving_out_a_requirement_fails_it_with_its_fix(
    skipping: RunningEmulator, missing: str, tmp_path: Path
) -> None:
    checks = await doctor(skipping, tmp_path)

    check = checks[missing]
    assert not check.ok, check
    assert not check.skipped, check
    expected = next(r for r in STATEMENT if r.id == missing)
    app_id = skipping.bot_app.client_id
    assert check.fix == expected.text(app_id).fix
    assert "{app_id}" not in check.fix


async def test_delegated_sign_in_without_a_token_cache_key_fails_with_how_to_make_one(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    checks = await doctor(emulator, tmp_path, keys=())

    check = checks["token caches"]
    assert not check.ok
    assert "MAILROOM_TOKEN_CACHE_KEY" in check.detail
    assert "Fernet.generate_key()" in check.fix
